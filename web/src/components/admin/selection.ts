// Bulk selection in the admin tables: which rows are ticked, the header box's state, and what a bulk action
// applies to (only rows still listed: a row that vanished on a refresh is never acted on).

export type SelectionState = 'none' | 'some' | 'all';

export function toggleOne<T>(selected: ReadonlySet<T>, id: T): Set<T> {
  const next = new Set(selected);
  if (next.has(id)) {
    next.delete(id);
  } else {
    next.add(id);
  }
  return next;
}

/** The header box: ticks every visible row, or unticks them all when every one is ticked already. */
export function toggleAll<T>(selected: ReadonlySet<T>, visible: readonly T[]): Set<T> {
  const next = new Set(selected);
  if (selectionState(selected, visible) === 'all') {
    visible.forEach((id) => next.delete(id));
  } else {
    visible.forEach((id) => next.add(id));
  }
  return next;
}

export function selectionState<T>(selected: ReadonlySet<T>, visible: readonly T[]): SelectionState {
  const ticked = visible.filter((id) => selected.has(id)).length;
  if (ticked === 0) {
    return 'none';
  }
  return ticked === visible.length ? 'all' : 'some';
}

/** The selected rows that still exist, in the list's order. */
export function selectedIn<T>(selected: ReadonlySet<T>, rows: readonly T[]): T[] {
  return rows.filter((id) => selected.has(id));
}

/** Forgets rows that are gone (deleted, or no longer listed). */
export function prune<T>(selected: ReadonlySet<T>, existing: readonly T[]): Set<T> {
  const alive = new Set(existing);
  const next = new Set([...selected].filter((id) => alive.has(id)));
  return next.size === selected.size ? (selected as Set<T>) : next;
}

export interface BulkOutcome<T> {
  done: T[];
  failed: { id: T; error: unknown }[];
}

/** Runs `action` on each id in turn (one request at a time: each is audited and can fail on its own) and
 * reports which succeeded. */
export async function runBulk<T>(ids: readonly T[], action: (id: T) => Promise<unknown>): Promise<BulkOutcome<T>> {
  const outcome: BulkOutcome<T> = { done: [], failed: [] };
  for (const id of ids) {
    try {
      await action(id);
      outcome.done.push(id);
    } catch (error) {
      outcome.failed.push({ id, error });
    }
  }
  return outcome;
}
