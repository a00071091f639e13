import { describe, expect, it } from 'vitest';

import { localDayStart, transactionQuery, utcDaysWindowStart } from '../../api/credits';
import i18n from '../../i18n';
import { currentCursor, filterFromUrl, nextCursors, previousCursors, TRANSACTION_URL_DEFAULTS, transactionSource } from './transactions';
import { spendChartData, utcDays } from './spend';
import { parseUsdInput } from './usdInput';

describe('the transaction filters', () => {
  it('read the URL, dropping what is not a type or a day', () => {
    expect(filterFromUrl(TRANSACTION_URL_DEFAULTS)).toEqual({ types: [], from: null, to: null });
    expect(filterFromUrl({ type: ['topup', 'bonus', 'usage'], from: '2026-11-01', to: '2026-02-31', cursors: [] })).toEqual({
      types: ['topup', 'usage'],
      from: '2026-11-01',
      to: null,
    });
    // Backwards is read the right way round.
    expect(filterFromUrl({ type: [], from: '2026-11-30', to: '2026-11-01', cursors: [] })).toMatchObject({ from: '2026-11-01', to: '2026-11-30' });
  });

  it('ask the API for whole local days, as UTC instants', () => {
    expect(transactionQuery({ types: [], from: null, to: null })).toEqual({});
    const query = transactionQuery({ types: ['topup', 'refund'], from: '2026-11-01', to: '2026-11-30' });
    expect(query.type).toBe('topup,refund');
    expect(query.since).toBe(new Date(2026, 10, 1).toISOString());
    expect(query.until).toBe(new Date(2026, 11, 1).toISOString()); // the end of Nov 30, exclusive
    expect(localDayStart('2026-13-01')).toBeNull();
    expect(localDayStart('yesterday')).toBeNull();
  });

  it('walk cursor pages forwards and back', () => {
    expect(currentCursor([])).toBeNull();
    const second = nextCursors([], '812');
    const third = nextCursors(second, '790');
    expect(third).toEqual(['812', '790']);
    expect(currentCursor(third)).toBe('790');
    expect(previousCursors(third)).toEqual(['812']);
    expect(previousCursors(['812'])).toEqual([]);
    expect(currentCursor(['abc'])).toBeNull();
  });

  it('say where a transaction came from', async () => {
    await i18n.changeLanguage('en');
    const base = { id: 1, type: 'topup', amount: '1', balance_after: '1', note: null, generation_id: null, created_at: '2026-11-30T00:00:00Z' };
    expect(transactionSource({ ...base, reference: 'code:12' }, i18n.t)).toEqual({ text: 'Redemption code #12', code: false });
    expect(transactionSource({ ...base, reference: 'admin:3' }, i18n.t)?.text).toBe('Added by an administrator');
    expect(transactionSource({ ...base, reference: 'cli' }, i18n.t)?.text).toBe("Added by the server's operator");
    expect(transactionSource({ ...base, type: 'usage', reference: 'gen-1', generation_id: 'gen-1' }, i18n.t)).toEqual({ text: 'gen-1', code: true });
    expect(transactionSource({ ...base, reference: null }, i18n.t)).toBeNull();
  });
});

describe('typed USD amounts', () => {
  it('are exact decimal strings or nothing', () => {
    expect(parseUsdInput('5')).toBe('5');
    expect(parseUsdInput(' $2.50 ')).toBe('2.50');
    expect(parseUsdInput('.5')).toBe('0.5');
    expect(parseUsdInput('3.')).toBe('3');
    expect(parseUsdInput('0.000000001')).toBe('0.000000001');
    for (const bad of ['', '-1', '1e3', '1.0000000001', 'five', '1,5']) {
      expect(parseUsdInput(bad), bad).toBeNull();
    }
  });
});

describe('the spend chart', () => {
  const point = (time: string, spend: string) => ({ time, spend, requests: 1, errors: 0, error_rate: 0, prompt_tokens: 1, completion_tokens: 1, tokens: 2, average_latency_ms: 1 });
  const group = (model: string, spend: string, series: ReturnType<typeof point>[]) => ({ group: model, ...point('', spend), series });

  it('has a row per UTC day and the top models as series, the rest as others', () => {
    const stats = {
      since: '2026-11-28T00:00:00+00:00',
      until: '2026-12-01T00:00:00+00:00',
      bucket: 'day' as const,
      totals: point('', '3.000000003'),
      series: [],
      groups: [
        group('small/one', '0.000000001', [point('2026-11-29T00:00:00+00:00', '0.000000001')]),
        group('big/one', '2', [point('2026-11-28T00:00:00+00:00', '1.5'), point('2026-11-30T00:00:00+00:00', '0.5')]),
        group('mid/one', '1.000000002', [point('2026-11-30T00:00:00+00:00', '1.000000002')]),
        group('free/one', '0', [point('2026-11-30T00:00:00+00:00', '0')]),
      ],
    };
    const data = spendChartData(stats, 3, 2);
    expect(data.series.map((s) => s.model)).toEqual(['big/one', 'mid/one', null]);
    expect(data.rows).toEqual([
      { date: '2026-11-28', m0: 1_500_000_000, m1: 0, others: 0 },
      { date: '2026-11-29', m0: 0, m1: 0, others: 1 },
      { date: '2026-11-30', m0: 500_000_000, m1: 1_000_000_002, others: 0 },
    ]);
    // Models that cost nothing are left out; the total is exact.
    expect(data.models.map((m) => m.model)).toEqual(['big/one', 'mid/one', 'small/one']);
    expect(data.totalNanos).toBe(3_000_000_003n);
  });

  it('counts UTC days from the window start', () => {
    expect(utcDays('2026-02-27T00:00:00+00:00', 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    const start = utcDaysWindowStart(30, new Date(Date.UTC(2026, 10, 30, 23, 59)));
    expect(start.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});
