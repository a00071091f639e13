// One request in full: what was asked and what answered, tokens and what they cost, timings, every attempt of
// the fallback chain, and OpenRouter's raw generation record.
import { Alert, Box, Button, Code, CopyButton, Drawer, Group, Loader, ScrollArea, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { useGeneration, useLogRow, type LogRow } from '../../api/activity';
import type { CatalogModel } from '../../api/catalog';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import {
  formatDateTimeWithZone,
  formatLatencyMs,
  formatNumber,
  formatPricePerMillionTokens,
  formatUsd,
} from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { AttemptChain } from './AttemptChain';
import { costLines, linesTotal } from './cost';
import { StatusBadge } from './StatusBadge';

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Box style={{ minWidth: 0 }}>
      <Text component="dt" size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="dd" m={0} size="sm" style={{ overflowWrap: 'anywhere' }} data-testid={testId}>
        {children}
      </Text>
    </Box>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box component="section">
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      {children}
    </Box>
  );
}

export interface GenerationDrawerProps {
  id: string;
  /** The row as the log listed it, shown at once while the full one loads. */
  listed?: LogRow;
  models: ReadonlyMap<string, CatalogModel>;
  keyName: (id: number) => string;
  onClose: () => void;
}

export function GenerationDrawer({ id, listed, models, keyName, onClose }: GenerationDrawerProps) {
  const { t } = useTranslation();
  const phone = useMediaQuery('(max-width: 48em)');
  const fetched = useLogRow(id);
  const row = fetched.data ?? listed;
  return (
    <Drawer
      opened
      onClose={onClose}
      position="right"
      size={phone ? '100%' : 'xl'}
      title={<Text fw={700}>{t('activity.detail.title')}</Text>}
      closeButtonProps={{ 'aria-label': t('activity.detail.close') }}
      data-testid="generation-drawer"
    >
      {row === undefined ? (
        fetched.isError ? (
          <Alert color="red" title={t('activity.detail.error')}>
            {describeError(fetched.error, t, currentLanguage())}
          </Alert>
        ) : (
          <Group justify="center" py="xl" role="status">
            <Loader size="sm" />
            <Text size="sm">{t('app.loading')}</Text>
          </Group>
        )
      ) : (
        <DrawerBody row={row} models={models} keyName={keyName} />
      )}
    </Drawer>
  );
}

