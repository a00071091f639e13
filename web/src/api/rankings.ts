// Public figures of this gateway for the Home and Rankings pages: model rankings (GET /api/v1/rankings), the
// number of models served and the providers. The rankings route declares no response model in the OpenAPI
// document, so its shape is written here after src/modelyard/activity/stats.py `rankings()`.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';

import { useCatalogModels } from './catalog';
import { api } from './client';
import { unwrap } from './errors';
import type { components } from './schema';

export const RANK_BY = ['tokens', 'requests', 'spend', 'growth'] as const;
export type RankBy = (typeof RANK_BY)[number];
export const RANK_PERIODS = ['day', 'week', 'month'] as const;
export type RankPeriod = (typeof RANK_PERIODS)[number];
/** One size for every rankings query, so Home and Rankings share their cache. */
export const RANK_LIMIT = 20;

export function isRankBy(value: unknown): value is RankBy {
  return typeof value === 'string' && (RANK_BY as readonly string[]).includes(value);
}

export function isRankPeriod(value: unknown): value is RankPeriod {
  return typeof value === 'string' && (RANK_PERIODS as readonly string[]).includes(value);
}

/** Tokens and requests are integers; spend is a USD decimal string ("12.5"). `growth` measures tokens. */
export type RankValue = number | string;

export interface RankedDay {
  /** A UTC day, "2026-11-30". */
  date: string;
  value: RankValue;
  /** The day still under way (the last one). */
  partial: boolean;
}

export interface RankedModel {
  rank: number;
  /** "author/slug" */
  model: string;
  author: string;
  value: RankValue;
  /** Of the period's total, 0..1; null when the total is 0. */
  share: number | null;
  previous: RankValue;
  /** Against the previous period, in percent (12.5 = +12.5 %); null when the model had no use then. */
  change_percent: number | null;
  daily: RankedDay[];
}

export interface AuthorShare {
  author: string;
  share: number | null;
  value: RankValue;
}

export interface ProviderShare {
  provider: string;
  share: number | null;
  value: RankValue;
}

export interface RankedApp {
  /** The HTTP-Referer the app sent, else its X-Title. */
  app: string;
  title: string | null;
  tokens: number;
  requests: number;
}

export interface Rankings {
  by: RankBy;
  period: RankPeriod;
  /** ISO date-times of the rolling window [since, until), until = the end of the current hour. */
  since: string;
  until: string;
  total: RankValue;
  models: RankedModel[];
  authors: AuthorShare[];
  providers: ProviderShare[];
  apps: RankedApp[];
}

export type Provider = components['schemas']['Provider'];

export const rankingKeys = {
  all: ['rankings'] as const,
  rankings: (by: RankBy, period: RankPeriod, limit: number) => ['rankings', by, period, limit] as const,
  modelCount: ['rankings', 'model-count'] as const,
  providers: ['rankings', 'providers'] as const,
};

export async function fetchRankings(by: RankBy, period: RankPeriod, limit: number = RANK_LIMIT): Promise<Rankings> {
  const body = await unwrap(api.GET('/api/v1/rankings', { params: { query: { by, period, limit } } }));
  return (body as unknown as { data: Rankings }).data;
}

/** Rankings of one measure over one period. While another is loading, the last one stays on screen. */
export function useRankings(by: RankBy, period: RankPeriod, limit: number = RANK_LIMIT) {
  return useQuery<Rankings>({
    queryKey: rankingKeys.rankings(by, period, limit),
    queryFn: () => fetchRankings(by, period, limit),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

/** How many models the catalogue serves. */
export function useModelCount() {
  return useQuery<number>({
    queryKey: rankingKeys.modelCount,
    queryFn: async () => (await unwrap(api.GET('/api/v1/models/count'))).data.count,
    staleTime: 5 * 60_000,
  });
}

export function useProviders() {
  return useQuery<Provider[]>({
    queryKey: rankingKeys.providers,
    queryFn: async () => (await unwrap(api.GET('/api/v1/providers'))).data,
    staleTime: 5 * 60_000,
  });
}

/** Display names of the catalogue's models by slug (empty until the catalogue has loaded, or if it fails). */
export function useModelNames(): ReadonlyMap<string, string> {
  const catalog = useCatalogModels();
  return useMemo(() => new Map((catalog.data ?? []).map((model) => [model.id, model.name])), [catalog.data]);
}

/** The Model page of "author/slug". */
export function modelPath(model: string): string {
  const [author = '', ...rest] = model.split('/');
  return `/models/${encodeURIComponent(author)}/${rest.map(encodeURIComponent).join('/')}`;
}

/** A value as a number, for charts only (money is displayed from its exact string). */
export function numericValue(value: RankValue): number {
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : 0;
}
