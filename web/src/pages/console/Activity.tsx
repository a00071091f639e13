// Activity: the range's totals, usage over time by model, provider or key, and every request of the view with
// its detail (attempts, cost, raw record), exportable. The whole view lives in the URL.
import { Alert, Anchor, Button, Group, Loader, Paper, SegmentedControl, Select, Skeleton, Stack, Text, Title } from '@mantine/core';
import { lazy, Suspense, useCallback, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { exportUrl, GROUP_BY, useActivityLogs, useActivityStats, useMyKeys, type LogRow } from '../../api/activity';
import { useCatalogModels, type CatalogModel } from '../../api/catalog';
import { ActivityCards } from '../../components/activity/ActivityCards';
import { ActivityFilters, type Option } from '../../components/activity/ActivityFilters';
import { OTHER_KEY } from '../../components/activity/chart';
import {
  ACTIVITY_DEFAULTS,
  bucketStarts,
  filtersStatsIgnore,
  groupBy,
  logFilters,
  metric as metricOf,
  METRICS,
  resolveRange,
  statsQuery,
  type ActivityUrlState,
} from '../../components/activity/filters';
import { GenerationDrawer } from '../../components/activity/GenerationDrawer';
import { LogTable } from '../../components/activity/LogTable';
import { useLocale } from '../../components/rankings/metric';
import { usePageTitle } from '../../hooks/usePageTitle';
import { useUrlState } from '../../hooks/useUrlState';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDateTimeWithZone, formatNumber, timeZoneName } from '../../lib/format';

// The charts library loads with the chart, after the figures are on screen.
const UsageChart = lazy(() => import('../../components/activity/UsageChart'));

