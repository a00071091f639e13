import { describe, expect, it } from 'vitest';

import { prune, runBulk, selectedIn, selectionState, toggleAll, toggleOne } from './selection';

describe('bulk selection', () => {
  it('ticks and unticks one row', () => {
    const one = toggleOne(new Set<number>(), 3);
    expect([...one]).toEqual([3]);
    expect([...toggleOne(one, 3)]).toEqual([]);
  });

  it('says whether none, some or all visible rows are ticked', () => {
    expect(selectionState(new Set<number>(), [1, 2])).toBe('none');
    expect(selectionState(new Set([1]), [1, 2])).toBe('some');
    expect(selectionState(new Set([1, 2, 9]), [1, 2])).toBe('all');
    expect(selectionState(new Set<number>(), [])).toBe('none');
  });

  it('ticks every visible row, or clears them when all are ticked', () => {
    const some = new Set([1, 9]);
    const all = toggleAll(some, [1, 2, 3]);
    expect([...all].sort()).toEqual([1, 2, 3, 9]);
    // Rows ticked on another page (9) stay ticked when the visible ones are cleared.
    expect([...toggleAll(all, [1, 2, 3])]).toEqual([9]);
  });

  it('acts only on rows still listed, in list order', () => {
    expect(selectedIn(new Set([3, 1, 7]), [1, 2, 3])).toEqual([1, 3]);
    const kept = new Set([1, 2]);
    expect(prune(kept, [1, 2, 3])).toBe(kept);
    expect([...prune(kept, [2, 3])]).toEqual([2]);
  });

  it('reports which bulk actions failed without stopping', async () => {
    const seen: number[] = [];
    const outcome = await runBulk([1, 2, 3], async (id) => {
      seen.push(id);
      if (id === 2) {
        throw new Error('refused');
      }
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(outcome.done).toEqual([1, 3]);
    expect(outcome.failed.map((f) => f.id)).toEqual([2]);
  });
});
