// A model's daily stats (one series per provider) summed into one row per UTC day, every day of the window
// present (zero when nothing was used), for the usage chart.
import type { ModelStats } from '../../api/models';

export interface UsageDay {
  date: string;
  requests: number;
  tokens: number;
  errors: number;
}

export interface UsageTotals {
  requests: number;
  tokens: number;
  errors: number;
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** `days` calendar days ending with `today` (a UTC "YYYY-MM-DD"). */
export function dayRange(today: string, days: number): string[] {
  return Array.from({ length: days }, (_, i) => addDays(today, i - days + 1));
}

export function dailyUsage(stats: ModelStats | undefined, days: number, today: string = new Date().toISOString().slice(0, 10)): UsageDay[] {
  const byDay = new Map<string, UsageDay>(dayRange(today, days).map((date) => [date, { date, requests: 0, tokens: 0, errors: 0 }]));
  for (const provider of stats?.providers ?? []) {
    for (const day of provider.daily) {
      const row = byDay.get(day.date);
      if (row !== undefined) {
        row.requests += day.requests;
        row.tokens += day.tokens;
        row.errors += day.errors;
      }
    }
  }
  return [...byDay.values()];
}

export function usageTotals(days: UsageDay[]): UsageTotals {
  return days.reduce(
    (sum, day) => ({ requests: sum.requests + day.requests, tokens: sum.tokens + day.tokens, errors: sum.errors + day.errors }),
    { requests: 0, tokens: 0, errors: 0 },
  );
}
