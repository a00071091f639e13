// The public model catalogue: the marketplace list with its facet counts, and one model with its endpoints
// (providers) and daily usage. Types come from the generated schema; the two routes the OpenAPI document does
// not describe fully (facets take the list's filters as query parameters the document leaves out; stats are a
// free-form object) are typed here after what the server returns (src/modelyard/relay/models_api.py,
// src/modelyard/activity/stats.py).
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';

import { getJson } from './catalog';
import { api } from './client';
import { unwrap } from './errors';
import type { components } from './schema';

type Schemas = components['schemas'];

export type Model = Schemas['Model'];
export type ModelList = Schemas['ModelList'];
export type ModelPricing = Schemas['Pricing'];
export type Facets = Schemas['Facets'];
export type ModelEndpoints = Schemas['ModelEndpoints'];
export type ModelEndpoint = Schemas['Endpoint'];
export type Percentiles = Schemas['Percentiles'];

export const MODEL_SORTS = [
  'most-popular',
  'top-weekly',
  'newest',
  'pricing-low-to-high',
  'pricing-high-to-low',
  'context-high-to-low',
  'throughput-high-to-low',
  'latency-low-to-high',
] as const;
export type ModelSort = (typeof MODEL_SORTS)[number];

export function isModelSort(value: string): value is ModelSort {
  return (MODEL_SORTS as readonly string[]).includes(value);
}

/** The list's query parameters as the server reads them (all optional strings; absent = no filter). */
export interface ModelQuery {
  q?: string;
  sort?: ModelSort;
  input_modalities?: string;
  output_modalities?: string;
  supported_parameters?: string;
  model_authors?: string;
  providers?: string;
  context?: number;
  min_price?: string;
  max_price?: string;
}

export interface ModelPage {
  offset: number;
  limit: number;
}

/** One UTC day of a model's traffic through one provider. */
export interface ModelStatsDay {
  date: string;
  requests: number;
  errors: number;
  error_rate: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  tokens: number;
  /** USD decimal string. */
  spend: string;
  average_latency_ms: number | null;
  latency_ms_p50?: number | null;
  throughput_p50?: number | null;
}

export interface ModelStatsProvider {
  provider: string | null;
  latency_ms_p50: number | null;
  latency_ms_p90: number | null;
  latency_ms_p99: number | null;
  ttft_ms_p50: number | null;
  ttft_ms_p90: number | null;
  ttft_ms_p99: number | null;
  throughput_p50: number | null;
  throughput_p90: number | null;
  throughput_p99: number | null;
  daily: ModelStatsDay[];
}

export interface ModelStats {
  model: string;
  since: string;
  until: string;
  providers: ModelStatsProvider[];
}

export const modelKeys = {
  all: ['models'] as const,
  list: (query: ModelQuery, page: ModelPage) => ['models', 'list', query, page] as const,
  facets: (query: ModelQuery) => ['models', 'facets', query] as const,
  count: (query: ModelQuery) => ['models', 'count', query] as const,
  detail: (id: string) => ['models', 'detail', id] as const,
  endpoints: (id: string) => ['models', 'endpoints', id] as const,
  stats: (id: string, days: number) => ['models', 'stats', id, days] as const,
};

function asParams(query: ModelQuery): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(query) as [string, string | number | undefined][]) {
    if (value !== undefined && value !== '') {
      params[name] = String(value);
    }
  }
  return params;
}

function withoutSort(query: ModelQuery): ModelQuery {
  const filters = { ...query };
  delete filters.sort;
  return filters;
}

/** One page of the catalogue; the previous page stays on screen while the next one loads. */
export function useModelList(query: ModelQuery, page: ModelPage) {
  return useQuery<ModelList>({
    queryKey: modelKeys.list(query, page),
    queryFn: () => unwrap(api.GET('/api/v1/models', { params: { query: { ...query, ...page } } })),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

/** How many models each filter value would leave, given the other filters. */
export function useModelFacets(query: ModelQuery) {
  const filters = withoutSort(query);
  return useQuery<Facets>({
    queryKey: modelKeys.facets(filters),
    queryFn: async () => (await getJson<Schemas['FacetsOut']>('/api/v1/models/facets', asParams(filters))).data,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

/** The query of how many models match `query` (for useQuery / useQueries). */
export function modelCountQuery(query: ModelQuery) {
  const filters = withoutSort(query);
  return {
    queryKey: modelKeys.count(filters),
    queryFn: async () => (await getJson<Schemas['ModelCount']>('/api/v1/models/count', asParams(filters))).data.count,
    staleTime: 60_000,
  };
}

/** How many models match (used where the facets have no dimension, e.g. a minimum context length). */
export function useModelCount(query: ModelQuery, enabled = true) {
  return useQuery<number>({ ...modelCountQuery(query), placeholderData: keepPreviousData, enabled });
}

/** For each query, how many models match; undefined while loading or after a failure. */
export function useModelCounts(queries: ModelQuery[]): (number | undefined)[] {
  return useQueries({ queries: queries.map((query) => modelCountQuery(query)) }).map((result) => result.data);
}

export function useModel(author: string, slug: string) {
  return useQuery<Model>({
    queryKey: modelKeys.detail(`${author}/${slug}`),
    queryFn: async () => (await unwrap(api.GET('/api/v1/models/{author}/{slug}', { params: { path: { author, slug } } }))).data,
    staleTime: 60_000,
  });
}

export function useModelEndpoints(author: string, slug: string, enabled = true) {
  return useQuery<ModelEndpoints>({
    queryKey: modelKeys.endpoints(`${author}/${slug}`),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/models/{author}/{slug}/endpoints', { params: { path: { author, slug } } }))).data,
    staleTime: 30_000,
    enabled,
  });
}

export function useModelStats(author: string, slug: string, days = 30, enabled = true) {
  return useQuery<ModelStats>({
    queryKey: modelKeys.stats(`${author}/${slug}`, days),
    queryFn: async () => {
      const body = await unwrap(
        api.GET('/api/v1/models/{author}/{slug}/stats', { params: { path: { author, slug }, query: { days } } }),
      );
      return (body as { data: ModelStats }).data;
    },
    staleTime: 60_000,
    enabled,
  });
}
