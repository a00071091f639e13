// The spend chart's rows: one per UTC day of the window, each model's spend that day in integer nanos (exact
// as chart numbers up to $9 million), the top models by spend as their own series and the rest as "others".
import type { ActivityStats } from '../../api/credits';
import { formatNumber, NANOS_PER_USD, usdToNanos } from '../../lib/format';

export const TOP_MODELS = 6;
export const SPEND_COLORS = ['indigo.6', 'teal.6', 'orange.6', 'grape.6', 'cyan.7', 'pink.6'] as const;
export const OTHERS_COLOR = 'gray.5';
export const OTHERS_KEY = 'others';

export interface SpendSeries {
  /** The chart's data key: m0, m1... or "others". */
  key: string;
  /** A model slug; null for "others". */
  model: string | null;
  color: string;
}

export interface SpendRow {
  /** A UTC day, "2026-11-30". */
  date: string;
  [series: string]: number | string;
}

export interface ModelSpend {
  model: string;
  nanos: bigint;
}

export interface SpendChartData {
  series: SpendSeries[];
  rows: SpendRow[];
  /** Every model's spend over the window, largest first. */
  models: ModelSpend[];
  totalNanos: bigint;
}

/** The UTC days from the window's start, `days` of them: "2026-11-01", "2026-11-02"... */
export function utcDays(since: string, days: number): string[] {
  const start = new Date(since);
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

function modelName(group: string | number | null): string {
  return group === null || group === '' ? '?' : String(group);
}

export function spendChartData(stats: ActivityStats, days: number, top: number = TOP_MODELS): SpendChartData {
  const groups = (stats.groups ?? []).map((group) => ({
    model: modelName(group.group),
    nanos: usdToNanos(group.spend),
    daily: new Map(group.series.map((point) => [point.time.slice(0, 10), usdToNanos(point.spend)])),
  }));
  groups.sort((a, b) => (a.nanos === b.nanos ? a.model.localeCompare(b.model) : a.nanos > b.nanos ? -1 : 1));
  const spending = groups.filter((group) => group.nanos > 0n);
  const shown = spending.slice(0, top);
  const rest = spending.slice(top);
  const series: SpendSeries[] = shown.map((group, i) => ({ key: `m${i}`, model: group.model, color: SPEND_COLORS[i % SPEND_COLORS.length] ?? OTHERS_COLOR }));
  if (rest.length > 0) {
    series.push({ key: OTHERS_KEY, model: null, color: OTHERS_COLOR });
  }
  const rows = utcDays(stats.since, days).map((date) => {
    const row: SpendRow = { date };
    shown.forEach((group, i) => {
      row[`m${i}`] = Number(group.daily.get(date) ?? 0n);
    });
    if (rest.length > 0) {
      row[OTHERS_KEY] = Number(rest.reduce((sum, group) => sum + (group.daily.get(date) ?? 0n), 0n));
    }
    return row;
  });
  return {
    series,
    rows,
    models: spending.map(({ model, nanos }) => ({ model, nanos })),
    totalNanos: spending.reduce((sum, group) => sum + group.nanos, 0n),
  };
}

/** A single series (one key's spend per day), for the key's chart. */
export function dailySpendRows(stats: ActivityStats, days: number): { date: string; spend: number; requests: number }[] {
  const byDay = new Map(stats.series.map((point) => [point.time.slice(0, 10), point]));
  return utcDays(stats.since, days).map((date) => {
    const point = byDay.get(date);
    return { date, spend: point ? Number(usdToNanos(point.spend)) : 0, requests: point?.requests ?? 0 };
  });
}

/** An axis tick from nanos: "$1.2", "$0.004" (compact; tooltips and lists give exact amounts). */
export function spendAxisTick(nanos: number, locale: string): string {
  return formatNumber(nanos / Number(NANOS_PER_USD), locale, { style: 'currency', currency: 'USD', notation: 'compact', maximumSignificantDigits: 2 });
}
