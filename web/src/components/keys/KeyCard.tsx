import { Alert, Badge, Box, Button, Code, Collapse, Grid, Group, Paper, Progress, SimpleGrid, Skeleton, Stack, Text } from '@mantine/core';
import { lazy, Suspense, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { type ApiKey, type KeyStatus, useKeyUsage, useUpdateKey } from '../../api/keys';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDateTimeZoned, formatNumber, formatUsd, usdToNanos } from '../../lib/format';
import { dailySpendRows } from '../credits/spend';
import { useLocale } from '../rankings/metric';
import { LEVEL_COLORS, limitUsage } from './usage';

const KeyUsageChart = lazy(() => import('./KeyUsageChart'));
export const KEY_USAGE_DAYS = 30;

const STATUS_COLORS: Record<KeyStatus, string> = { active: 'teal', disabled: 'gray', expired: 'orange' };

function Figure({ label, value, testId, raw }: { label: string; value: string; testId: string; raw: string }) {
  return (
    <div data-testid={testId} data-value={raw}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} style={{ fontVariantNumeric: 'tabular-nums' }}>
        {value}
      </Text>
    </div>
  );
}

function LimitBar({ apiKey }: { apiKey: ApiKey }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const usage = limitUsage(apiKey);
  if (usage === null) {
    return (
      <Text size="sm" c="dimmed" data-testid="key-limit">
        {t('keys.card.noLimit')}
      </Text>
    );
  }
  const period = t(`keys.card.per.${usage.period ?? 'never'}`);
  const spent = formatUsd(usage.spent, locale);
  const limit = formatUsd(usage.limit, locale);
  return (
    <Stack gap={4} data-testid="key-limit" data-percent={usage.percent} data-level={usage.level}>
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Text size="sm" fw={500}>
          {t('keys.card.limit', { limit, period })}
        </Text>
        <Text size="sm" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {t('keys.card.used', { spent, limit })}
        </Text>
      </Group>
      <Progress
        value={usage.percent}
        color={LEVEL_COLORS[usage.level]}
        size="md"
        radius="xl"
        aria-label={t('keys.card.limitAria', { percent: formatNumber(usage.percent, locale, { maximumFractionDigits: 1 }), spent, limit, period })}
        data-testid="key-limit-bar"
      />
      {usage.remaining !== null && (
        <Text size="xs" c={usage.level === 'full' ? 'red' : 'dimmed'}>
          {usdToNanos(usage.remaining) > 0n ? t('keys.card.remaining', { remaining: formatUsd(usage.remaining, locale) }) : t('keys.card.exhausted')}
        </Text>
      )}
    </Stack>
  );
}

