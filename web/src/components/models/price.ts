// Model prices as the pages show them, through the shared format helpers. The API gives USD per token (or per
// request, per image) as decimal strings; "-1" (or nothing) means the price is not fixed.
import { formatPricePerMillionTokens, formatUsd, type Locale } from '../../lib/format';

const DECIMAL = /^\d*\.?\d+$|^\d+\.$/;

/** A usable price: a non-negative decimal string. */
export function isPrice(value: string | null | undefined): value is string {
  return typeof value === 'string' && DECIMAL.test(value.trim());
}

export function isZero(value: string | null | undefined): boolean {
  return isPrice(value) && !/[1-9]/.test(value);
}

/** Free to use: both the prompt and the completion cost nothing. */
export function isFreeModel(pricing: { prompt?: string | null; completion?: string | null }): boolean {
  return isZero(pricing.prompt) && isZero(pricing.completion);
}

/** A per-token price per million tokens ("$0.45"); null when the price is not fixed. */
export function perMillion(perToken: string | null | undefined, locale: Locale): string | null {
  return isPrice(perToken) ? formatPricePerMillionTokens(perToken, locale) : null;
}

/** A per-unit price (a request, an image) as it is ("$0.0025"); null when the price is not fixed. */
export function perUnit(price: string | null | undefined, locale: Locale): string | null {
  return isPrice(price) ? formatUsd(price.trim(), locale) : null;
}
