import { describe, expect, it } from 'vitest';

import { apiKey } from './fixtures';
import { limitUsage, spentIn, usageLevel, usedPercent } from './usage';

const USAGE = { total: '7.5', daily: '0.25', weekly: '1.2', monthly: '4' };

describe('a key against its credit limit', () => {
  it('has no bar without a limit', () => {
    expect(limitUsage(apiKey(1, { usage: USAGE }))).toBeNull();
  });

  it('counts the window the limit resets over', () => {
    const key = (limit_reset: 'daily' | 'weekly' | 'monthly' | null) => apiKey(1, { usage: USAGE, limit: '5', limit_reset });
    expect(spentIn(key('daily'), 'daily')).toBe('0.25');
    expect(limitUsage(key('daily'))).toMatchObject({ spent: '0.25', percent: 5, level: 'ok', period: 'daily' });
    expect(limitUsage(key('weekly'))).toMatchObject({ spent: '1.2', percent: 24, level: 'ok' });
    expect(limitUsage(key('monthly'))).toMatchObject({ spent: '4', percent: 80, level: 'high' });
    // A limit that never resets counts everything the key spent.
    expect(limitUsage(key(null))).toMatchObject({ spent: '7.5', percent: 100, level: 'full', period: null });
  });

  it('computes percentages exactly, rounded down to a hundredth, capped at 100', () => {
    expect(usedPercent('0', '5')).toBe(0);
    expect(usedPercent('1', '3')).toBe(33.33);
    expect(usedPercent('2', '3')).toBe(66.66);
    expect(usedPercent('0.000000001', '1')).toBe(0);
    expect(usedPercent('0.1', '0.3')).toBe(33.33); // 0.1/0.3 in floats would be 0.33333333333333337
    expect(usedPercent('0.3', '0.3')).toBe(100);
    expect(usedPercent('12', '10')).toBe(100);
    expect(usedPercent('0', '0')).toBe(100); // a limit of 0 leaves no room at all
    expect(usedPercent('-0.5', '1')).toBe(0); // a refund in the window
  });

  it('is full when nothing remains for new requests, even below 100 %', () => {
    expect(usageLevel(50, '0')).toBe('full');
    expect(usageLevel(79.99, '1')).toBe('ok');
    expect(usageLevel(80, null)).toBe('high');
    expect(limitUsage(apiKey(2, { usage: USAGE, limit: '1', limit_reset: 'daily', limit_remaining: '0' }))?.level).toBe('full');
  });
});