export default function ActivityPage() {
  const { t } = useTranslation();
  const locale = useLocale();
  usePageTitle(t('activity.title'));
  const [state, setUrl] = useUrlState(ACTIVITY_DEFAULTS);
  const setState = useCallback((patch: Partial<ActivityUrlState>, options?: { replace?: boolean }) => setUrl(patch, options), [setUrl]);
  // "Now" for the preset ranges: fixed until the page is refreshed, so the queries' keys stay put.
  const [now, setNow] = useState(() => Date.now());
  const range = useMemo(() => resolveRange(state, now), [state, now]);
  const filters = useMemo(() => logFilters(state, range), [state, range]);
  const group = groupBy(state);
  const measure = metricOf(state);
  const stats = useActivityStats(statsQuery(state, range, group));
  const rangeOnly = { since: range.since.toISOString(), until: range.until.toISOString(), bucket: range.bucket };
  const modelStats = useActivityStats({ ...rangeOnly, group_by: 'model' });
  const providerStats = useActivityStats({ ...rangeOnly, group_by: 'provider' });
  const logs = useActivityLogs(filters);
  const keys = useMyKeys();
  const catalog = useCatalogModels();
  const models = useMemo(() => new Map<string, CatalogModel>((catalog.data ?? []).map((model) => [model.id, model])), [catalog.data]);
  const keyNames = useMemo(() => new Map((keys.data ?? []).map((key) => [key.id, key.name])), [keys.data]);
  const keyName = useCallback((id: number) => keyNames.get(id) ?? t('activity.keyNumber', { id }), [keyNames, t]);
  const modelName = useCallback((slug: string) => models.get(slug)?.name ?? slug, [models]);
  const rows = useMemo(() => logs.data?.pages.flatMap((page) => page.data) ?? [], [logs.data]);
  const ids = { log: useId(), chart: useId() };

  const modelOptions: Option[] = (modelStats.data?.groups ?? [])
    .filter((g) => g.group !== null)
    .map((g) => ({ value: String(g.group), label: modelName(String(g.group)) }));
  const providerOptions: Option[] = (providerStats.data?.groups ?? [])
    .filter((g) => g.group !== null)
    .map((g) => ({ value: String(g.group), label: String(g.group) }));
  const keyOptions: Option[] = (keys.data ?? []).map((key) => ({ value: String(key.id), label: `${key.name} (${key.label})` }));
  const groupLabel = (value: string | number | null) => {
    if (value === OTHER_KEY) return t('activity.chart.other');
    if (value === null) return t('activity.chart.none');
    if (group === 'key') return keyName(Number(value));
    if (group === 'model') return modelName(String(value));
    return String(value);
  };
  const ignored = filtersStatsIgnore(state);
  const zone = timeZoneName(locale);
  const open = (row: LogRow) => setState({ generation: row.id });
  const refresh = () => {
    setNow(Date.now());
    void logs.refetch();
  };
  const statsData = stats.data;
  const buckets = useMemo(() => bucketStarts(range.since, range.until, range.bucket), [range]);

  return (
    <Stack gap="lg" data-testid="activity-page">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <div>
          <Title order={1}>{t('activity.title')}</Title>
          <Text c="dimmed" size="sm" maw={720}>
            {t('activity.lead')}
          </Text>
        </div>
        <Button variant="default" onClick={refresh} loading={logs.isRefetching || stats.isFetching} data-testid="activity-refresh">
          {t('activity.refresh')}
        </Button>
      </Group>

      <ActivityFilters state={state} range={range} onChange={setState} models={modelOptions} providers={providerOptions} keys={keyOptions} />

      <Text size="xs" c="dimmed" data-testid="activity-window">
        {t('activity.window', {
          since: formatDateTimeWithZone(range.since, locale),
          until: formatDateTimeWithZone(range.until, locale),
        })}{' '}
        {t('activity.utcNote', { zone })}
      </Text>

      {stats.isError && (
        <Alert color="red" title={t('activity.statsError')}>
          <Group gap="sm">
            <Text size="sm">{describeError(stats.error, t, currentLanguage())}</Text>
            <Button size="xs" variant="default" onClick={() => void stats.refetch()}>
              {t('activity.retry')}
            </Button>
          </Group>
        </Alert>
      )}
      <ActivityCards totals={statsData?.totals} />
      {ignored.length > 0 && (
        <Text size="xs" c="orange" data-testid="stats-ignore-note">
          {t('activity.statsIgnore', { filters: ignored.map((name) => t(`activity.filters.${name}`)).join(', ') })}
        </Text>
      )}

      <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby={ids.chart}>
        <Group justify="space-between" wrap="wrap" gap="sm" mb="sm">
          <Title order={2} size="h4" id={ids.chart}>
            {t('activity.chart.title')}
          </Title>
          <Group gap="sm" wrap="wrap">
            <SegmentedControl
              size="xs"
              value={measure}
              onChange={(value) => setState({ metric: value }, { replace: true })}
              data={METRICS.map((value) => ({ value, label: t(`activity.chart.metric.${value}`) }))}
              aria-label={t('activity.chart.measure')}
              data-testid="chart-metric"
            />
            <Select
              size="xs"
              w={170}
              aria-label={t('activity.chart.groupBy')}
              value={group}
              allowDeselect={false}
              onChange={(value) => value && setState({ group: value }, { replace: true })}
              data={GROUP_BY.map((value) => ({ value, label: t(`activity.chart.by.${value}`) }))}
              data-testid="chart-group"
            />
          </Group>
        </Group>
        {statsData === undefined ? (
          <Skeleton h={280} radius="md" />
        ) : statsData.totals.requests === 0 ? (
          <Text c="dimmed" size="sm" py="xl" ta="center" data-testid="chart-empty">
            {t('activity.chart.empty')}
          </Text>
        ) : (
          <Suspense fallback={<Skeleton h={280} radius="md" />}>
            <UsageChart
              stats={statsData}
              metric={measure}
              grouped
              buckets={buckets}
              bucket={range.bucket}
              groupLabel={groupLabel}
              label={t('activity.chart.aria', { metric: t(`activity.chart.metric.${measure}`), group: t(`activity.chart.by.${group}`) })}
            />
          </Suspense>
        )}
        <Text size="xs" c="dimmed" mt="xs">
          {range.bucket === 'hour' ? t('activity.chart.hourly') : t('activity.chart.daily')}
        </Text>
      </Paper>

      <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby={ids.log}>
        <Group justify="space-between" wrap="wrap" gap="sm" mb="sm">
          <div>
            <Title order={2} size="h4" id={ids.log}>
              {t('activity.log.title')}
            </Title>
            <Text size="xs" c="dimmed">
              {t('activity.log.zone', { zone })}
            </Text>
          </div>
          <Group gap="xs">
            <Text size="sm" c="dimmed" id={`${ids.log}-export`}>
              {t('activity.export.label')}
            </Text>
            <Button component="a" href={exportUrl(filters, 'csv')} download variant="default" size="xs" data-testid="export-csv" aria-describedby={`${ids.log}-export`}>
              {t('activity.export.csv')}
            </Button>
            <Button
              component="a"
              href={exportUrl(filters, 'jsonl')}
              download
              variant="default"
              size="xs"
              data-testid="export-jsonl"
              aria-describedby={`${ids.log}-export`}
            >
              {t('activity.export.jsonl')}
            </Button>
          </Group>
        </Group>
        {logs.isError ? (
          <Alert color="red" title={t('activity.log.error')}>
            <Group gap="sm">
              <Text size="sm">{describeError(logs.error, t, currentLanguage())}</Text>
              <Button size="xs" variant="default" onClick={() => void logs.refetch()}>
                {t('activity.retry')}
              </Button>
            </Group>
          </Alert>
        ) : logs.isPending ? (
          <Stack gap="xs" aria-busy="true" aria-label={t('app.loading')}>
            {Array.from({ length: 6 }, (_, i) => (
              <Skeleton key={i} h={32} radius="sm" />
            ))}
          </Stack>
        ) : rows.length === 0 ? (
          <Stack align="center" gap={6} py="xl" data-testid="log-empty">
            <Text fw={600}>{t('activity.log.empty')}</Text>
            <Text size="sm" c="dimmed" ta="center">
              {t('activity.log.emptyHint')}{' '}
              <Anchor component={Link} to="/playground">
                {t('activity.log.tryPlayground')}
              </Anchor>
            </Text>
          </Stack>
        ) : (
          <Stack gap="sm">
            <LogTable rows={rows} modelName={modelName} onOpen={open} labelledBy={ids.log} />
            <Group justify="space-between" wrap="wrap">
              <Text size="sm" c="dimmed" data-testid="log-count" data-count={rows.length} aria-live="polite">
                {logs.hasNextPage ? t('activity.log.shownMore', { count: rows.length, shown: formatNumber(rows.length, locale) }) : t('activity.log.shownAll', { count: rows.length, shown: formatNumber(rows.length, locale) })}
              </Text>
              {logs.hasNextPage && (
                <Button variant="default" onClick={() => void logs.fetchNextPage()} loading={logs.isFetchingNextPage} data-testid="load-more">
                  {t('activity.log.loadMore')}
                </Button>
              )}
            </Group>
          </Stack>
        )}
        {logs.isFetching && !logs.isPending && !logs.isFetchingNextPage && (
          <Group gap={6} mt="xs" role="status">
            <Loader size={14} />
            <Text size="xs" c="dimmed">
              {t('activity.updating')}
            </Text>
          </Group>
        )}
      </Paper>

      {state.generation !== '' && (
        <GenerationDrawer
          id={state.generation}
          listed={rows.find((row) => row.id === state.generation)}
          models={models}
          keyName={keyName}
          onClose={() => setState({ generation: '' })}
        />
      )}
    </Stack>
  );
}
