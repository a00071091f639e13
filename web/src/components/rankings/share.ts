// Slices of a market-share chart: the largest few, then everything else as one "others" slice.
import type { RankValue } from '../../api/rankings';
import { nanosToUsd, shiftDecimal } from '../../lib/format';
import { OTHERS_COLOR, seriesColor } from './metric';

/** How many names a share chart shows before "others". */
export const SHARE_SLICES = 7;

export interface ShareItem {
  name: string;
  share: number | null;
  value: RankValue;
}

export interface ShareSlice {
  key: string;
  name: string;
  /** 0..1 */
  share: number;
  /** Null when it cannot be told (others, without the total). */
  value: RankValue | null;
  color: string;
}

const nanos = (value: RankValue) => BigInt(shiftDecimal(String(value), 9).split('.')[0] ?? '0');

/** total − the parts; money (decimal strings) exactly, in integer nanos. */
function subtract(total: RankValue, parts: RankValue[]): RankValue {
  if (typeof total === 'string' || parts.some((part) => typeof part === 'string')) {
    const rest = parts.reduce((sum, part) => sum - nanos(part), nanos(total));
    return nanosToUsd(rest > 0n ? rest : 0n);
  }
  return Math.max(0, total - parts.reduce<number>((sum, part) => sum + Number(part), 0));
}

function sum(parts: RankValue[]): RankValue {
  return parts.some((part) => typeof part === 'string')
    ? nanosToUsd(parts.reduce((total, part) => total + nanos(part), 0n))
    : parts.reduce<number>((total, part) => total + Number(part), 0);
}

/**
 * The first `count` items, and one "others" slice for the rest of the total (items beyond them and any the
 * answer left out) when that rest is more than a rounding error.
 */
export function shareSlices(items: ShareItem[], othersName: string, total?: RankValue, count: number = SHARE_SLICES): ShareSlice[] {
  const shown = items.filter((item) => item.share !== null && item.share > 0).slice(0, count);
  const slices: ShareSlice[] = shown.map((item, index) => ({
    key: item.name,
    name: item.name,
    share: item.share ?? 0,
    value: item.value,
    color: seriesColor(index),
  }));
  const rest = 1 - shown.reduce((acc, item) => acc + (item.share ?? 0), 0);
  if (rest > 0.0005) {
    const beyond = items.filter((item) => !shown.includes(item));
    const listed = beyond.reduce((acc, item) => acc + (item.share ?? 0), 0);
    let value: RankValue | null = null;
    if (total !== undefined) {
      value = subtract(total, shown.map((item) => item.value));
    } else if (Math.abs(rest - listed) < 0.001) {
      // The list holds everything: the rest is what it lists beyond the slices.
      value = sum(beyond.map((item) => item.value));
    }
    slices.push({ key: '__others__', name: othersName, share: rest, value, color: OTHERS_COLOR });
  }
  return slices;
}