function DrawerBody({ row, models, keyName }: { row: LogRow; models: ReadonlyMap<string, CatalogModel>; keyName: (id: number) => string }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const generation = useGeneration(row.id);
  const model = models.get(row.model);
  const lines = costLines(row, model?.pricing);
  const tokens = (value: number | null) => (value === null ? t('activity.detail.notReported') : formatNumber(value, locale));
  const raw = generation.data === undefined ? '' : JSON.stringify(generation.data, null, 2);
  return (
    <Stack gap="lg" data-testid="generation-detail" data-generation={row.id}>
      <Box>
        <Group gap="xs" wrap="wrap">
          <Title order={2} size="h4" style={{ overflowWrap: 'anywhere' }}>
            {model?.name ?? row.model}
          </Title>
          <StatusBadge status={row.status} />
        </Group>
        <Text size="sm" c="dimmed">
          {formatDateTimeWithZone(row.created_at, locale)}
        </Text>
        <Group gap={6} mt={4} wrap="nowrap">
          <Code style={{ overflowWrap: 'anywhere' }} data-testid="generation-id">
            {row.id}
          </Code>
          <CopyButton value={row.id}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="subtle" onClick={copy}>
                {copied ? t('activity.detail.copied') : t('activity.detail.copyId')}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Box>

      {row.status === 'error' && (row.error_message || row.error_type) && (
        <Alert color="red" title={row.error_type ?? t('activity.status.error')} data-testid="generation-error">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {row.error_message}
          </Text>
        </Alert>
      )}

      <Section title={t('activity.detail.overview')}>
        <SimpleGrid component="dl" cols={{ base: 1, xs: 2 }} spacing="sm" m={0}>
          <Fact label={t('activity.columns.model')}>{row.model}</Fact>
          {row.requested_model && row.requested_model !== row.model && <Fact label={t('activity.detail.requested')}>{row.requested_model}</Fact>}
          <Fact label={t('activity.columns.provider')}>{row.provider ?? '—'}</Fact>
          {row.upstream_model && <Fact label={t('activity.detail.upstreamModel')}>{row.upstream_model}</Fact>}
          <Fact label={t('activity.detail.key')}>{keyName(row.api_key_id)}</Fact>
          <Fact label={t('activity.columns.app')}>{row.app ?? '—'}</Fact>
          <Fact label={t('activity.detail.stream')}>{row.streamed ? t('activity.detail.yes') : t('activity.detail.no')}</Fact>
          <Fact label={t('activity.detail.httpStatus')}>{row.http_status}</Fact>
          <Fact label={t('activity.columns.finish')}>{row.finish_reason ?? '—'}</Fact>
          {row.api_type && <Fact label={t('activity.detail.apiType')}>{row.api_type}</Fact>}
        </SimpleGrid>
      </Section>

      <Section title={t('activity.detail.timing')}>
        <SimpleGrid component="dl" cols={{ base: 2, xs: 3 }} spacing="sm" m={0}>
          <Fact label={t('activity.columns.latency')}>{formatLatencyMs(row.latency_ms, locale)}</Fact>
          <Fact label={t('activity.columns.ttft')}>{row.ttft_ms === null ? '—' : formatLatencyMs(row.ttft_ms, locale)}</Fact>
          <Fact label={t('activity.columns.speed')}>
            {row.tokens_per_second === null ? '—' : t('activity.speed', { value: formatNumber(row.tokens_per_second, locale, { maximumFractionDigits: 1 }) })}
          </Fact>
        </SimpleGrid>
      </Section>

      <Section title={t('activity.detail.cost')}>
        <Stack gap="xs">
          <SimpleGrid component="dl" cols={{ base: 2, xs: 4 }} spacing="sm" m={0}>
            <Fact label={t('activity.detail.promptTokens')}>{tokens(row.prompt_tokens)}</Fact>
            <Fact label={t('activity.detail.completionTokens')}>{tokens(row.completion_tokens)}</Fact>
            {row.cached_tokens !== null && <Fact label={t('activity.detail.cachedTokens')}>{tokens(row.cached_tokens)}</Fact>}
            {row.reasoning_tokens !== null && <Fact label={t('activity.detail.reasoningTokens')}>{tokens(row.reasoning_tokens)}</Fact>}
          </SimpleGrid>
          {row.usage_estimated && (
            <Text size="xs" c="orange">
              {t('activity.detail.estimated')}
            </Text>
          )}
          {lines !== null && (
            <Table.ScrollContainer minWidth={320}>
              <Table fz="sm" verticalSpacing={4} data-testid="cost-breakdown">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('activity.breakdown.part')}</Table.Th>
                    <Table.Th ta="right">{t('activity.breakdown.units')}</Table.Th>
                    <Table.Th ta="right">{t('activity.breakdown.price')}</Table.Th>
                    <Table.Th ta="right">{t('activity.breakdown.amount')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {lines.map((line) => (
                    <Table.Tr key={line.part}>
                      <Table.Td>{t(`activity.breakdown.${line.part}`)}</Table.Td>
                      <Table.Td ta="right">{formatNumber(line.units, locale)}</Table.Td>
                      <Table.Td ta="right">
                        {line.part === 'request'
                          ? formatUsd(line.price, locale)
                          : t('activity.breakdown.perMillion', { price: formatPricePerMillionTokens(line.price, locale) ?? '—' })}
                      </Table.Td>
                      <Table.Td ta="right">{formatUsd(line.amount, locale)}</Table.Td>
                    </Table.Tr>
                  ))}
                  <Table.Tr>
                    <Table.Td colSpan={3}>{t('activity.breakdown.estimate')}</Table.Td>
                    <Table.Td ta="right">{formatUsd(linesTotal(lines), locale)}</Table.Td>
                  </Table.Tr>
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <Group justify="space-between" wrap="nowrap">
            <Text fw={700}>{t('activity.breakdown.charged')}</Text>
            <Text fw={700} data-testid="generation-cost" data-value={row.cost}>
              {formatUsd(row.cost, locale)}
            </Text>
          </Group>
          <Text size="xs" c="dimmed">
            {lines === null ? t('activity.breakdown.noPrices') : t('activity.breakdown.note')}
          </Text>
        </Stack>
      </Section>

      <Section title={t('activity.attempts.title')}>
        <Text size="xs" c="dimmed" mb="xs">
          {t('activity.attempts.lead')}
        </Text>
        <AttemptChain attempts={row.attempts} />
      </Section>

      <Section title={t('activity.detail.raw')}>
        {generation.isError ? (
          <Text size="sm" c="red">
            {describeError(generation.error, t, currentLanguage())}
          </Text>
        ) : generation.data === undefined ? (
          <Loader size="sm" />
        ) : (
          <Stack gap={6}>
            <Group justify="space-between">
              <Text size="xs" c="dimmed">
                GET /api/v1/generation?id={row.id}
              </Text>
              <CopyButton value={raw}>
                {({ copied, copy }) => (
                  <Button size="compact-xs" variant="default" onClick={copy}>
                    {copied ? t('activity.detail.copied') : t('activity.detail.copyJson')}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <ScrollArea.Autosize mah={360} type="auto">
              <Code block data-testid="generation-raw" tabIndex={0} aria-label={t('activity.detail.raw')}>
                {raw}
              </Code>
            </ScrollArea.Autosize>
          </Stack>
        )}
      </Section>
    </Stack>
  );
}
