// How much of its credit limit a key has used in the current window, from the key's figures (exact: money is
// compared in integer nanos, never as floats).
import type { ApiKey, ResetPeriod } from '../../api/keys';
import { usdToNanos } from '../../lib/format';

export type UsageLevel = 'ok' | 'high' | 'full';

export interface LimitUsage {
  /** The window the limit counts over; null: since the key was made (the limit never resets). */
  period: ResetPeriod | null;
  /** USD spent in the window. */
  spent: string;
  /** USD, the limit. */
  limit: string;
  /** USD new requests may still use: the limit less the window's spend and what requests in flight hold. */
  remaining: string | null;
  /** Of the limit, 0..100, rounded down to a hundredth; 100 when the limit is 0. */
  percent: number;
  level: UsageLevel;
}

/** From 80 % used a bar turns to a warning; at the limit it is full. */
export const HIGH_PERCENT = 80;

/** The key's spend in a window: today, this ISO week or this month (UTC), or in total. */
export function spentIn(key: ApiKey, period: ResetPeriod | null): string {
  switch (period) {
    case 'daily':
      return key.usage.daily;
    case 'weekly':
      return key.usage.weekly;
    case 'monthly':
      return key.usage.monthly;
    default:
      return key.usage.total;
  }
}

/** `spent` of `limit` in percent (0..100), exactly, rounded down to a hundredth. */
export function usedPercent(spent: string, limit: string): number {
  const limitNanos = usdToNanos(limit);
  const spentNanos = usdToNanos(spent);
  if (limitNanos <= 0n) {
    return 100;
  }
  if (spentNanos <= 0n) {
    return 0;
  }
  const hundredths = (spentNanos * 10_000n) / limitNanos;
  return hundredths >= 10_000n ? 100 : Number(hundredths) / 100;
}

export function usageLevel(percent: number, remaining: string | null): UsageLevel {
  if (percent >= 100 || (remaining !== null && usdToNanos(remaining) <= 0n)) {
    return 'full';
  }
  return percent >= HIGH_PERCENT ? 'high' : 'ok';
}

/** The key's use of its credit limit; null for a key without one. */
export function limitUsage(key: ApiKey): LimitUsage | null {
  if (key.limit === null) {
    return null;
  }
  const period = key.limit_reset;
  const spent = spentIn(key, period);
  const percent = usedPercent(spent, key.limit);
  return { period, spent, limit: key.limit, remaining: key.limit_remaining, percent, level: usageLevel(percent, key.limit_remaining) };
}

export const LEVEL_COLORS: Record<UsageLevel, string> = { ok: 'teal', high: 'orange', full: 'red' };
