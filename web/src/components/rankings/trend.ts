// The stacked chart's rows from the rankings' daily series: one row per UTC day, one column per top model.
import { numericValue, type RankedModel } from '../../api/rankings';
import { seriesColor } from './metric';

/** How many models the chart stacks (the leaderboard lists them all). */
export const CHART_MODELS = 8;

export interface TrendSeries {
  /** A safe data key ("m0"...): model slugs hold dots, which recharts reads as paths. */
  key: string;
  model: string;
  color: string;
}

export interface TrendRow {
  date: string;
  partial: boolean;
  [key: string]: string | number | boolean;
}

export function trendSeries(models: RankedModel[], count: number = CHART_MODELS): TrendSeries[] {
  return models.slice(0, count).map((entry, index) => ({ key: `m${index}`, model: entry.model, color: seriesColor(index) }));
}

const DAY_MS = 86_400_000;

/** The UTC days the window [since, until) touches, "2026-11-24" ... "2026-11-30". */
export function windowDays(since: string, until: string): string[] {
  const start = Date.parse(since);
  const end = Date.parse(until) - 1;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
    return [];
  }
  const days: string[] = [];
  for (let day = Math.floor(start / DAY_MS) * DAY_MS; day <= end && days.length < 400; day += DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/** Rows in date order, every day of the window included (0 where a model had nothing); the last day, still
 * under way, is `partial`. */
export function trendRows(models: RankedModel[], series: TrendSeries[], since?: string, until?: string): TrendRow[] {
  const rows = new Map<string, TrendRow>();
  const row = (date: string): TrendRow => {
    let found = rows.get(date);
    if (found === undefined) {
      found = { date, partial: false };
      for (const item of series) {
        found[item.key] = 0;
      }
      rows.set(date, found);
    }
    return found;
  };
  const days = since !== undefined && until !== undefined ? windowDays(since, until) : [];
  days.forEach((date) => row(date));
  const today = days[days.length - 1];
  if (today !== undefined) {
    row(today).partial = true;
  }
  series.forEach((item, index) => {
    for (const day of models[index]?.daily ?? []) {
      const target = row(day.date);
      target[item.key] = numericValue(day.value);
      target.partial = target.partial || day.partial;
    }
  });
  return [...rows.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
