// A model's use over the last 30 days on this server: requests or tokens per day, and each provider's speed.
import { Alert, Button, Group, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';

import { useModelStats } from '../../api/models';
import { describeError } from '../../lib/describeError';
import { formatCompact, formatLatencyMs, formatNumber } from '../../lib/format';
import { useLocale } from '../models/useLocale';
import { Stat } from './Stat';
import { dailyUsage, usageTotals } from './usage';

const UsageChart = lazy(() => import('./UsageChart'));

export const USAGE_DAYS = 30;

export function UsagePanel({
  author,
  slug,
  metric,
  onMetric,
}: {
  author: string;
  slug: string;
  metric: 'requests' | 'tokens';
  onMetric: (metric: 'requests' | 'tokens') => void;
}) {
  const { t } = useTranslation();
  const locale = useLocale();
  const stats = useModelStats(author, slug, USAGE_DAYS);
  if (stats.isError) {
    return (
      <Alert color="red" title={t('model.usage.error')} role="alert">
        <Stack gap="sm" align="flex-start">
          <Text size="sm">{describeError(stats.error, t, locale)}</Text>
          <Button size="xs" variant="default" onClick={() => void stats.refetch()}>
            {t('models.error.retry')}
          </Button>
        </Stack>
      </Alert>
    );
  }
  const chartSkeleton = <Skeleton height={260} aria-hidden="true" />;
  if (stats.data === undefined) {
    return (
      <Stack role="status" aria-live="polite" gap="md">
        <Text size="sm" c="dimmed">
          {t('model.usage.loading')}
        </Text>
        {chartSkeleton}
      </Stack>
    );
  }
  const days = dailyUsage(stats.data, USAGE_DAYS);
  const totals = usageTotals(days);
  const metricLabel = t(`model.usage.${metric}`);
  const summary = t('model.usage.summary', {
    requests: formatNumber(totals.requests, locale),
    tokens: formatNumber(totals.tokens, locale),
    days: USAGE_DAYS,
  });
  const providers = stats.data.providers.filter((provider) => provider.daily.some((day) => day.requests > 0));
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Stat label={t('model.usage.totalRequests', { days: USAGE_DAYS })} value={formatNumber(totals.requests, locale)} />
        <Stat label={t('model.usage.totalTokens', { days: USAGE_DAYS })} value={formatCompact(totals.tokens, locale)} />
        <Stat label={t('model.usage.totalErrors', { days: USAGE_DAYS })} value={formatNumber(totals.errors, locale)} />
      </SimpleGrid>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Text component="h3" fw={600}>
          {t('model.usage.perDay', { metric: metricLabel })}
        </Text>
        <SegmentedControl
          size="xs"
          value={metric}
          onChange={(value) => onMetric(value === 'tokens' ? 'tokens' : 'requests')}
          aria-label={t('model.usage.metric')}
          data={[
            { value: 'requests', label: t('model.usage.requests') },
            { value: 'tokens', label: t('model.usage.tokens') },
          ]}
        />
      </Group>
      {totals.requests === 0 ? (
        <Text c="dimmed" size="sm" data-testid="usage-empty">
          {t('model.usage.none', { days: USAGE_DAYS })}
        </Text>
      ) : (
        <Suspense fallback={chartSkeleton}>
          <UsageChart days={days} metric={metric} label={metricLabel} summary={summary} />
        </Suspense>
      )}
      {providers.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="xs" data-testid="provider-performance">
            <Table.Caption>{t('model.usage.performanceCaption', { days: USAGE_DAYS })}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('model.providers.provider')}</Table.Th>
                <Table.Th ta="right">{t('model.usage.requests')}</Table.Th>
                <Table.Th ta="right">{t('model.usage.latencyP50')}</Table.Th>
                <Table.Th ta="right">{t('model.usage.ttftP50')}</Table.Th>
                <Table.Th ta="right">{t('model.usage.throughputP50')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {providers.map((provider) => (
                <Table.Tr key={provider.provider ?? '-'}>
                  <Table.Td>{provider.provider ?? t('model.usage.unknownProvider')}</Table.Td>
                  <Table.Td ta="right">
                    {formatNumber(
                      provider.daily.reduce((sum, day) => sum + day.requests, 0),
                      locale,
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{provider.latency_ms_p50 == null ? '—' : formatLatencyMs(provider.latency_ms_p50, locale)}</Table.Td>
                  <Table.Td ta="right">{provider.ttft_ms_p50 == null ? '—' : formatLatencyMs(provider.ttft_ms_p50, locale)}</Table.Td>
                  <Table.Td ta="right">
                    {provider.throughput_p50 == null
                      ? '—'
                      : t('model.providers.tokensPerSecond', {
                          value: formatNumber(provider.throughput_p50, locale, { maximumFractionDigits: 0 }),
                        })}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
