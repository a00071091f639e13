import { describe, expect, it } from 'vitest';

import { addDecimals, multiplyDecimal, usdNumberToDecimal } from '../../lib/format';
import { chartRows, chartSeries } from './chart';
import { costLines, linesTotal } from './cost';
import type { ActivityStats, StatTotals } from '../../api/activity';

describe('exact decimals', () => {
  it('multiply and add without floats', () => {
    expect(multiplyDecimal('0.000002', 12)).toBe('0.000024');
    expect(multiplyDecimal('0.0000003', 3)).toBe('0.0000009');
    expect(multiplyDecimal('1.5', 0)).toBe('0');
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('0.000024', '0.00001', '1')).toBe('1.000034');
  });

  it('recover a JSON number of USD as its decimal', () => {
    expect(usdNumberToDecimal(0.000012)).toBe('0.000012');
    expect(usdNumberToDecimal(1e-7)).toBe('0.0000001');
    expect(usdNumberToDecimal(1.5e-9)).toBe('0.0000000015');
    expect(usdNumberToDecimal(0)).toBe('0');
    expect(usdNumberToDecimal(12.5)).toBe('12.5');
  });
});

describe('the cost breakdown', () => {
  it('splits input, cached input, output, reasoning and the per-request fee', () => {
    const lines = costLines(
      { prompt_tokens: 1000, completion_tokens: 500, cached_tokens: 200, reasoning_tokens: 100 },
      { prompt: '0.000001', completion: '0.000002', input_cache_read: '0.0000005', internal_reasoning: '0.000003', request: '0.001' },
    );
    expect(lines).toEqual([
      { part: 'input', units: 800, price: '0.000001', amount: '0.0008' },
      { part: 'cached', units: 200, price: '0.0000005', amount: '0.0001' },
      { part: 'output', units: 400, price: '0.000002', amount: '0.0008' },
      { part: 'reasoning', units: 100, price: '0.000003', amount: '0.0003' },
      { part: 'request', units: 1, price: '0.001', amount: '0.001' },
    ]);
    expect(linesTotal(lines ?? [])).toBe('0.003');
  });

  it('bills cached and reasoning tokens at the plain prices when the model sets none', () => {
    const lines = costLines({ prompt_tokens: 10, completion_tokens: 5, cached_tokens: 4, reasoning_tokens: 2 }, { prompt: '0.000001', completion: '0.000002' });
    expect(lines?.map((line) => [line.part, line.units])).toEqual([
      ['input', 10],
      ['output', 5],
    ]);
  });

  it('gives up without prices or usage', () => {
    expect(costLines({ prompt_tokens: 1, completion_tokens: 1, cached_tokens: null, reasoning_tokens: null }, undefined)).toBeNull();
    expect(costLines({ prompt_tokens: 1, completion_tokens: 1, cached_tokens: null, reasoning_tokens: null }, { prompt: '-1', completion: '0' })).toBeNull();
    expect(costLines({ prompt_tokens: null, completion_tokens: null, cached_tokens: null, reasoning_tokens: null }, { prompt: '0', completion: '0' })).toBeNull();
  });
});

const totals = (requests: number, spend: string, tokens = requests * 10): StatTotals => ({
  requests,
  errors: 0,
  error_rate: 0,
  prompt_tokens: tokens,
  completion_tokens: 0,
  tokens,
  spend,
  average_latency_ms: 100,
});

describe('the usage chart rows', () => {
  const stats: ActivityStats = {
    since: '2026-11-28T00:00:00+00:00',
    until: '2026-11-30T00:00:00+00:00',
    bucket: 'day',
    totals: totals(6, '0.6'),
    series: [],
    groups: [
      { group: 'a/small', ...totals(1, '0.5'), series: [{ time: '2026-11-29T00:00:00+00:00', ...totals(1, '0.5') }] },
      { group: 'b/big', ...totals(5, '0.1'), series: [{ time: '2026-11-28T00:00:00+00:00', ...totals(5, '0.1') }] },
    ],
  };
  const buckets = ['2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z'];

  it('orders the groups by the measure and fills every bucket', () => {
    const bySpend = chartSeries(stats.groups ?? [], 'spend');
    expect(bySpend.map((item) => item.group)).toEqual(['a/small', 'b/big']);
    const byRequests = chartSeries(stats.groups ?? [], 'requests');
    expect(byRequests.map((item) => item.group)).toEqual(['b/big', 'a/small']);
    const rows = chartRows(stats, byRequests, 'requests', buckets);
    expect(rows).toEqual([
      { time: '2026-11-28T00:00:00.000Z', g0: 5, g1: 0 },
      { time: '2026-11-29T00:00:00.000Z', g0: 0, g1: 1 },
    ]);
  });

  it('sums the groups beyond the first few as others', () => {
    const series = chartSeries(stats.groups ?? [], 'spend', 1);
    expect(series.map((item) => item.group)).toEqual(['a/small', 'other']);
    const rows = chartRows(stats, series, 'spend', buckets);
    expect(rows[0]).toEqual({ time: '2026-11-28T00:00:00.000Z', g0: 0, g_other: 0.1 });
  });
});
