import { Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { StatTotals } from '../../api/activity';
import { formatLatencyMs, formatNumber, formatPercent, formatTokens, formatUsd } from '../../lib/format';
import { useLocale } from '../rankings/metric';

interface CardProps {
  testId: string;
  label: string;
  value: string | null;
  /** The exact figure, for the card's title and the tests. */
  exact?: string;
  hint?: string;
}

function Card({ testId, label, value, exact, hint }: CardProps) {
  return (
    <Paper withBorder radius="md" p="md" data-testid={testId} data-value={exact}>
      <Text size="sm" c="dimmed" fw={500} component="h3" m={0}>
        {label}
      </Text>
      {value === null ? (
        <Skeleton h={30} w="60%" mt={8} radius="sm" />
      ) : (
        <Text fz={{ base: 20, sm: 22 }} fw={800} lh={1.25} mt={4} style={{ fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' }} title={exact}>
          {value}
        </Text>
      )}
      {hint !== undefined && (
        <Text size="xs" c="dimmed" mt={2}>
          {hint}
        </Text>
      )}
    </Paper>
  );
}

/** Spend, tokens, requests, error rate and average latency of the range. */
export function ActivityCards({ totals }: { totals: StatTotals | undefined }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const none = t('activity.cards.none');
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm" data-testid="activity-cards">
      <Card
        testId="card-spend"
        label={t('activity.cards.spend')}
        value={totals ? formatUsd(totals.spend, locale) : null}
        exact={totals?.spend}
      />
      <Card
        testId="card-tokens"
        label={t('activity.cards.tokens')}
        value={totals ? formatTokens(totals.tokens, locale) : null}
        exact={totals ? String(totals.tokens) : undefined}
        hint={
          totals
            ? t('activity.cards.tokensSplit', { input: formatTokens(totals.prompt_tokens, locale), output: formatTokens(totals.completion_tokens, locale) })
            : undefined
        }
      />
      <Card
        testId="card-requests"
        label={t('activity.cards.requests')}
        value={totals ? formatNumber(totals.requests, locale) : null}
        exact={totals ? String(totals.requests) : undefined}
      />
      <Card
        testId="card-errors"
        label={t('activity.cards.errorRate')}
        value={totals ? (totals.error_rate === null ? none : formatPercent(totals.error_rate, locale)) : null}
        exact={totals ? String(totals.errors) : undefined}
        hint={totals ? t('activity.cards.errors', { count: totals.errors }) : undefined}
      />
      <Card
        testId="card-latency"
        label={t('activity.cards.latency')}
        value={totals ? (totals.average_latency_ms === null ? none : formatLatencyMs(totals.average_latency_ms, locale)) : null}
        exact={totals?.average_latency_ms === null || totals === undefined ? undefined : String(totals.average_latency_ms)}
      />
    </SimpleGrid>
  );
}
