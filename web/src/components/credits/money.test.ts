// The format helpers the Credits and API keys pages added to lib/format.ts.
import { describe, expect, it } from 'vitest';

import { formatDateTimeZoned, formatUsdSigned, usdToNanos } from '../../lib/format';

describe('exact USD parsing', () => {
  it('turns decimal strings into integer nanos', () => {
    expect(usdToNanos('2.5')).toBe(2_500_000_000n);
    expect(usdToNanos('-0.000000001')).toBe(-1n);
    expect(usdToNanos('0')).toBe(0n);
    expect(usdToNanos('9223372036.854775807')).toBe(9_223_372_036_854_775_807n);
    expect(() => usdToNanos('0.0000000001')).toThrow();
    expect(() => usdToNanos('abc')).toThrow();
  });
});

describe('signed amounts', () => {
  it('mark credits and charges', () => {
    expect(formatUsdSigned('2.5', 'en')).toBe('+$2.50');
    expect(formatUsdSigned('-0.0012', 'en')).toBe('-$0.0012');
    expect(formatUsdSigned('-0.000018', 'en')).toBe('-$0.000018');
    expect(formatUsdSigned('0', 'en')).toBe('$0.00');
    expect(formatUsdSigned('2.5', 'zh-CN')).toBe('+US$2.50');
  });
});

describe('moments with their zone', () => {
  it('name the time zone', () => {
    expect(formatDateTimeZoned('2026-11-30T15:04:00Z', 'en', 'UTC')).toBe('Nov 30, 2026, 3:04 PM UTC');
    expect(formatDateTimeZoned('2026-11-30T15:04:00Z', 'en', 'Asia/Shanghai')).toBe('Nov 30, 2026, 11:04 PM GMT+8');
    expect(formatDateTimeZoned('2026-11-30T15:04:00Z', 'zh-CN', 'UTC')).toBe('2026年11月30日 UTC 15:04');
  });
});