function KeyUsagePanel({ apiKey, opened }: { apiKey: ApiKey; opened: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const stats = useKeyUsage(apiKey.id, KEY_USAGE_DAYS, opened);
  const rows = useMemo(() => (stats.data ? dailySpendRows(stats.data, KEY_USAGE_DAYS) : null), [stats.data]);
  if (stats.isError) {
    return (
      <Alert color="red" title={t('keys.usage.error')}>
        <Group gap="sm">
          <Text size="sm">{describeError(stats.error, t, currentLanguage())}</Text>
          <Button size="xs" variant="default" onClick={() => void stats.refetch()} loading={stats.isFetching}>
            {t('keys.retry')}
          </Button>
        </Group>
      </Alert>
    );
  }
  if (stats.data === undefined || rows === null) {
    return <Skeleton h={200} radius="md" />;
  }
  const totals = stats.data.totals;
  const spend = formatUsd(totals.spend, locale);
  return (
    <Stack gap="xs" data-testid="key-usage">
      <Text size="sm" c="dimmed">
        {t('keys.usage.summary', {
          days: KEY_USAGE_DAYS,
          requests: formatNumber(totals.requests, locale),
          tokens: formatNumber(totals.tokens, locale),
          spend,
        })}
      </Text>
      <Suspense fallback={<Skeleton h={200} radius="md" />}>
        <KeyUsageChart
          rows={rows}
          label={t('keys.usage.aria', { name: apiKey.name, days: KEY_USAGE_DAYS, spend })}
          seriesLabel={t('keys.usage.spend')}
        />
      </Suspense>
      <Text size="xs" c="dimmed">
        {t('keys.usage.utc')}
      </Text>
    </Stack>
  );
}

/** One key: its name and masked label, status, spend today, this week and this month against its limit, when
 * it was last used and when it expires, its restrictions, and what can be done with it. */
export function KeyCard({ apiKey, onEdit, onDelete }: { apiKey: ApiKey; onEdit: (key: ApiKey) => void; onDelete: (key: ApiKey) => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const update = useUpdateKey();
  const [showUsage, setShowUsage] = useState(false);
  const usageId = useId();
  const titleId = useId();
  const money = (usd: string) => formatUsd(usd, locale);
  const restrictions = [
    apiKey.allowed_models.length > 0 ? t('keys.card.models', { models: apiKey.allowed_models.join(', ') }) : null,
    apiKey.allowed_ips.length > 0 ? t('keys.card.ips', { ips: apiKey.allowed_ips.join(', ') }) : null,
    apiKey.rpm_limit !== null ? t('keys.card.rpm', { rpm: formatNumber(apiKey.rpm_limit, locale) }) : null,
    apiKey.tpm_limit !== null ? t('keys.card.tpm', { tpm: formatNumber(apiKey.tpm_limit, locale) }) : null,
  ].filter((item): item is string => item !== null);
  return (
    <Paper
      component="article"
      withBorder
      radius="md"
      p={{ base: 'sm', sm: 'md' }}
      aria-labelledby={titleId}
      data-testid="key-card"
      data-key-id={apiKey.id}
      data-key-name={apiKey.name}
      data-status={apiKey.status}
    >
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap={6}>
            <Group gap="xs" wrap="wrap">
              <Text component="h2" id={titleId} fw={700} fz="lg" m={0} style={{ wordBreak: 'break-word' }}>
                {apiKey.name}
              </Text>
              <Badge color={STATUS_COLORS[apiKey.status]} variant="light" data-testid="key-status">
                {t(`keys.status.${apiKey.status}`)}
              </Badge>
              {apiKey.is_playground && (
                <Badge color="grape" variant="light" data-testid="key-playground">
                  {t('keys.card.playground')}
                </Badge>
              )}
              {apiKey.is_management && (
                <Badge color="blue" variant="light">
                  {t('keys.card.management')}
                </Badge>
              )}
            </Group>
            <Group gap={6} wrap="wrap">
              <Text size="sm" c="dimmed">
                {t('keys.card.label')}
              </Text>
              <Code data-testid="key-label" style={{ wordBreak: 'break-all' }}>
                {apiKey.label}
              </Code>
            </Group>
            {apiKey.is_playground && (
              <Text size="sm" c="dimmed" data-testid="key-playground-note">
                {t('keys.card.playgroundNote')}
              </Text>
            )}
            <Text size="sm" c="dimmed">
              {t('keys.card.lastUsed')}{' '}
              <Text component="span" size="sm" c="var(--mantine-color-text)" data-testid="key-last-used">
                {apiKey.last_used_at ? formatDateTimeZoned(apiKey.last_used_at, locale) : t('keys.card.never')}
              </Text>
            </Text>
            <Text size="sm" c="dimmed">
              {t('keys.card.expires')}{' '}
              <Text component="span" size="sm" c={apiKey.status === 'expired' ? 'orange' : 'var(--mantine-color-text)'} data-testid="key-expires">
                {apiKey.expires_at ? formatDateTimeZoned(apiKey.expires_at, locale) : t('keys.card.never')}
              </Text>
            </Text>
            {restrictions.length > 0 && (
              <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }} data-testid="key-restrictions">
                {restrictions.join(' · ')}
              </Text>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 2, xs: 4 }} spacing="xs">
              <Figure label={t('keys.card.today')} value={money(apiKey.usage.daily)} raw={apiKey.usage.daily} testId="key-usage-today" />
              <Figure label={t('keys.card.week')} value={money(apiKey.usage.weekly)} raw={apiKey.usage.weekly} testId="key-usage-week" />
              <Figure label={t('keys.card.month')} value={money(apiKey.usage.monthly)} raw={apiKey.usage.monthly} testId="key-usage-month" />
              <Figure label={t('keys.card.total')} value={money(apiKey.usage.total)} raw={apiKey.usage.total} testId="key-usage-total" />
            </SimpleGrid>
            <LimitBar apiKey={apiKey} />
          </Stack>
        </Grid.Col>
      </Grid>
      <Group gap="xs" mt="sm" wrap="wrap">
        <Button
          size="xs"
          variant="light"
          onClick={() => setShowUsage((open) => !open)}
          aria-expanded={showUsage}
          aria-controls={usageId}
          data-testid="key-usage-toggle"
        >
          {showUsage ? t('keys.actions.hideUsage') : t('keys.actions.usage')}
        </Button>
        <Button size="xs" variant="default" component={Link} to={`/activity?key_id=${apiKey.id}`} data-testid="key-activity">
          {t('keys.actions.activity')}
        </Button>
        <Button size="xs" variant="default" onClick={() => onEdit(apiKey)} data-testid="key-edit">
          {t('keys.actions.edit')}
        </Button>
        <Button
          size="xs"
          variant="default"
          loading={update.isPending}
          onClick={() => update.mutate({ id: apiKey.id, change: { disabled: !apiKey.disabled } })}
          data-testid="key-toggle"
        >
          {apiKey.disabled ? t('keys.actions.enable') : t('keys.actions.disable')}
        </Button>
        {!apiKey.is_playground && (
          <Button size="xs" variant="subtle" color="red" onClick={() => onDelete(apiKey)} data-testid="key-delete">
            {t('keys.actions.delete')}
          </Button>
        )}
      </Group>
      {update.error !== null && (
        <Text size="sm" c="red" mt="xs" role="alert">
          {describeError(update.error, t, currentLanguage())}
        </Text>
      )}
      <Collapse expanded={showUsage} id={usageId}>
        <Box mt="sm">{showUsage && <KeyUsagePanel apiKey={apiKey} opened={showUsage} />}</Box>
      </Collapse>
    </Paper>
  );
}

