// Who serves a model here: each endpoint's price, limits, recent speed and uptime, and whether it takes traffic.
import { Badge, Code, Group, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { ModelEndpoint } from '../../api/models';
import { formatLatencyMs, formatNumber, formatPercent, formatTokens } from '../../lib/format';
import { isFreeModel, perMillion } from '../models/price';
import { useLocale } from '../models/useLocale';

function Dash() {
  const { t } = useTranslation();
  return (
    <Text span c="dimmed" size="sm" title={t('model.providers.noData')}>
      —
    </Text>
  );
}

function Uptime({ value }: { value: number | null | undefined }) {
  const locale = useLocale();
  if (value === null || value === undefined) {
    return <Dash />;
  }
  const color = value >= 99 ? 'green' : value >= 95 ? 'yellow' : 'red';
  return (
    <Text span size="sm" c={color === 'green' ? undefined : color}>
      {formatPercent(value / 100, locale, value >= 99.95 || value === 100 ? 0 : 1)}
    </Text>
  );
}

export function ProvidersTable({ endpoints }: { endpoints: ModelEndpoint[] }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table.ScrollContainer minWidth={980}>
      <Table
        verticalSpacing="sm"
        horizontalSpacing="sm"
        highlightOnHover
        data-testid="providers-table"
        style={{ whiteSpace: 'nowrap' }}
        aria-label={t('model.providers.title')}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('model.providers.provider')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.input')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.output')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.context')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.maxOutput')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.latency')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.throughput')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.uptime5m')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.uptime30m')}</Table.Th>
            <Table.Th ta="right">{t('model.providers.uptime1d')}</Table.Th>
            <Table.Th>{t('model.providers.status')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {endpoints.map((endpoint) => {
            const free = isFreeModel(endpoint.pricing);
            const latency = endpoint.latency_last_30m?.p50;
            const throughput = endpoint.throughput_last_30m?.p50;
            return (
              <Table.Tr key={endpoint.tag} data-testid="provider-row">
                <Table.Td>
                  <Stack gap={2}>
                    <Text size="sm" fw={600}>
                      {endpoint.provider_name}
                    </Text>
                    {(endpoint.tag !== endpoint.provider_name || endpoint.quantization) && (
                      <Group gap={4}>
                        {endpoint.tag !== endpoint.provider_name && <Code>{endpoint.tag}</Code>}
                        {endpoint.quantization ? (
                          <Badge size="xs" variant="outline" color="gray">
                            {endpoint.quantization}
                          </Badge>
                        ) : null}
                      </Group>
                    )}
                  </Stack>
                </Table.Td>
                <Table.Td ta="right">
                  {free ? t('models.price.free') : (perMillion(endpoint.pricing.prompt, locale) ?? t('models.price.varies'))}
                </Table.Td>
                <Table.Td ta="right">
                  {free ? t('models.price.free') : (perMillion(endpoint.pricing.completion, locale) ?? t('models.price.varies'))}
                </Table.Td>
                <Table.Td ta="right">{endpoint.context_length ? formatTokens(endpoint.context_length, locale) : <Dash />}</Table.Td>
                <Table.Td ta="right">
                  {endpoint.max_completion_tokens ? formatTokens(endpoint.max_completion_tokens, locale) : <Dash />}
                </Table.Td>
                <Table.Td ta="right">{latency === undefined ? <Dash /> : formatLatencyMs(latency, locale)}</Table.Td>
                <Table.Td ta="right">
                  {throughput === undefined ? (
                    <Dash />
                  ) : (
                    t('model.providers.tokensPerSecond', { value: formatNumber(throughput, locale, { maximumFractionDigits: 0 }) })
                  )}
                </Table.Td>
                <Table.Td ta="right">
                  <Uptime value={endpoint.uptime_last_5m} />
                </Table.Td>
                <Table.Td ta="right">
                  <Uptime value={endpoint.uptime_last_30m} />
                </Table.Td>
                <Table.Td ta="right">
                  <Uptime value={endpoint.uptime_last_1d} />
                </Table.Td>
                <Table.Td>
                  {endpoint.status === 0 ? (
                    <Badge color="green" variant="light" size="sm" style={{ minWidth: 'max-content' }}>
                      {t('model.providers.up')}
                    </Badge>
                  ) : (
                    <Tooltip label={t('model.providers.downHint')} withArrow multiline w={240}>
                      <Badge color="red" variant="light" size="sm" tabIndex={0} style={{ minWidth: 'max-content' }}>
                        {t('model.providers.down')}
                      </Badge>
                    </Tooltip>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ProvidersSkeleton() {
  return (
    <Stack gap="sm" aria-hidden="true">
      {Array.from({ length: 3 }, (_, i) => (
        <Skeleton key={i} height={36} />
      ))}
    </Stack>
  );
}
