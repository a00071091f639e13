// The signed-in user's activity: totals and time series (GET /api/activity/stats), the generation log with
// its cursor (GET /api/activity/logs), one row of it (GET /api/activity/logs/{id}), OpenRouter's generation
// record (GET /api/v1/generation) and the export's address. Their shapes are the OpenAPI document's
// (src/modelyard/api/activity_schemas.py).
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';

import { api } from './client';
import { unwrap } from './errors';
import type { components } from './schema';

export const LOG_STATUSES = ['success', 'error', 'cancelled'] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];
export const GROUP_BY = ['model', 'provider', 'key'] as const;
export type GroupBy = (typeof GROUP_BY)[number];
export type Bucket = 'hour' | 'day';
export const LOG_PAGE_SIZE = 50;

export function isLogStatus(value: unknown): value is LogStatus {
  return typeof value === 'string' && (LOG_STATUSES as readonly string[]).includes(value);
}

export function isGroupBy(value: unknown): value is GroupBy {
  return typeof value === 'string' && (GROUP_BY as readonly string[]).includes(value);
}

type Schemas = components['schemas'];

/** One upstream call of a request, in the order they were tried (the fallback chain). */
export type Attempt = Schemas['Attempt'];
export type LogRow = Schemas['LogRow'];
export type LogPage = Schemas['LogPage'];
export type StatTotals = Schemas['StatTotals'];
export type StatPoint = Schemas['StatPoint'];
export type StatGroup = Schemas['StatGroup'];
export type ActivityStats = Schemas['ActivityStats'];
/** OpenRouter's generation object, as GET /api/v1/generation answers it (shown raw). */
export type Generation = Schemas['Generation'];

/** What the log, its export and (in part) the statistics filter by; absent = no filter. */
export interface LogFilters {
  model?: string;
  provider?: string;
  key_id?: number;
  status?: LogStatus;
  app?: string;
  /** ISO date-times with a zone; [since, until). */
  since?: string;
  until?: string;
}

export interface StatsQuery {
  since: string;
  until: string;
  bucket: Bucket;
  group_by?: GroupBy;
  model?: string;
  provider?: string;
  key_id?: number;
}

export type ApiKeySummary = Schemas['KeyOut'];

export const activityKeys = {
  all: ['activity'] as const,
  stats: (query: StatsQuery) => ['activity', 'stats', query] as const,
  logs: (filters: LogFilters) => ['activity', 'logs', filters] as const,
  log: (id: string) => ['activity', 'log', id] as const,
  generation: (id: string) => ['activity', 'generation', id] as const,
  keys: ['activity', 'keys'] as const,
};

/** Only the filters that are set (the query key and the URL stay the same for the same view). */
export function cleanFilters(filters: LogFilters): LogFilters {
  const clean: LogFilters = {};
  for (const [name, value] of Object.entries(filters) as [keyof LogFilters, LogFilters[keyof LogFilters]][]) {
    if (value !== undefined && value !== '' && !(typeof value === 'number' && !Number.isFinite(value))) {
      (clean as Record<string, unknown>)[name] = value;
    }
  }
  return clean;
}

export function useActivityStats(query: StatsQuery, enabled = true) {
  return useQuery<ActivityStats>({
    queryKey: activityKeys.stats(query),
    queryFn: async () =>
      unwrap(api.GET('/api/activity/stats', { params: { query } })),
    placeholderData: keepPreviousData,
    enabled,
    staleTime: 30_000,
  });
}

export async function fetchLogPage(filters: LogFilters, cursor: number | null, limit = LOG_PAGE_SIZE): Promise<LogPage> {
  const query = { ...cleanFilters(filters), limit, ...(cursor !== null ? { cursor } : {}) };
  return unwrap(api.GET('/api/activity/logs', { params: { query } }));
}

/** The log, newest first, a page at a time ("load more" asks the server for the next one). */
export function useActivityLogs(filters: LogFilters) {
  const clean = cleanFilters(filters);
  return useInfiniteQuery<LogPage, Error, { pages: LogPage[] }, ReturnType<typeof activityKeys.logs>, number | null>({
    queryKey: activityKeys.logs(clean),
    queryFn: ({ pageParam }) => fetchLogPage(clean, pageParam),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 15_000,
  });
}

export function useLogRow(id: string | null) {
  return useQuery<LogRow>({
    queryKey: activityKeys.log(id ?? ''),
    queryFn: async () => {
      const body = await unwrap(api.GET('/api/activity/logs/{generation_id}', { params: { path: { generation_id: id ?? '' } } }));
      return body.data;
    },
    enabled: id !== null && id !== '',
    staleTime: Infinity,
  });
}

export function useGeneration(id: string | null) {
  return useQuery<Generation>({
    queryKey: activityKeys.generation(id ?? ''),
    queryFn: async () => {
      const body = await unwrap(api.GET('/api/v1/generation', { params: { query: { id: id ?? '' } } }));
      return body.data;
    },
    enabled: id !== null && id !== '',
    staleTime: Infinity,
  });
}

/** The caller's API keys (names for the key filter and the per-key chart). */
export function useMyKeys() {
  return useQuery<ApiKeySummary[]>({
    queryKey: activityKeys.keys,
    queryFn: () => unwrap(api.GET('/api/keys')),
    staleTime: 60_000,
  });
}

/** The download address of the filtered log as CSV or JSON lines (the session cookie authorises it). */
export function exportUrl(filters: LogFilters, format: 'csv' | 'jsonl'): string {
  const params = new URLSearchParams({ format });
  for (const [name, value] of Object.entries(cleanFilters(filters))) {
    params.set(name, String(value));
  }
  return `/api/activity/export?${params.toString()}`;
}
