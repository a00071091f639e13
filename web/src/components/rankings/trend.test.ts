import { describe, expect, it } from 'vitest';

import { rankedModel } from './fixtures';
import { shareSlices } from './share';
import { trendRows, trendSeries, windowDays } from './trend';

describe('the trend chart rows', () => {
  it('cover every UTC day of the window, with the last one partial', () => {
    expect(windowDays('2026-11-27T10:00:00+00:00', '2026-11-30T10:00:00+00:00')).toEqual([
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
    ]);
    const models = [
      rankedModel(1, 'acme/gpt-4.1', 30, {
        daily: [
          { date: '2026-11-28', value: 10, partial: false },
          { date: '2026-11-30', value: 20, partial: true },
        ],
      }),
      rankedModel(2, 'acme/b', '0.5', { daily: [{ date: '2026-11-29', value: '0.5', partial: false }] }),
    ];
    const series = trendSeries(models);
    expect(series.map((s) => s.key)).toEqual(['m0', 'm1']);
    const rows = trendRows(models, series, '2026-11-27T10:00:00+00:00', '2026-11-30T10:00:00+00:00');
    expect(rows).toEqual([
      { date: '2026-11-27', partial: false, m0: 0, m1: 0 },
      { date: '2026-11-28', partial: false, m0: 10, m1: 0 },
      { date: '2026-11-29', partial: false, m0: 0, m1: 0.5 },
      { date: '2026-11-30', partial: true, m0: 20, m1: 0 },
    ]);
  });

  it('stack at most eight models', () => {
    const models = Array.from({ length: 12 }, (_, i) => rankedModel(i + 1, `a/m${i}`, 12 - i));
    expect(trendSeries(models)).toHaveLength(8);
  });
});

describe('share slices', () => {
  it('keep the largest and put the rest in "others", money exactly', () => {
    const items = Array.from({ length: 9 }, (_, i) => ({ name: `p${i}`, share: 0.1, value: '0.1' }));
    items.push({ name: 'p9', share: 0.1, value: '0.1' });
    const slices = shareSlices(items, 'Others', '1.0');
    expect(slices).toHaveLength(8);
    expect(slices[7]).toMatchObject({ key: '__others__', name: 'Others', value: '0.3' });
    expect(slices[7]!.share).toBeCloseTo(0.3);
  });

  it('add no "others" when the list is all there is', () => {
    const slices = shareSlices(
      [
        { name: 'a', share: 0.75, value: 3 },
        { name: 'b', share: 0.25, value: 1 },
      ],
      'Others',
    );
    expect(slices.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('sum listed items beyond the slices when no total is given', () => {
    const items = [0.5, 0.2, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01].map((share, i) => ({ name: `x${i}`, share, value: share * 100 }));
    const slices = shareSlices(items, 'Others');
    expect(slices.at(-1)).toMatchObject({ name: 'Others' });
    expect(slices.at(-1)!.value).toBeCloseTo(3);
  });
});
