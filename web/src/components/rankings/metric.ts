// How the rankings' figures read: a measure's value (compact counts, USD for spend), a share, a change against
// the previous period. Every number goes through lib/format.ts.
import { useTranslation } from 'react-i18next';

import type { RankBy, RankValue } from '../../api/rankings';
import { isLanguage } from '../../i18n';
import { formatChangePercent, formatCompact, formatNumber, formatPercent, formatUsd, type Locale } from '../../lib/format';

/** The language the page is shown in, as a formatting locale (re-renders when it changes). */
export function useLocale(): Locale {
  const { i18n } = useTranslation();
  return isLanguage(i18n.language) ? i18n.language : 'en';
}

/** A measure's value: "1.2M" tokens, "3.4K" requests, "$12.50" spend (growth ranks by tokens). */
export function formatRankValue(by: RankBy, value: RankValue, locale: Locale): string {
  if (by === 'spend') {
    return formatUsd(String(value), locale);
  }
  return formatCompact(typeof value === 'number' ? value : Number(value), locale);
}

/** The same value in full, for a tooltip or a screen reader: "1,234,567", "$12.50". */
export function formatRankValueExact(by: RankBy, value: RankValue, locale: Locale): string {
  if (by === 'spend') {
    return formatUsd(String(value), locale);
  }
  return formatNumber(typeof value === 'number' ? value : Number(value), locale);
}

/** An axis tick: compact, money compact too ("$1.2K"). */
export function formatRankAxis(by: RankBy, value: number, locale: Locale): string {
  if (by === 'spend') {
    return formatNumber(value, locale, { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 });
  }
  return formatCompact(value, locale);
}

/** A share of the total (0..1) as "45.2%"; "<0.1%" for a sliver that is not nothing; "—" when there is no total. */
export function formatShare(share: number | null, locale: Locale): string {
  if (share === null) {
    return '—';
  }
  return share > 0 && share < 0.0005 ? `<${formatPercent(0.001, locale)}` : formatPercent(share, locale);
}

/** A change in percent (12.5 = +12.5 %) as "+12.5%", "−3%", "0%". */
export function formatChange(percent: number, locale: Locale): string {
  return formatChangePercent(percent, locale);
}

export type ChangeDirection = 'new' | 'up' | 'down' | 'same';

export function changeDirection(percent: number | null): ChangeDirection {
  if (percent === null) {
    return 'new';
  }
  return percent > 0 ? 'up' : percent < 0 ? 'down' : 'same';
}

/** Colours of the charts' series, in rank order (Mantine theme colours), and the one for "others". */
export const SERIES_COLORS = [
  'indigo.6',
  'teal.6',
  'orange.6',
  'grape.6',
  'cyan.7',
  'pink.6',
  'lime.7',
  'yellow.7',
  'red.6',
  'blue.5',
] as const;
export const OTHERS_COLOR = 'gray.5';

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] ?? OTHERS_COLOR;
}
