// The usage chart's rows: one per UTC bucket of the range (empty ones included), one column per group (the
// biggest few; the rest summed as "other"), in the chosen measure. Money is drawn as a number here only; every
// figure shown as text comes from the exact strings.
import type { ActivityStats, StatGroup, StatTotals } from '../../api/activity';
import type { Metric } from './filters';

export const CHART_GROUPS = 6;
export const OTHER_KEY = 'other';
const COLORS = ['indigo.6', 'teal.6', 'orange.6', 'grape.6', 'cyan.6', 'pink.6', 'gray.5'];

export interface ChartSeries {
  /** A safe data key ("g0"...): group names hold dots and slashes, which recharts reads as paths. */
  key: string;
  /** The group as the statistics name it (null: records without one), or OTHER_KEY. */
  group: string | number | null;
  color: string;
}

export interface ChartRow {
  time: string;
  [key: string]: string | number;
}

export function metricValue(totals: StatTotals, metric: Metric): number {
  if (metric === 'spend') {
    const value = Number(totals.spend);
    return Number.isFinite(value) ? value : 0;
  }
  return metric === 'tokens' ? totals.tokens : totals.requests;
}

function bucketKey(time: string): number {
  return Date.parse(time);
}

/** The groups to draw, biggest first in the chosen measure; one "other" series when there are more. */
export function chartSeries(groups: StatGroup[], metric: Metric, count: number = CHART_GROUPS): ChartSeries[] {
  const ordered = [...groups].sort((a, b) => metricValue(b, metric) - metricValue(a, metric));
  const shown = ordered.slice(0, count).map((group, index) => ({ key: `g${index}`, group: group.group, color: COLORS[index % COLORS.length] ?? 'gray.5' }));
  if (ordered.length > count) {
    shown.push({ key: 'g_other', group: OTHER_KEY, color: COLORS[COLORS.length - 1] ?? 'gray.5' });
  }
  return shown;
}

/** Rows for the chart. Without groups, one series "total" from the overall series. */
export function chartRows(stats: ActivityStats, series: ChartSeries[], metric: Metric, buckets: string[]): ChartRow[] {
  const rows = new Map<number, ChartRow>();
  const keys = series.length > 0 ? series.map((item) => item.key) : ['total'];
  for (const time of buckets) {
    const row: ChartRow = { time };
    keys.forEach((key) => (row[key] = 0));
    rows.set(bucketKey(time), row);
  }
  const rowAt = (time: string): ChartRow => {
    const key = bucketKey(time);
    let row = rows.get(key);
    if (row === undefined) {
      row = { time };
      keys.forEach((name) => ((row as ChartRow)[name] = 0));
      rows.set(key, row);
    }
    return row;
  };
  if (series.length === 0) {
    for (const point of stats.series) {
      rowAt(point.time).total = metricValue(point, metric);
    }
  } else {
    const shown = new Map(series.filter((item) => item.group !== OTHER_KEY).map((item) => [item.group, item.key]));
    const other = series.find((item) => item.group === OTHER_KEY)?.key;
    for (const group of stats.groups ?? []) {
      const key = shown.get(group.group) ?? other;
      if (key === undefined) {
        continue;
      }
      for (const point of group.series) {
        const row = rowAt(point.time);
        row[key] = Number(row[key] ?? 0) + metricValue(point, metric);
      }
    }
  }
  return [...rows.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
}
