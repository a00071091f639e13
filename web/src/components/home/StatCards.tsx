import { Button, Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';

import { useModelCount, useProviders, useRankings, type Rankings } from '../../api/rankings';
import { formatCompact, formatNumber } from '../../lib/format';
import { useLocale } from '../rankings/metric';

interface StatProps<T> {
  testId: string;
  label: string;
  hint: string;
  query: UseQueryResult<T>;
  /** The raw number the card shows, once loaded. */
  value: (data: T) => number;
  format: (value: number) => string;
}

function Stat<T>({ testId, label, hint, query, value, format }: StatProps<T>) {
  const { t } = useTranslation();
  const locale = useLocale();
  const raw = query.data === undefined ? null : value(query.data);
  return (
    <Paper withBorder radius="md" p="md" data-testid={testId} data-value={raw ?? undefined} aria-busy={query.isPending || undefined}>
      <Text size="sm" c="dimmed" fw={500} component="h3" m={0}>
        {label}
      </Text>
      {raw !== null ? (
        <Text fz={{ base: 26, sm: 32 }} fw={800} lh={1.2} mt={4} style={{ fontVariantNumeric: 'tabular-nums' }} title={formatNumber(raw, locale)}>
          {format(raw)}
        </Text>
      ) : query.isError ? (
        <div>
          <Text size="sm" c="red" mt={6}>
            {t('home.stats.error')}
          </Text>
          <Button size="compact-xs" variant="default" mt={6} onClick={() => void query.refetch()} loading={query.isFetching}>
            {t('home.stats.retry')}
          </Button>
        </div>
      ) : (
        <Skeleton h={32} w="60%" mt={8} radius="sm" />
      )}
      <Text size="xs" c="dimmed" mt={4}>
        {hint}
      </Text>
    </Paper>
  );
}

function total(data: Rankings): number {
  return typeof data.total === 'number' ? data.total : Number(data.total);
}

/** Live figures: models and providers on offer, tokens this week, requests in the last 24 hours. */
export function StatCards() {
  const { t } = useTranslation();
  const locale = useLocale();
  const models = useModelCount();
  const providers = useProviders();
  const tokens = useRankings('tokens', 'week');
  const requests = useRankings('requests', 'day');
  const count = (value: number) => formatNumber(value, locale);
  const compact = (value: number) => (value < 10_000 ? formatNumber(value, locale) : formatCompact(value, locale));
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} spacing={{ base: 'sm', sm: 'md' }}>
      <Stat testId="stat-models" label={t('home.stats.models')} hint={t('home.stats.modelsHint')} query={models} value={(n) => n} format={count} />
      <Stat
        testId="stat-providers"
        label={t('home.stats.providers')}
        hint={t('home.stats.providersHint')}
        query={providers}
        value={(list) => list.length}
        format={count}
      />
      <Stat testId="stat-tokens-week" label={t('home.stats.tokensWeek')} hint={t('home.stats.tokensWeekHint')} query={tokens} value={total} format={compact} />
      <Stat
        testId="stat-requests-day"
        label={t('home.stats.requestsDay')}
        hint={t('home.stats.requestsDayHint')}
        query={requests}
        value={total}
        format={compact}
      />
    </SimpleGrid>
  );
}
