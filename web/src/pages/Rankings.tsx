import { Alert, Anchor, Button, Container, Grid, Group, Loader, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { lazy, Suspense, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { isRankBy, isRankPeriod, useModelNames, useRankings, type Rankings as RankingsData } from '../api/rankings';
import { Leaderboard } from '../components/rankings/Leaderboard';
import { formatRankValueExact, useLocale } from '../components/rankings/metric';
import { RankingControls } from '../components/rankings/RankingControls';
import { TopApps } from '../components/rankings/TopApps';
import { CHART_MODELS } from '../components/rankings/trend';
import { usePageTitle } from '../hooks/usePageTitle';
import { useUrlState } from '../hooks/useUrlState';
import { currentLanguage } from '../i18n';
import { describeError } from '../lib/describeError';
import { formatDateTime } from '../lib/format';

// The charts library loads with the charts, after the leaderboard is on screen.
const TrendChart = lazy(() => import('../components/rankings/TrendChart'));
const ShareChart = lazy(() => import('../components/rankings/ShareChart'));

export default function Rankings() {
  const { t } = useTranslation();
  usePageTitle(t('rankings.title'));
  const [state, setState] = useUrlState({ by: 'tokens', period: 'week' });
  const by = isRankBy(state.by) ? state.by : 'tokens';
  const period = isRankPeriod(state.period) ? state.period : 'week';
  const rankings = useRankings(by, period);
  const data = rankings.data;

  return (
    <Container size="xl" py="lg" px={{ base: 0, xs: 'md' }}>
      <Stack gap="lg">
        <div>
          <Title order={1} mb={6}>
            {t('rankings.title')}
          </Title>
          <Text c="dimmed" maw={760}>
            {t('rankings.lead')}
          </Text>
        </div>
        <RankingControls by={by} period={period} onChange={(patch) => setState(patch)} />
        {rankings.isError && (
          <Alert color="red" title={t('rankings.error')} data-testid="rankings-error">
            <Stack gap="xs" align="flex-start">
              <Text size="sm">{describeError(rankings.error, t, currentLanguage())}</Text>
              <Button size="xs" variant="default" onClick={() => void rankings.refetch()} loading={rankings.isFetching}>
                {t('rankings.retry')}
              </Button>
            </Stack>
          </Alert>
        )}
        {data === undefined ? (
          rankings.isPending && <RankingsSkeleton />
        ) : data.models.length === 0 ? (
          <NoTraffic stale={rankings.isPlaceholderData} />
        ) : (
          <RankingsBody data={data} stale={rankings.isPlaceholderData} />
        )}
      </Stack>
    </Container>
  );
}

function RankingsSkeleton() {
  const { t } = useTranslation();
  return (
    <Stack gap="lg" aria-busy="true" aria-label={t('app.loading')} data-testid="rankings-loading">
      <Skeleton h={340} radius="md" />
      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="xs">
            {Array.from({ length: 8 }, (_, i) => (
              <Skeleton key={i} h={36} radius="sm" />
            ))}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Skeleton h={240} radius="md" />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function NoTraffic({ stale }: { stale: boolean }) {
  const { t } = useTranslation();
  return (
    <Paper withBorder radius="md" p="xl" data-testid="rankings-empty" style={{ opacity: stale ? 0.6 : 1 }}>
      <Stack gap="xs" align="center" ta="center">
        <Title order={2} size="h3">
          {t('rankings.empty.title')}
        </Title>
        <Text c="dimmed" maw={560}>
          {t('rankings.empty.body')}
        </Text>
        <Anchor component={Link} to="/models">
          {t('rankings.empty.browse')}
        </Anchor>
      </Stack>
    </Paper>
  );
}

function Section({ title, titleId, subtitle, children }: { title: string; titleId: string; subtitle?: string; children: React.ReactNode }) {
  return (
    <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby={titleId}>
      <Title order={2} size="h4" id={titleId}>
        {title}
      </Title>
      {subtitle !== undefined && (
        <Text size="sm" c="dimmed" mt={2}>
          {subtitle}
        </Text>
      )}
      <Stack mt="sm" gap="sm">
        {children}
      </Stack>
    </Paper>
  );
}

function RankingsBody({ data, stale }: { data: RankingsData; stale: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const names = useModelNames();
  const ids = { chart: useId(), board: useId(), authors: useId(), providers: useId(), apps: useId() };
  const metric = t(`rankings.metric.${data.by}`);
  const periodLong = t(`rankings.periodLong.${data.period}`);
  const charted = Math.min(CHART_MODELS, data.models.length);
  return (
    <Stack gap="lg" data-testid="rankings-body">
      <Group gap="xs" wrap="wrap" data-testid="rankings-summary">
        <Text size="sm">
          {t(`rankings.total.${data.by}`)}{' '}
          <Text component="span" fw={700} data-testid="rankings-total" data-value={String(data.total)}>
            {formatRankValueExact(data.by, data.total, locale)}
          </Text>
        </Text>
        <Text size="sm" c="dimmed">
          ·{' '}
          {t('rankings.window', { since: formatDateTime(data.since, locale), until: formatDateTime(data.until, locale) })}
        </Text>
        {stale && (
          <Group gap={6} role="status">
            <Loader size={14} />
            <Text size="sm" c="dimmed">
              {t('rankings.updating')}
            </Text>
          </Group>
        )}
      </Group>

      <Section
        title={t('rankings.chart.title', { count: charted })}
        titleId={ids.chart}
        subtitle={t('rankings.chart.subtitle', { metric, period: periodLong })}
      >
        <Suspense fallback={<Skeleton h={300} radius="md" />}>
          <TrendChart
            by={data.by}
            models={data.models}
            names={names}
            since={data.since}
            until={data.until}
            label={t('rankings.chart.aria', { count: charted, metric, period: periodLong })}
          />
        </Suspense>
      </Section>

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Section
            title={t('rankings.leaderboard.title')}
            titleId={ids.board}
            subtitle={t('rankings.leaderboard.subtitle', { metric, period: periodLong })}
          >
            <Leaderboard by={data.by} period={data.period} models={data.models} names={names} labelledBy={ids.board} stale={stale} />
          </Section>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="lg">
            <Section title={t('rankings.share.authors')} titleId={ids.authors}>
              <Suspense fallback={<Skeleton h={160} radius="md" />}>
                <ShareChart
                  by={data.by}
                  items={data.authors.map((a) => ({ name: a.author, share: a.share, value: a.value }))}
                  total={data.total}
                  label={t('rankings.share.authors')}
                  nameHeader={t('rankings.leaderboard.author')}
                  testId="share-authors"
                />
              </Suspense>
            </Section>
            <Section title={t('rankings.share.providers')} titleId={ids.providers}>
              {data.providers.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('rankings.share.noProviders')}
                </Text>
              ) : (
                <Suspense fallback={<Skeleton h={160} radius="md" />}>
                  <ShareChart
                    by={data.by}
                    items={data.providers.map((p) => ({ name: p.provider, share: p.share, value: p.value }))}
                    label={t('rankings.share.providers')}
                    nameHeader={t('rankings.share.provider')}
                    testId="share-providers"
                  />
                </Suspense>
              )}
            </Section>
            <Section title={t('rankings.apps.title')} titleId={ids.apps} subtitle={t('rankings.apps.subtitle')}>
              <TopApps apps={data.apps} labelledBy={ids.apps} />
            </Section>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
