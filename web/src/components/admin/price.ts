// Prices as administrators type and read them. The admin API takes and gives USD per million tokens for
// token prices (prompt, completion, ...) and USD per unit for the others (request, image, web search), as
// exact decimal strings; the public catalogue (/api/v1/models) gives USD per token. Nothing here goes through
// a binary float: digits are moved and compared as text, and arithmetic is on integer nanos (BigInt).
import { nanosToUsd, shiftDecimal } from '../../lib/format';

export const TOKEN_PRICE_FIELDS = ['prompt', 'completion', 'internal_reasoning', 'input_cache_read', 'input_cache_write'] as const;
export const UNIT_PRICE_FIELDS = ['request', 'image', 'web_search'] as const;
export const MODEL_PRICE_FIELDS = [...TOKEN_PRICE_FIELDS, ...UNIT_PRICE_FIELDS] as const;
/** The prices one channel may set for a model (its endpoint). */
export const ENDPOINT_PRICE_FIELDS = [...TOKEN_PRICE_FIELDS, 'request'] as const;
export const ENDPOINT_LIMIT_FIELDS = ['context_length', 'max_completion_tokens'] as const;

export type PriceField = (typeof MODEL_PRICE_FIELDS)[number];
export type EndpointPriceField = (typeof ENDPOINT_PRICE_FIELDS)[number];
export type EndpointLimitField = (typeof ENDPOINT_LIMIT_FIELDS)[number];

export function isTokenPrice(field: string): boolean {
  return (TOKEN_PRICE_FIELDS as readonly string[]).includes(field);
}

const PLAIN_DECIMAL = /^\d+(?:\.\d*)?$|^\.\d+$/;

/** The catalogue's USD per token ("0.00000045") as USD per million tokens ("0.45"). */
export function perTokenToPerMillion(perToken: string): string {
  return shiftDecimal(perToken, 6);
}

/** USD per million tokens ("0.45") as the catalogue's USD per token ("0.00000045"). */
export function perMillionToPerToken(perMillion: string): string {
  return shiftDecimal(perMillion, -6);
}

/** A USD decimal string as integer nanos; null when it is not one or has more than 9 decimals. */
export function usdToNanosExact(usd: string): bigint | null {
  const text = usd.trim();
  if (!PLAIN_DECIMAL.test(text)) {
    return null;
  }
  const shifted = shiftDecimal(text, 9);
  return shifted.includes('.') ? null : BigInt(shifted);
}

export type PriceError = 'empty' | 'invalid' | 'negative' | 'precision';
export type Parsed = { ok: true; value: string } | { ok: false; error: PriceError };

/** What an administrator typed in a price box ("0.45", "$2", "1.", ".5") as the API takes it ("0.45", "2",
 * "1", "0.5"): at most 9 decimals (the API counts in nano-dollars), never negative. */
export function parsePriceInput(text: string): Parsed {
  const trimmed = text.trim().replace(/^\$\s*/, '').replace(/,/g, '');
  if (trimmed === '') {
    return { ok: false, error: 'empty' };
  }
  if (trimmed.startsWith('-')) {
    return { ok: false, error: 'negative' };
  }
  if (!PLAIN_DECIMAL.test(trimmed)) {
    return { ok: false, error: 'invalid' };
  }
  if (usdToNanosExact(trimmed) === null) {
    return { ok: false, error: 'precision' };
  }
  return { ok: true, value: shiftDecimal(trimmed, 0) };
}

/** Two prices are the same amount ("0.50" and ".5"). */
export function samePrice(a: string, b: string): boolean {
  const left = usdToNanosExact(a);
  const right = usdToNanosExact(b);
  return left !== null && left === right;
}

/** The fields whose typed value differs from the stored one, as the PATCH body's `prices` takes them. Throws
 * nothing: fields that do not parse are left to `priceErrors`. */
export function changedPrices(stored: Record<string, string>, typed: Record<string, string>): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const [field, text] of Object.entries(typed)) {
    const parsed = parsePriceInput(text);
    const before = stored[field];
    if (parsed.ok && (before === undefined || !samePrice(before, parsed.value))) {
      changes[field] = parsed.value;
    }
  }
  return changes;
}

export function priceErrors(typed: Record<string, string>, { blankAllowed = false } = {}): Record<string, PriceError> {
  const errors: Record<string, PriceError> = {};
  for (const [field, text] of Object.entries(typed)) {
    const parsed = parsePriceInput(text);
    if (!parsed.ok && !(blankAllowed && parsed.error === 'empty')) {
      errors[field] = parsed.error;
    }
  }
  return errors;
}

/** One channel's own prices: a blank box means "the model's price" (null), sent only when it changed. */
export function changedEndpointPrices(
  stored: Record<string, string | null>,
  typed: Record<string, string>,
): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const [field, text] of Object.entries(typed)) {
    const before = stored[field] ?? null;
    if (text.trim() === '') {
      if (before !== null) {
        changes[field] = null;
      }
      continue;
    }
    const parsed = parsePriceInput(text);
    if (parsed.ok && (before === null || !samePrice(before, parsed.value))) {
      changes[field] = parsed.value;
    }
  }
  return changes;
}

export type MarkupError = 'invalid' | 'precision' | 'range';

/** A markup percentage ("10", "12.5", "-5"): at most two decimals, above -100 and at most 10000. */
export function parseMarkupInput(text: string): { ok: true; value: string } | { ok: false; error: MarkupError | 'empty' } {
  const trimmed = text.trim().replace(/%$/, '').trim();
  if (trimmed === '') {
    return { ok: false, error: 'empty' };
  }
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) {
    return { ok: false, error: 'invalid' };
  }
  const negative = trimmed.startsWith('-');
  const hundredths = shiftDecimal(trimmed.replace('-', ''), 2);
  if (hundredths.includes('.')) {
    return { ok: false, error: 'precision' };
  }
  const bps = BigInt(hundredths) * (negative ? -1n : 1n);
  if (bps <= -10_000n || bps > 1_000_000n) {
    return { ok: false, error: 'range' };
  }
  return { ok: true, value: shiftDecimal(`${negative ? '-' : ''}${shiftDecimal(hundredths, 0)}`, -2) };
}

/** What users pay for a base price under a markup, as the server computes it: rounded half-up to the nano,
 * once. `base` is USD (per million tokens or per unit), `markupPercent` e.g. "12.5". */
export function billedPrice(base: string, markupPercent: string | null): string | null {
  const nanos = usdToNanosExact(base);
  if (nanos === null) {
    return null;
  }
  const markup = parseMarkupInput(markupPercent ?? '0');
  const bps = markup.ok ? BigInt(shiftDecimal(markup.value, 2)) : 0n;
  const billed = (nanos * (10_000n + bps) + 5_000n) / 10_000n;
  return nanosToUsd(billed);
}

/** A limit box: blank = the model's (null); otherwise a whole number of tokens >= 1. */
export function parseLimitInput(text: string): { ok: true; value: number | null } | { ok: false } {
  const trimmed = text.trim().replace(/[,_\s]/g, '');
  if (trimmed === '') {
    return { ok: true, value: null };
  }
  if (!/^\d+$/.test(trimmed) || BigInt(trimmed) < 1n || BigInt(trimmed) > 2_147_483_647n) {
    return { ok: false };
  }
  return { ok: true, value: Number(trimmed) };
}
