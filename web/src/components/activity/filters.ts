// The Activity page's view, all in the URL (useUrlState): the range, the log's filters, the charts' grouping
// and measure, and the open generation. `/activity?key_id=12` (the keys page's link) is one such view.
//
// Ranges: a preset (24h / 7d / 30d) ends at the end of the current hour, as the statistics do, and starts that
// long before; a custom one runs from the start of its first local day to the end of its last (since/until are
// local days, "2026-11-30", or ISO date-times with a zone).
import { GROUP_BY, isGroupBy, isLogStatus, type Bucket, type GroupBy, type LogFilters, type StatsQuery } from '../../api/activity';

export const RANGES = ['24h', '7d', '30d', 'custom'] as const;
export type RangeName = (typeof RANGES)[number];
export const METRICS = ['spend', 'tokens', 'requests'] as const;
export type Metric = (typeof METRICS)[number];
/** The statistics refuse longer ranges. */
export const MAX_RANGE_DAYS = 400;

export const ACTIVITY_DEFAULTS = {
  range: '30d',
  since: '',
  until: '',
  model: '',
  provider: '',
  key_id: '',
  status: '',
  app: '',
  group: 'model',
  metric: 'spend',
  generation: '',
};

export type ActivityUrlState = { [K in keyof typeof ACTIVITY_DEFAULTS]: string };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const PRESET_MS: Record<Exclude<RangeName, 'custom'>, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };
const LOCAL_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isRangeName(value: unknown): value is RangeName {
  return typeof value === 'string' && (RANGES as readonly string[]).includes(value);
}

export function isMetric(value: unknown): value is Metric {
  return typeof value === 'string' && (METRICS as readonly string[]).includes(value);
}

/** The range the URL asks for: custom as soon as it names a since or an until. */
export function rangeName(state: Pick<ActivityUrlState, 'range' | 'since' | 'until'>): RangeName {
  if (state.since !== '' || state.until !== '') {
    return 'custom';
  }
  return isRangeName(state.range) ? state.range : '30d';
}

/** "2026-11-30" as the start of that day in the browser's zone; an ISO date-time as itself; else null. */
export function parseBoundary(value: string, endOfDay = false): Date | null {
  const day = LOCAL_DAY.exec(value);
  if (day) {
    const date = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]) + (endOfDay ? 1 : 0));
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (value === '' || !/\d{4}-\d{2}-\d{2}T/.test(value)) {
    return null;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A local day as the URL writes it: "2026-11-30". */
export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function endOfCurrentHour(now: number): Date {
  return new Date(Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS);
}

export interface ResolvedRange {
  name: RangeName;
  since: Date;
  until: Date;
  /** Hourly buckets up to three days, daily ones beyond. */
  bucket: Bucket;
  /** Whether the log should stop at `until` (a custom range); a preset range's log runs up to now. */
  bounded: boolean;
}

/** The [since, until) the page shows, with the bucket size its charts use. `now` in milliseconds. */
export function resolveRange(state: Pick<ActivityUrlState, 'range' | 'since' | 'until'>, now: number): ResolvedRange {
  const name = rangeName(state);
  const hourEnd = endOfCurrentHour(now);
  if (name !== 'custom') {
    const since = new Date(hourEnd.getTime() - PRESET_MS[name]);
    return { name, since, until: hourEnd, bucket: name === '24h' ? 'hour' : 'day', bounded: false };
  }
  let until = parseBoundary(state.until, true) ?? hourEnd;
  let since = parseBoundary(state.since) ?? new Date(until.getTime() - 30 * DAY_MS);
  if (since.getTime() >= until.getTime()) {
    [since, until] = [until, since];
  }
  if (since.getTime() === until.getTime()) {
    until = new Date(since.getTime() + DAY_MS);
  }
  if (until.getTime() - since.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    since = new Date(until.getTime() - MAX_RANGE_DAYS * DAY_MS);
  }
  const bucket: Bucket = until.getTime() - since.getTime() <= 3 * DAY_MS ? 'hour' : 'day';
  return { name, since, until, bucket, bounded: true };
}

function keyId(value: string): number | undefined {
  const id = Number(value);
  return value !== '' && Number.isInteger(id) && id > 0 ? id : undefined;
}

/** The log's (and the export's) filters for this view. */
export function logFilters(state: ActivityUrlState, range: ResolvedRange): LogFilters {
  const filters: LogFilters = { since: range.since.toISOString() };
  if (range.bounded) {
    filters.until = range.until.toISOString();
  }
  if (state.model !== '') filters.model = state.model;
  if (state.provider !== '') filters.provider = state.provider;
  const key = keyId(state.key_id);
  if (key !== undefined) filters.key_id = key;
  if (isLogStatus(state.status)) filters.status = state.status;
  if (state.app !== '') filters.app = state.app;
  return filters;
}

/** The statistics' query: the same range and the filters they support (model, provider, key). */
export function statsQuery(state: ActivityUrlState, range: ResolvedRange, groupBy?: GroupBy): StatsQuery {
  const query: StatsQuery = { since: range.since.toISOString(), until: range.until.toISOString(), bucket: range.bucket };
  if (groupBy !== undefined) query.group_by = groupBy;
  if (state.model !== '') query.model = state.model;
  if (state.provider !== '') query.provider = state.provider;
  const key = keyId(state.key_id);
  if (key !== undefined) query.key_id = key;
  return query;
}

export function groupBy(state: Pick<ActivityUrlState, 'group'>): GroupBy {
  return isGroupBy(state.group) ? state.group : GROUP_BY[0];
}

export function metric(state: Pick<ActivityUrlState, 'metric'>): Metric {
  return isMetric(state.metric) ? state.metric : 'spend';
}

/** Filters the statistics cannot apply (their rollups carry no status or app): the page says so. */
export function filtersStatsIgnore(state: ActivityUrlState): ('status' | 'app')[] {
  const ignored: ('status' | 'app')[] = [];
  if (isLogStatus(state.status)) ignored.push('status');
  if (state.app !== '') ignored.push('app');
  return ignored;
}

/** How many log filters are set (the range aside). */
export function activeFilterCount(state: ActivityUrlState): number {
  return [state.model, state.provider, keyId(state.key_id) === undefined ? '' : state.key_id, isLogStatus(state.status) ? state.status : '', state.app].filter(
    (value) => value !== '',
  ).length;
}

/** The UTC buckets from `since` to `until` ("2026-11-30T00:00:00.000Z" ...), so a chart shows empty ones too. */
export function bucketStarts(since: Date, until: Date, bucket: Bucket): string[] {
  const step = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const first = Math.floor(since.getTime() / step) * step;
  const starts: string[] = [];
  for (let t = first; t < until.getTime() && starts.length < 24 * MAX_RANGE_DAYS; t += step) {
    starts.push(new Date(t).toISOString());
  }
  return starts;
}
