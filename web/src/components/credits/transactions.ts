// The transaction list's state in the URL (filters and the cursor pages walked so far) and how its rows read.
import type { TFunction } from 'i18next';

import { isTransactionType, localDayStart, type Transaction, type TransactionFilter } from '../../api/credits';

/** ?type=topup,usage&from=2026-11-01&to=2026-11-30&cursors=812,790 — `cursors` is the path of `next_cursor`s
 * that led to the page shown (empty: the first page), so Previous goes back one and a reload shows the same. */
export const TRANSACTION_URL_DEFAULTS = { type: [] as string[], from: '', to: '', cursors: [] as string[] };

export interface TransactionUrlState {
  type: readonly string[];
  from: string;
  to: string;
  cursors: readonly string[];
}

export function filterFromUrl(state: TransactionUrlState): TransactionFilter {
  const from = localDayStart(state.from) ? state.from : null;
  const to = localDayStart(state.to) ? state.to : null;
  // A range given backwards is read the right way round.
  const [first, last] = from !== null && to !== null && from > to ? [to, from] : [from, to];
  return { types: state.type.filter(isTransactionType), from: first, to: last };
}

/** The cursor of the page shown: the last one walked, or null for the first page. */
export function currentCursor(cursors: readonly string[]): string | null {
  const last = cursors[cursors.length - 1];
  return last !== undefined && /^\d+$/.test(last) ? last : null;
}

export function nextCursors(cursors: readonly string[], next: string): string[] {
  return [...cursors, next];
}

export function previousCursors(cursors: readonly string[]): string[] {
  return cursors.slice(0, -1);
}

/** Who or what a transaction came from, in words: a code, an administrator, the server's operator, a request. */
export function transactionSource(transaction: Transaction, t: TFunction): { text: string; code: boolean } | null {
  const reference = transaction.reference;
  if (transaction.generation_id) {
    return { text: transaction.generation_id, code: true };
  }
  if (reference === null || reference === '') {
    return null;
  }
  if (reference.startsWith('code:')) {
    return { text: t('credits.transactions.source.code', { id: reference.slice(5) }), code: false };
  }
  if (reference.startsWith('admin:')) {
    return { text: t('credits.transactions.source.admin'), code: false };
  }
  if (reference === 'cli') {
    return { text: t('credits.transactions.source.cli'), code: false };
  }
  return { text: reference, code: true };
}
