import { Alert, Anchor, Button, Grid, Group, Paper, Skeleton, Stack, Table, Text } from '@mantine/core';
import { lazy, Suspense, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { useSpendByModel } from '../../api/credits';
import { useModelNames } from '../../api/rankings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatUsdNanos } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { spendChartData } from './spend';

const SpendChart = lazy(() => import('./SpendChart'));

export const SPEND_DAYS = 30;

/** The last 30 UTC days' spend, stacked by model, and each model's total beside it. */
export function SpendSection() {
  const { t } = useTranslation();
  const locale = useLocale();
  const stats = useSpendByModel(SPEND_DAYS);
  const names = useModelNames();
  const data = useMemo(() => (stats.data ? spendChartData(stats.data, SPEND_DAYS) : null), [stats.data]);
  const total = data ? formatUsdNanos(data.totalNanos, locale) : '';
  return (
    <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby="spend-title">
      <Text id="spend-title" component="h2" fz="h4" fw={700}>
        {t('credits.spend.title', { days: SPEND_DAYS })}
      </Text>
      <Text size="sm" c="dimmed" mt={2}>
        {t('credits.spend.subtitle')}
      </Text>
      <Stack mt="sm" gap="sm">
        {stats.isError && (
          <Alert color="red" title={t('credits.spend.error')}>
            <Group gap="sm">
              <Text size="sm">{describeError(stats.error, t, currentLanguage())}</Text>
              <Button size="xs" variant="default" onClick={() => void stats.refetch()} loading={stats.isFetching}>
                {t('credits.retry')}
              </Button>
            </Group>
          </Alert>
        )}
        {data === null ? (
          stats.isPending && <Skeleton h={280} radius="md" />
        ) : data.models.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="spend-empty">
            {t('credits.spend.empty')}{' '}
            <Anchor component={Link} to="/keys">
              {t('credits.spend.emptyLink')}
            </Anchor>
          </Text>
        ) : (
          <Grid gap="lg">
            <Grid.Col span={{ base: 12, lg: 8 }}>
              <Suspense fallback={<Skeleton h={280} radius="md" />}>
                <SpendChart data={data} names={names} label={t('credits.spend.aria', { days: SPEND_DAYS, total })} />
              </Suspense>
            </Grid.Col>
            <Grid.Col span={{ base: 12, lg: 4 }}>
              <Table aria-label={t('credits.spend.byModel')} data-testid="spend-by-model" verticalSpacing={6}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('credits.spend.model')}</Table.Th>
                    <Table.Th ta="right">{t('credits.spend.amount')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.models.map((item) => (
                    <Table.Tr key={item.model} data-model={item.model}>
                      <Table.Td style={{ wordBreak: 'break-word' }}>{names.get(item.model) ?? item.model}</Table.Td>
                      <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>
                        {formatUsdNanos(item.nanos, locale)}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
                <Table.Tfoot>
                  <Table.Tr>
                    <Table.Th>{t('credits.spend.total')}</Table.Th>
                    <Table.Th ta="right" data-testid="spend-total" style={{ whiteSpace: 'nowrap' }}>
                      {total}
                    </Table.Th>
                  </Table.Tr>
                </Table.Tfoot>
              </Table>
            </Grid.Col>
          </Grid>
        )}
      </Stack>
    </Paper>
  );
}
