// Rankings answers for the component tests (the shape of GET /api/v1/rankings).
import type { RankBy, RankedModel, RankPeriod, Rankings } from '../../api/rankings';

export function rankedModel(rank: number, model: string, value: number | string, extra: Partial<RankedModel> = {}): RankedModel {
  return {
    rank,
    model,
    author: model.split('/')[0] ?? model,
    value,
    share: null,
    previous: 0,
    change_percent: null,
    daily: [],
    ...extra,
  };
}

export function rankings(by: RankBy, period: RankPeriod, models: RankedModel[], extra: Partial<Rankings> = {}): Rankings {
  return {
    by,
    period,
    since: '2026-11-23T10:00:00+00:00',
    until: '2026-11-30T10:00:00+00:00',
    total: models.reduce((sum, m) => sum + Number(m.value), 0),
    models,
    authors: [],
    providers: [],
    apps: [],
    ...extra,
  };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
