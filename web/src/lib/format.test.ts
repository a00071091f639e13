import { describe, expect, it } from 'vitest';

import {
  formatCompact,
  formatDate,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPricePerMillionTokens,
  formatUsd,
  formatUsdNanos,
  nanosToUsd,
  shiftDecimal,
} from './format';

describe('shiftDecimal', () => {
  it('moves the point exactly', () => {
    expect(shiftDecimal('0.00000045', 6)).toBe('0.45');
    expect(shiftDecimal('0.0000032', 6)).toBe('3.2');
    expect(shiftDecimal('0.000015', 6)).toBe('15');
    expect(shiftDecimal('12', 6)).toBe('12000000');
    expect(shiftDecimal('1500000000', -9)).toBe('1.5');
    expect(shiftDecimal('1', -9)).toBe('0.000000001');
    expect(shiftDecimal('-25', -1)).toBe('-2.5');
    expect(shiftDecimal('0', -9)).toBe('0');
    expect(shiftDecimal('-0.0', 3)).toBe('0');
    expect(shiftDecimal('.5', 1)).toBe('5');
  });

  it('refuses what is not a decimal', () => {
    expect(() => shiftDecimal('1e-7', 6)).toThrow();
    expect(() => shiftDecimal('', 6)).toThrow();
    expect(() => shiftDecimal('abc', 6)).toThrow();
  });
});

describe('money', () => {
  it('turns nanos into an exact decimal, also past 2^53', () => {
    expect(nanosToUsd(1_500_000_000)).toBe('1.5');
    expect(nanosToUsd(123)).toBe('0.000000123');
    expect(nanosToUsd(-2_000_000_000)).toBe('-2');
    expect(nanosToUsd(12345678901234567890n)).toBe('12345678901.23456789');
    expect(nanosToUsd('999999999')).toBe('0.999999999');
    expect(() => nanosToUsd(1.5)).toThrow();
  });

  it('formats nanos as US dollars in English and Chinese', () => {
    expect(formatUsdNanos(1_500_000_000, 'en')).toBe('$1.50');
    expect(formatUsdNanos(12_345_670_000_000, 'en')).toBe('$12,345.67');
    expect(formatUsdNanos(1_500_000_000, 'zh-CN')).toMatch(/^US\$1\.50$/);
    expect(formatUsdNanos(0, 'en')).toBe('$0.00');
    expect(formatUsdNanos(-2_500_000_000, 'en')).toBe('-$2.50');
  });

  it('keeps small amounts visible', () => {
    expect(formatUsdNanos(123_400, 'en')).toBe('$0.0001234');
    expect(formatUsdNanos(50_000_000, 'en')).toBe('$0.05');
    expect(formatUsdNanos(12_345_678, 'en')).toBe('$0.0123');
    expect(formatUsd('0.000000001', 'en')).toBe('$0.000000001');
    expect(formatUsd('2.345', 'en', { maximumFractionDigits: 4 })).toBe('$2.345');
  });

  it('rounds the exact decimal, not a float', () => {
    // 0.125 and 1.005 are not exact in binary floating point.
    expect(formatUsd('1.005', 'en')).toBe('$1.01');
    expect(formatUsd('0.125', 'en', { maximumFractionDigits: 2 })).toBe('$0.13');
  });

  it('shows OpenRouter per-token prices per million tokens', () => {
    expect(formatPricePerMillionTokens('0.00000045', 'en')).toBe('$0.45');
    expect(formatPricePerMillionTokens('0.0000032', 'en')).toBe('$3.20');
    expect(formatPricePerMillionTokens('0.000075', 'en')).toBe('$75.00');
    expect(formatPricePerMillionTokens('0.00000000005', 'en')).toBe('$0.0001');
    expect(formatPricePerMillionTokens('0', 'en')).toBe('$0.00');
    expect(formatPricePerMillionTokens('-1', 'en')).toBeNull();
    expect(formatPricePerMillionTokens(undefined, 'en')).toBeNull();
  });
});

describe('numbers, dates and durations', () => {
  it('formats counts in each language', () => {
    expect(formatNumber(1234567, 'en')).toBe('1,234,567');
    expect(formatNumber(1234567, 'zh-CN')).toBe('1,234,567');
    expect(formatCompact(1_200_000, 'en')).toBe('1.2M');
    expect(formatCompact(1_200_000, 'zh-CN')).toBe('120万');
    expect(formatCompact(128_000, 'en')).toBe('128K');
    expect(formatPercent(0.1234, 'en')).toBe('12.3%');
  });

  it('formats dates from Unix seconds, milliseconds and ISO strings', () => {
    const at = Date.UTC(2026, 10, 30, 12);
    expect(formatDate(at / 1000, 'en', 'UTC')).toBe('Nov 30, 2026');
    expect(formatDate(at, 'en', 'UTC')).toBe('Nov 30, 2026');
    expect(formatDate('2026-11-30T12:00:00Z', 'zh-CN', 'UTC')).toBe('2026年11月30日');
  });

  it('says how long to wait', () => {
    expect(formatDuration(900, 'en')).toBe('15 minutes');
    expect(formatDuration(45, 'en')).toBe('45 seconds');
    expect(formatDuration(61, 'en')).toBe('2 minutes');
    expect(formatDuration(3600, 'en')).toBe('1 hour');
    expect(formatDuration(900, 'zh-CN')).toBe('15分钟');
  });
});
