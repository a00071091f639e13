// The Credits page's server state: the balance (GET /api/balance), the ledger's transactions with their
// filters, cursor pages and CSV export, code redemption, the low-balance alert, and the spend per day and
// model from the activity statistics. Money arrives as exact USD decimal strings.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { apiFetch, api } from './client';
import { apiError, NetworkError, unwrap } from './errors';
import type { ActivityStats } from './activity';
import type { components } from './schema';

export type { ActivityStats };

type Schemas = components['schemas'];

export type Balance = Schemas['BalanceOut'];
export type Transaction = Schemas['TransactionOut'];
export type TransactionPage = Schemas['TransactionPage'];
export type Redeemed = Schemas['RedeemOut'];
export type AlertSettings = Schemas['AlertSettingsOut'];
export type AlertTest = Schemas['AlertTestOut'];
export type ChannelResult = Schemas['ChannelResultOut'];

/** What the alert form sends: a field left out stays as it is; null clears it (the threshold: the default). */
export interface AlertChange {
  threshold?: string | null;
  email?: string | null;
  webhook_url?: string | null;
}

export const TRANSACTION_TYPES = ['topup', 'usage', 'refund', 'adjustment', 'redemption', 'promo'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export const TRANSACTIONS_PER_PAGE = 25;

export function isTransactionType(value: unknown): value is TransactionType {
  return typeof value === 'string' && (TRANSACTION_TYPES as readonly string[]).includes(value);
}

/** The transaction list's filters as the page keeps them: types, and local calendar days (inclusive). */
export interface TransactionFilter {
  types: readonly TransactionType[];
  /** "2026-11-01": from the start of this day, the viewer's time. */
  from: string | null;
  /** "2026-11-30": to the end of this day, the viewer's time. */
  to: string | null;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start of a local calendar day ("2026-11-30" at 00:00 in the viewer's zone); null for anything else. */
export function localDayStart(day: string | null | undefined): Date | null {
  const match = DAY.exec(day ?? '');
  if (!match) {
    return null;
  }
  const [, year, month, date] = match.map(Number) as [number, number, number, number];
  const start = new Date(year, month - 1, date);
  // Rejects days that do not exist (2026-02-31 would roll over to March).
  return start.getFullYear() === year && start.getMonth() === month - 1 && start.getDate() === date ? start : null;
}

/** The API's query for a filter: `since` inclusive and `until` exclusive, as UTC instants of local days. */
export function transactionQuery(filter: TransactionFilter): { type?: string; since?: string; until?: string } {
  const query: { type?: string; since?: string; until?: string } = {};
  if (filter.types.length > 0) {
    query.type = filter.types.join(',');
  }
  const since = localDayStart(filter.from);
  if (since !== null) {
    query.since = since.toISOString();
  }
  const toStart = localDayStart(filter.to);
  if (toStart !== null) {
    const until = new Date(toStart.getFullYear(), toStart.getMonth(), toStart.getDate() + 1);
    query.until = until.toISOString();
  }
  return query;
}

export const creditKeys = {
  all: ['credits'] as const,
  balance: ['credits', 'balance'] as const,
  transactions: (filter: TransactionFilter, cursor: string | null) =>
    ['credits', 'transactions', filter.types.join(','), filter.from, filter.to, cursor] as const,
  alerts: ['credits', 'alerts'] as const,
  spend: (days: number) => ['credits', 'spend', days] as const,
};

export function useBalance() {
  return useQuery<Balance>({
    queryKey: creditKeys.balance,
    queryFn: () => unwrap(api.GET('/api/balance')),
    refetchInterval: 60_000,
  });
}

export function useTransactions(filter: TransactionFilter, cursor: string | null) {
  return useQuery<TransactionPage>({
    queryKey: creditKeys.transactions(filter, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/balance/transactions', {
          params: { query: { ...transactionQuery(filter), limit: TRANSACTIONS_PER_PAGE, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** The filtered transactions as the server's CSV: a Blob to save, and the file name the server suggests. */
export async function downloadTransactionsCsv(filter: TransactionFilter): Promise<{ blob: Blob; filename: string }> {
  const url = new URL('/api/balance/transactions/export', window.location.origin);
  for (const [name, value] of Object.entries(transactionQuery(filter))) {
    url.searchParams.set(name, value);
  }
  let response: Response;
  try {
    response = await apiFetch(new Request(url, { credentials: 'include', headers: { Accept: 'text/csv' } }));
  } catch (cause) {
    throw new NetworkError(cause);
  }
  if (!response.ok) {
    throw apiError(response, await response.json().catch(() => undefined));
  }
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'modelyard-transactions.csv';
  return { blob: await response.blob(), filename };
}

export function useRedeem() {
  const client = useQueryClient();
  return useMutation<Redeemed, Error, string>({
    mutationFn: (code) => unwrap(api.POST('/api/balance/redeem', { body: { code } })),
    onSuccess: () => client.invalidateQueries({ queryKey: creditKeys.all }),
  });
}

export function useAlertSettings() {
  return useQuery<AlertSettings>({
    queryKey: creditKeys.alerts,
    queryFn: () => unwrap(api.GET('/api/balance/alerts')),
  });
}

export function useUpdateAlertSettings() {
  const client = useQueryClient();
  return useMutation<AlertSettings, Error, AlertChange>({
    mutationFn: (body) => unwrap(api.PUT('/api/balance/alerts', { body })),
    onSuccess: (settings) => client.setQueryData(creditKeys.alerts, settings),
  });
}

export function useTestAlert() {
  return useMutation<AlertTest, Error, void>({
    mutationFn: () => unwrap(api.POST('/api/balance/alerts/test')),
  });
}

// --- activity statistics (GET /api/activity/stats): the types live with the activity API.

/** The start of the UTC day `days - 1` days ago: a window of `days` whole UTC days, today's included. */
export function utcDaysWindowStart(days: number, now: Date = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
}

export async function fetchDailyStats(query: { days: number; group_by?: 'model'; key_id?: number }): Promise<ActivityStats> {
  const since = utcDaysWindowStart(query.days).toISOString();
  return unwrap(
    api.GET('/api/activity/stats', {
      params: {
        query: {
          bucket: 'day',
          since,
          ...(query.group_by ? { group_by: query.group_by } : {}),
          ...(query.key_id !== undefined ? { key_id: query.key_id } : {}),
        },
      },
    }),
  );
}

/** The caller's spend per UTC day and model over the last `days` days. */
export function useSpendByModel(days: number) {
  return useQuery<ActivityStats>({
    queryKey: creditKeys.spend(days),
    queryFn: () => fetchDailyStats({ days, group_by: 'model' }),
    staleTime: 60_000,
  });
}
