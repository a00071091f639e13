import { Alert, Button, Group, Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { type Balance, useBalance, utcDaysWindowStart } from '../../api/credits';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDateTimeZoned, formatUsd } from '../../lib/format';
import { useLocale } from '../rankings/metric';

type Figure = 'balance' | 'held' | 'available' | 'spent_today' | 'spent_this_month';

const FIGURES: { field: Figure; testId: string }[] = [
  { field: 'balance', testId: 'balance-balance' },
  { field: 'held', testId: 'balance-held' },
  { field: 'available', testId: 'balance-available' },
  { field: 'spent_today', testId: 'balance-spent-today' },
  { field: 'spent_this_month', testId: 'balance-spent-month' },
];

function FigureCard({ field, testId, data }: { field: Figure; testId: string; data: Balance | undefined }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const value = data?.[field];
  const main = field === 'available';
  return (
    <Paper withBorder radius="md" p="md" data-testid={testId} data-value={value} aria-busy={value === undefined || undefined}>
      <Text size="sm" c="dimmed" fw={500} component="h3" m={0}>
        {t(`credits.balance.${field}`)}
      </Text>
      {value === undefined ? (
        <Skeleton h={30} w="60%" mt={8} radius="sm" />
      ) : (
        <Text
          fz={{ base: 22, sm: main ? 30 : 26 }}
          fw={800}
          lh={1.2}
          mt={4}
          c={main && value.startsWith('-') ? 'red' : undefined}
          style={{ fontVariantNumeric: 'tabular-nums' }}
          title={formatUsd(value, locale, { maximumFractionDigits: 9 })}
        >
          {formatUsd(value, locale)}
        </Text>
      )}
      <Text size="xs" c="dimmed" mt={4}>
        {t(`credits.balance.${field}Hint`)}
      </Text>
    </Paper>
  );
}

/** Balance, held and available credit, and spend today and this month (UTC days). */
export function BalanceSummary() {
  const { t } = useTranslation();
  const locale = useLocale();
  const balance = useBalance();
  const dayStart = formatDateTimeZoned(utcDaysWindowStart(1), locale);
  return (
    <section aria-labelledby="credits-balance-title">
      <Text id="credits-balance-title" component="h2" fz="h4" fw={700} mb="sm">
        {t('credits.balance.title')}
      </Text>
      {balance.isError && (
        <Alert color="red" mb="sm" title={t('credits.balance.error')}>
          <Group gap="sm">
            <Text size="sm">{describeError(balance.error, t, currentLanguage())}</Text>
            <Button size="xs" variant="default" onClick={() => void balance.refetch()} loading={balance.isFetching}>
              {t('credits.retry')}
            </Button>
          </Group>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        {FIGURES.slice(0, 3).map((figure) => (
          <FigureCard key={figure.field} {...figure} data={balance.data} />
        ))}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" mt="sm">
        {FIGURES.slice(3).map((figure) => (
          <FigureCard key={figure.field} {...figure} data={balance.data} />
        ))}
      </SimpleGrid>
      <Text size="xs" c="dimmed" mt="xs" data-testid="utc-note">
        {t('credits.balance.utcNote', { time: dayStart })}
      </Text>
    </section>
  );
}
