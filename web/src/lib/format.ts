// Every money and number the app shows is formatted here, with Intl, for English and Simplified Chinese.
// Money arrives as integer nano-USD (1 USD = 1e9 nanos) or as OpenRouter's decimal USD strings (per token in
// model pricing); it is never turned into a binary float on the way: Intl formats the exact decimal string.

export type Locale = 'en' | 'zh-CN';

const INTL_LOCALE: Record<Locale, string> = { en: 'en-US', 'zh-CN': 'zh-CN' };
export const NANOS_PER_USD = 1_000_000_000n;

function intl(locale: Locale | string): string {
  return INTL_LOCALE[locale as Locale] ?? locale;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Moves a decimal string's point `places` to the right (left when negative), exactly. */
export function shiftDecimal(value: string, places: number): string {
  const match = DECIMAL.exec(value.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new Error(`not a decimal number: ${JSON.stringify(value)}`);
  }
  const sign = match[1] === '-' ? '-' : '';
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  let digits = whole + fraction;
  let point = whole.length + places;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = digits.slice(point).replace(/0+$/, '');
  const result = fracPart ? `${intPart}.${fracPart}` : intPart;
  return sign && /[1-9]/.test(result) ? `-${result}` : result;
}

/** Integer nanos (number, bigint or digit string) as an exact USD decimal string: 1500000000 -> "1.5". */
export function nanosToUsd(nanos: number | bigint | string): string {
  if (typeof nanos === 'number' && !Number.isInteger(nanos)) {
    throw new Error(`nanos must be an integer, got ${nanos}`);
  }
  return shiftDecimal(BigInt(nanos).toString(), -9);
}

type Numeric = `${number}`;

function formatDecimal(value: string, options: Intl.NumberFormatOptions, locale: Locale | string): string {
  // Intl formats a decimal string exactly (no float rounding on the way).
  return new Intl.NumberFormat(intl(locale), options).format(value as Numeric);
}

export interface MoneyOptions {
  /** Most digits after the point; by default 2 from $1 up, 4 from $0.01, else up to 9 (one nano). */
  maximumFractionDigits?: number;
}

function defaultFractionDigits(usd: string): number {
  const magnitude = usd.replace('-', '');
  const [whole = '0', fraction = ''] = magnitude.split('.');
  if (whole !== '0') {
    return 2;
  }
  return fraction.startsWith('00') ? 9 : 4;
}

/** A USD decimal string ("0.0000032", "12.5") as money: "$12.50", "US$12.50" in Chinese. */
export function formatUsd(usd: string, locale: Locale | string, options: MoneyOptions = {}): string {
  const maximumFractionDigits = options.maximumFractionDigits ?? defaultFractionDigits(usd);
  return formatDecimal(
    usd,
    { style: 'currency', currency: 'USD', minimumFractionDigits: Math.min(2, maximumFractionDigits), maximumFractionDigits },
    locale,
  );
}

/** Integer nano-USD as money: formatUsdNanos(1_500_000_000, 'en') === "$1.50". */
export function formatUsdNanos(nanos: number | bigint | string, locale: Locale | string, options: MoneyOptions = {}): string {
  return formatUsd(nanosToUsd(nanos), locale, options);
}

/**
 * OpenRouter's per-token price ("0.00000045") per million tokens ("$0.45"). Null for a price that varies
 * (OpenRouter writes "-1") or is missing: the caller says so in words.
 */
export function formatPricePerMillionTokens(perToken: string | null | undefined, locale: Locale | string): string | null {
  if (perToken === null || perToken === undefined || perToken.trim() === '' || perToken.trim().startsWith('-')) {
    return null;
  }
  const perMillion = shiftDecimal(perToken, 6);
  return formatUsd(perMillion, locale, { maximumFractionDigits: perMillion.startsWith('0.') ? 4 : 2 });
}

export function formatNumber(value: number | bigint, locale: Locale | string, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(intl(locale), options).format(value);
}

/** Short counts: 1.2K / 3.4M in English, 1.2万 / 340万 in Chinese. */
export function formatCompact(value: number | bigint, locale: Locale | string): string {
  return new Intl.NumberFormat(intl(locale), { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

/** Token counts and context lengths: "128K tokens" is the caller's words; this is the number part. */
export function formatTokens(value: number | bigint, locale: Locale | string): string {
  return formatCompact(value, locale);
}

/** A ratio (0.123) as a percentage ("12.3%"). */
export function formatPercent(ratio: number, locale: Locale | string, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(intl(locale), { style: 'percent', maximumFractionDigits }).format(ratio);
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(typeof value === 'number' && value < 1e11 ? value * 1000 : value);
}

/** A day: "Nov 30, 2026" / "2026年11月30日". Numbers below 1e11 are Unix seconds, others milliseconds. */
export function formatDate(value: Date | string | number, locale: Locale | string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intl(locale), { dateStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(toDate(value));
}

export function formatDateTime(value: Date | string | number, locale: Locale | string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intl(locale), {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(toDate(value));
}

/** A wait such as Retry-After: "15 minutes", "45 seconds", "1 hour" ("15分钟" in Chinese). */
export function formatDuration(seconds: number, locale: Locale | string): string {
  const whole = Math.max(0, Math.round(seconds));
  const [amount, unit] =
    whole >= 3600 && whole % 3600 === 0
      ? [whole / 3600, 'hour']
      : whole >= 60
        ? [Math.ceil(whole / 60), 'minute']
        : [whole, 'second'];
  return new Intl.NumberFormat(intl(locale), { style: 'unit', unit, unitDisplay: 'long' }).format(amount);
}

/** Milliseconds as a latency: "850 ms", "1.2 s". */
export function formatLatencyMs(ms: number, locale: Locale | string): string {
  return ms < 1000
    ? new Intl.NumberFormat(intl(locale), { style: 'unit', unit: 'millisecond', unitDisplay: 'short', maximumFractionDigits: 0 }).format(ms)
    : new Intl.NumberFormat(intl(locale), { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 }).format(ms / 1000);
}

// --- Added for the Home and Rankings pages (rankings helper): chart axis days and change percentages.

/** A UTC calendar day ("2026-11-30") as a short axis label: "Nov 30" / "11月30日". */
export function formatDayShort(day: string, locale: Locale | string): string {
  return new Intl.DateTimeFormat(intl(locale), { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** A period-over-period change given in percent (12.5 means +12.5 %): "+12.5%", "-3%", "0%". */
export function formatChangePercent(percent: number, locale: Locale | string, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(intl(locale), { style: 'percent', maximumFractionDigits, signDisplay: 'exceptZero' }).format(percent / 100);
}

// --- Added for the Credits and API keys pages (credits/keys helper): exact USD parsing, signed amounts and
// date-times that name their time zone.

/** A USD decimal string ("2.5", "-0.000001") as integer nanos, exactly; more than 9 decimals is an error. */
export function usdToNanos(usd: string): bigint {
  const shifted = shiftDecimal(usd, 9);
  if (shifted.includes('.')) {
    throw new Error(`more than 9 decimal places: ${JSON.stringify(usd)}`);
  }
  return BigInt(shifted);
}

/** A signed USD amount: "+$2.50" for a credit, "-$0.0012" for a charge, "$0.00" for nothing. */
export function formatUsdSigned(usd: string, locale: Locale | string, options: MoneyOptions = {}): string {
  const maximumFractionDigits = options.maximumFractionDigits ?? defaultFractionDigits(usd);
  return formatDecimal(
    usd,
    {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: Math.min(2, maximumFractionDigits),
      maximumFractionDigits,
      signDisplay: 'exceptZero',
    },
    locale,
  );
}

/** A moment in the viewer's time zone, naming it: "Nov 30, 2026, 3:04 PM GMT+1" / "2026年11月30日 GMT+1 15:04". */
export function formatDateTimeZoned(value: Date | string | number, locale: Locale | string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intl(locale), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(toDate(value));
}

/** The viewer's IANA time zone ("Europe/Berlin"); "UTC" when the browser does not say. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// --- Added for the Activity and Playground pages: local times with their zone, UTC bucket labels, and exact
// decimal arithmetic for cost estimates and for costs that arrive as JSON numbers.

const LOCAL_DATE_TIME: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

/** A moment in the browser's time zone, the zone named: "Nov 30, 2026, 02:03:04 PM GMT+8". */
export function formatDateTimeWithZone(value: Date | string | number, locale: Locale | string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intl(locale), { ...LOCAL_DATE_TIME, timeZoneName: 'short', ...(timeZone ? { timeZone } : {}) }).format(
    toDate(value),
  );
}

/** A moment in the browser's time zone without the year or the zone (a table names the zone once). */
export function formatTimeOfDay(value: Date | string | number, locale: Locale | string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intl(locale), {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(toDate(value));
}

/** The browser's (or `timeZone`'s) short zone name at a moment: "GMT+8", "UTC", "PST". */
export function timeZoneName(locale: Locale | string, at: Date = new Date(), timeZone?: string): string {
  const parts = new Intl.DateTimeFormat(intl(locale), { timeZoneName: 'short', ...(timeZone ? { timeZone } : {}) }).formatToParts(at);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? 'UTC';
}

/** A UTC hour bucket ("2026-11-30T14:00:00+00:00") as an axis label: "Nov 30, 14:00" (UTC). */
export function formatHourUtc(iso: string, locale: Locale | string): string {
  return new Intl.DateTimeFormat(intl(locale), {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  }).format(new Date(iso));
}

/** A decimal string times a whole number, exactly: multiplyDecimal("0.000002", 12) === "0.000024". */
export function multiplyDecimal(decimal: string, factor: number | bigint): string {
  const match = DECIMAL.exec(decimal.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new Error(`not a decimal number: ${JSON.stringify(decimal)}`);
  }
  const fraction = match[3] ?? '';
  const scaled = BigInt(`${match[1] ?? ''}${match[2] || '0'}${fraction}`) * BigInt(factor);
  return shiftDecimal(scaled.toString(), -fraction.length);
}

/** The sum of decimal strings, exactly. */
export function addDecimals(...values: string[]): string {
  const places = Math.max(0, ...values.map((value) => value.split('.')[1]?.length ?? 0));
  const total = values.reduce((sum, value) => sum + BigInt(shiftDecimal(value, places)), 0n);
  return shiftDecimal(total.toString(), -places);
}

/** A USD amount a JSON number carried (usage.cost: 0.000012, 1e-7) as a plain decimal string: "0.0000001".
 * The server writes the shortest form of a value with at most 9 decimals; that form is recovered exactly. */
export function usdNumberToDecimal(value: number): string {
  if (!Number.isFinite(value)) {
    throw new Error(`not a finite amount: ${value}`);
  }
  const text = String(value);
  const exponent = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(text);
  if (exponent === null) {
    return text;
  }
  const [, sign = '', whole = '0', fraction = '', power = '0'] = exponent;
  return shiftDecimal(`${sign}${whole}.${fraction || '0'}`, Number(power));
}
