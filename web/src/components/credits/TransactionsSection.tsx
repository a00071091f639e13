import '@mantine/dates/styles.css';
import 'dayjs/locale/zh-cn';

import { Alert, Badge, Box, Button, Code, Group, Loader, MultiSelect, Paper, Skeleton, Stack, Table, Text } from '@mantine/core';
import { DatePickerInput, DatesProvider, type DatesRangeValue } from '@mantine/dates';
import { useMediaQuery } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import {
  downloadTransactionsCsv,
  isTransactionType,
  TRANSACTION_TYPES,
  type Transaction,
  type TransactionFilter,
  useTransactions,
} from '../../api/credits';
import { useUrlState } from '../../hooks/useUrlState';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDateTimeZoned, formatUsd, formatUsdSigned, localTimeZone } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { currentCursor, filterFromUrl, nextCursors, previousCursors, TRANSACTION_URL_DEFAULTS, transactionSource } from './transactions';

const TYPE_COLORS: Record<string, string> = {
  topup: 'teal',
  usage: 'gray',
  refund: 'blue',
  adjustment: 'orange',
  redemption: 'grape',
  promo: 'pink',
};

/** Saves a Blob as a file through a temporary link (a download the browser shows as one). */
function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ExportButton({ filter }: { filter: TransactionFilter }) {
  const { t } = useTranslation();
  const [state, setState] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const run = async () => {
    setState({ busy: true, error: null });
    try {
      const { blob, filename } = await downloadTransactionsCsv(filter);
      saveBlob(blob, filename);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <Stack gap={4} align="flex-end">
      <Button variant="default" onClick={() => void run()} loading={state.busy} data-testid="transactions-export">
        {t('credits.transactions.export')}
      </Button>
      {state.error !== null && (
        <Text size="xs" c="red" role="alert">
          {t('credits.transactions.exportFailed', { reason: describeError(state.error, t, currentLanguage()) })}
        </Text>
      )}
    </Stack>
  );
}

function TypeBadge({ type }: { type: string }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={TYPE_COLORS[type] ?? 'gray'}>
      {isTransactionType(type) ? t(`credits.types.${type}`) : type}
    </Badge>
  );
}

function Source({ transaction }: { transaction: Transaction }) {
  const { t } = useTranslation();
  const source = transactionSource(transaction, t);
  return (
    <Stack gap={0}>
      {source !== null &&
        (source.code ? (
          <Code style={{ wordBreak: 'break-all' }} title={source.text}>
            {source.text}
          </Code>
        ) : (
          <Text size="sm">{source.text}</Text>
        ))}
      {transaction.note && (
        <Text size="sm" c="dimmed" style={{ wordBreak: 'break-word' }}>
          {transaction.note}
        </Text>
      )}
    </Stack>
  );
}

function rowData(transaction: Transaction) {
  return { 'data-testid': 'transaction-row', 'data-id': transaction.id, 'data-type': transaction.type, 'data-amount': transaction.amount };
}

const NUMBER_STYLE = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;

function TransactionRow({ transaction }: { transaction: Transaction }) {
  const locale = useLocale();
  const credit = !transaction.amount.startsWith('-');
  return (
    <Table.Tr {...rowData(transaction)}>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTimeZoned(transaction.created_at, locale)}</Table.Td>
      <Table.Td>
        <TypeBadge type={transaction.type} />
      </Table.Td>
      <Table.Td ta="right" c={credit ? 'teal' : undefined} style={NUMBER_STYLE} title={formatUsdSigned(transaction.amount, locale, { maximumFractionDigits: 9 })}>
        {formatUsdSigned(transaction.amount, locale)}
      </Table.Td>
      <Table.Td ta="right" style={NUMBER_STYLE}>
        {formatUsd(transaction.balance_after, locale)}
      </Table.Td>
      <Table.Td>
        <Source transaction={transaction} />
      </Table.Td>
    </Table.Tr>
  );
}

/** On a phone, each transaction as a small card: type and amount first, then when, the balance, details. */
function TransactionCard({ transaction }: { transaction: Transaction }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const credit = !transaction.amount.startsWith('-');
  return (
    <Paper component="li" withBorder radius="sm" p="xs" {...rowData(transaction)}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <TypeBadge type={transaction.type} />
        <Text fw={700} c={credit ? 'teal' : undefined} style={NUMBER_STYLE}>
          {formatUsdSigned(transaction.amount, locale)}
        </Text>
      </Group>
      <Group justify="space-between" gap="xs" mt={4}>
        <Text size="xs" c="dimmed">
          {formatDateTimeZoned(transaction.created_at, locale)}
        </Text>
        <Text size="xs" c="dimmed" style={NUMBER_STYLE}>
          {t('credits.transactions.balanceAfter')} {formatUsd(transaction.balance_after, locale)}
        </Text>
      </Group>
      <Box mt={4}>
        <Source transaction={transaction} />
      </Box>
    </Paper>
  );
}

