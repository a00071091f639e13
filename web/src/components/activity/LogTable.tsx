// The generations of the view, newest first: one row per request; its time opens the detail drawer (a button,
// so the keyboard reaches it; a click anywhere on the row does the same). On phones, one card per request.
import { Box, Group, Paper, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { LogRow } from '../../api/activity';
import { formatLatencyMs, formatNumber, formatTimeOfDay, formatUsd, timeZoneName } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { StatusBadge } from './StatusBadge';

const NOWRAP = { whiteSpace: 'nowrap' } as const;

export interface LogTableProps {
  rows: LogRow[];
  modelName: (slug: string) => string;
  onOpen: (row: LogRow) => void;
  labelledBy: string;
}

export function LogTable({ rows, modelName, onOpen, labelledBy }: LogTableProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const zone = timeZoneName(locale);
  const dash = '—';
  const tokens = (value: number | null) => (value === null ? dash : formatNumber(value, locale));
  return (
    <>
      <Box visibleFrom="sm">
        <Table.ScrollContainer minWidth={1080} type="native">
          <Table striped highlightOnHover verticalSpacing="xs" fz="sm" aria-labelledby={labelledBy} data-testid="activity-log">
            <Table.Thead>
              <Table.Tr>
                <Table.Th style={NOWRAP}>{t('activity.columns.time', { zone })}</Table.Th>
                <Table.Th style={NOWRAP}>{t('activity.columns.model')}</Table.Th>
                <Table.Th style={NOWRAP}>{t('activity.columns.provider')}</Table.Th>
                <Table.Th style={NOWRAP}>{t('activity.columns.app')}</Table.Th>
                <Table.Th ta="right" style={NOWRAP}>{t('activity.columns.tokens')}</Table.Th>
                <Table.Th ta="right" style={NOWRAP}>{t('activity.columns.cost')}</Table.Th>
                <Table.Th ta="right" style={NOWRAP}>{t('activity.columns.latency')}</Table.Th>
                <Table.Th ta="right" style={NOWRAP}>{t('activity.columns.ttft')}</Table.Th>
                <Table.Th ta="right" style={NOWRAP}>{t('activity.columns.speed')}</Table.Th>
                <Table.Th style={NOWRAP}>{t('activity.columns.status')}</Table.Th>
                <Table.Th style={NOWRAP}>{t('activity.columns.finish')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id} data-testid="log-row" data-generation={row.id} onClick={() => onOpen(row)} style={{ cursor: 'pointer' }}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <UnstyledButton
                      onClick={(event) => {
                        event.stopPropagation();
                        onOpen(row);
                      }}
                      aria-label={t('activity.openDetail', { time: formatTimeOfDay(row.created_at, locale), model: row.model })}
                      data-testid="log-open"
                      style={{ textDecoration: 'underline', textUnderlineOffset: 3, fontSize: 'inherit' }}
                    >
                      {formatTimeOfDay(row.created_at, locale)}
                    </UnstyledButton>
                  </Table.Td>
                  <Table.Td style={{ maxWidth: 240 }}>
                    <Text size="sm" fw={500} truncate="end" title={row.model} data-testid="log-model">
                      {modelName(row.model)}
                    </Text>
                  </Table.Td>
                  <Table.Td style={NOWRAP}>{row.provider ?? dash}</Table.Td>
                  <Table.Td style={{ maxWidth: 160 }}>
                    <Text size="sm" truncate="end" title={row.app ?? undefined}>
                      {row.app ?? dash}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
                    {tokens(row.prompt_tokens)} → {tokens(row.completion_tokens)}
                  </Table.Td>
                  <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="log-cost" data-value={row.cost}>
                    {formatUsd(row.cost, locale)}
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    {formatLatencyMs(row.latency_ms, locale)}
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    {row.ttft_ms === null ? dash : formatLatencyMs(row.ttft_ms, locale)}
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    {row.tokens_per_second === null
                      ? dash
                      : t('activity.speed', { value: formatNumber(row.tokens_per_second, locale, { maximumFractionDigits: 1 }) })}
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={row.status} />
                  </Table.Td>
                  <Table.Td>{row.finish_reason ?? dash}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Box>
      <Stack component="ul" gap="xs" p={0} m={0} hiddenFrom="sm" style={{ listStyle: 'none' }} aria-labelledby={labelledBy}>
        {rows.map((row) => (
          <Paper component="li" key={row.id} withBorder radius="md" p="sm" data-testid="log-card" data-generation={row.id}>
            <Group justify="space-between" gap="xs" wrap="nowrap">
              <UnstyledButton
                onClick={() => onOpen(row)}
                aria-label={t('activity.openDetail', { time: formatTimeOfDay(row.created_at, locale), model: row.model })}
                data-testid="log-card-open"
                style={{ textDecoration: 'underline', textUnderlineOffset: 3, fontSize: 'var(--mantine-font-size-sm)' }}
              >
                {formatTimeOfDay(row.created_at, locale)}
              </UnstyledButton>
              <StatusBadge status={row.status} />
            </Group>
            <Text size="sm" fw={600} mt={4} style={{ overflowWrap: 'anywhere' }}>
              {modelName(row.model)}
            </Text>
            <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              {[
                row.provider,
                row.app,
                `${tokens(row.prompt_tokens)} → ${tokens(row.completion_tokens)}`,
                formatLatencyMs(row.latency_ms, locale),
              ]
                .filter(Boolean)
                .join(' · ')}
            </Text>
            <Text size="sm" fw={700} mt={2}>
              {formatUsd(row.cost, locale)}
            </Text>
          </Paper>
        ))}
      </Stack>
    </>
  );
}