/** The ledger: type and date filters and the cursor pages in the URL, newest first, exported as CSV. */
export function TransactionsSection() {
  const { t } = useTranslation();
  const locale = useLocale();
  const [state, setState] = useUrlState(TRANSACTION_URL_DEFAULTS);
  // Below 36em (a phone) the table becomes a list of cards.
  const phone = useMediaQuery('(max-width: 36em)');
  const filter = filterFromUrl(state);
  const cursor = currentCursor(state.cursors);
  const page = useTransactions(filter, cursor);
  // A range being picked (one end chosen); the URL changes once both ends are chosen, or both cleared.
  const [picking, setPicking] = useState<DatesRangeValue<string> | null>(null);
  const pageNumber = cursor === null ? 1 : state.cursors.length + 1;
  const filtered = filter.types.length > 0 || filter.from !== null || filter.to !== null;

  const changeRange = (value: DatesRangeValue<string>) => {
    const [from, to] = value;
    if ((from === null) === (to === null)) {
      setPicking(null);
      setState({ from: from ?? '', to: to ?? '', cursors: [] });
    } else {
      setPicking(value);
    }
  };

  const rows = page.data?.data ?? [];
  return (
    <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby="transactions-title">
      <Group justify="space-between" align="flex-start" gap="sm">
        <div>
          <Text id="transactions-title" component="h2" fz="h4" fw={700}>
            {t('credits.transactions.title')}
          </Text>
          <Text size="sm" c="dimmed" mt={2}>
            {t('credits.transactions.subtitle', { zone: localTimeZone() })}
          </Text>
        </div>
        <ExportButton filter={filter} />
      </Group>
      <Group mt="sm" gap="sm" align="flex-end" wrap="wrap" data-testid="transaction-filters">
        <MultiSelect
          label={t('credits.transactions.type')}
          placeholder={filter.types.length === 0 ? t('credits.transactions.allTypes') : undefined}
          data={TRANSACTION_TYPES.map((type) => ({ value: type, label: t(`credits.types.${type}`) }))}
          value={[...filter.types]}
          onChange={(types) => setState({ type: types, cursors: [] })}
          clearable
          w={{ base: '100%', xs: 300 }}
          data-testid="transaction-type-filter"
          comboboxProps={{ withinPortal: true }}
        />
        <DatesProvider settings={{ locale: locale === 'zh-CN' ? 'zh-cn' : 'en' }}>
          <DatePickerInput
            type="range"
            label={t('credits.transactions.dates')}
            placeholder={t('credits.transactions.anyDate')}
            value={picking ?? [filter.from, filter.to]}
            onChange={changeRange}
            clearable
            allowSingleDateInRange
            maxDate={new Date()}
            valueFormat="YYYY-MM-DD"
            w={{ base: '100%', xs: 260 }}
            data-testid="transaction-date-filter"
          />
        </DatesProvider>
        {filtered && (
          <Button variant="subtle" onClick={() => setState({ type: [], from: '', to: '', cursors: [] })} data-testid="transactions-clear">
            {t('credits.transactions.clear')}
          </Button>
        )}
      </Group>
      {page.isError && (
        <Alert color="red" mt="sm" title={t('credits.transactions.error')}>
          <Group gap="sm">
            <Text size="sm">{describeError(page.error, t, currentLanguage())}</Text>
            <Button size="xs" variant="default" onClick={() => void page.refetch()} loading={page.isFetching}>
              {t('credits.retry')}
            </Button>
          </Group>
        </Alert>
      )}
      {page.data === undefined ? (
        page.isPending && <Skeleton h={240} mt="sm" radius="md" />
      ) : rows.length === 0 ? (
        <Text c="dimmed" size="sm" mt="md" data-testid="transactions-empty">
          {filtered || cursor !== null ? t('credits.transactions.noneMatching') : t('credits.transactions.none')}
        </Text>
      ) : phone ? (
        <Stack
          component="ul"
          gap="xs"
          mt="sm"
          p={0}
          style={{ listStyle: 'none', opacity: page.isPlaceholderData ? 0.6 : 1 }}
          aria-labelledby="transactions-title"
          aria-busy={page.isPlaceholderData || undefined}
          data-testid="transactions-list"
        >
          {rows.map((transaction) => (
            <TransactionCard key={transaction.id} transaction={transaction} />
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={680} mt="sm">
          <Table
            striped
            highlightOnHover
            aria-labelledby="transactions-title"
            aria-busy={page.isPlaceholderData || undefined}
            data-testid="transactions-table"
            style={{ opacity: page.isPlaceholderData ? 0.6 : 1 }}
          >
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('credits.transactions.date')}</Table.Th>
                <Table.Th>{t('credits.transactions.type')}</Table.Th>
                <Table.Th ta="right">{t('credits.transactions.amount')}</Table.Th>
                <Table.Th ta="right">{t('credits.transactions.balanceAfter')}</Table.Th>
                <Table.Th>{t('credits.transactions.details')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((transaction) => (
                <TransactionRow key={transaction.id} transaction={transaction} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group component="nav" aria-label={t('credits.transactions.pages')} justify="space-between" mt="sm" gap="sm">
        <Button
          variant="default"
          disabled={cursor === null}
          onClick={() => setState({ cursors: previousCursors(state.cursors) })}
          data-testid="transactions-previous"
        >
          {t('credits.transactions.previous')}
        </Button>
        <Group gap={6}>
          {page.isFetching && <Loader size={14} />}
          <Text size="sm" c="dimmed" data-testid="transactions-page">
            {t('credits.transactions.page', { page: pageNumber })}
          </Text>
        </Group>
        <Button
          variant="default"
          disabled={!page.data?.next_cursor || page.isPlaceholderData}
          onClick={() => page.data?.next_cursor && setState({ cursors: nextCursors(state.cursors, page.data.next_cursor) })}
          data-testid="transactions-next"
        >
          {t('credits.transactions.next')}
        </Button>
      </Group>
    </Paper>
  );
}
