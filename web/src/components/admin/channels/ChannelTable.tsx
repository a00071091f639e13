import { Anchor, Badge, Button, Checkbox, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Channel } from '../../../api/admin';
import { formatLatencyMs, formatNumber, formatPercent } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { WHOLE_BADGE } from '../AdminPage';
import { selectionState } from '../selection';
import { HealthBadge } from './HealthBadge';

/** Every channel with its health, breaker, latency and error rate; rows can be ticked for bulk actions. */
export function ChannelTable({
  channels,
  selected,
  onToggle,
  onToggleAll,
  onTest,
  onEdit,
}: {
  channels: Channel[];
  selected: ReadonlySet<number>;
  onToggle: (id: number) => void;
  onToggleAll: () => void;
  onTest: (channel: Channel) => void;
  onEdit: (channel: Channel) => void;
}) {
  const { t } = useTranslation();
  const locale = useLocale();
  const state = selectionState(selected, channels.map((c) => c.id));
  return (
    <Table.ScrollContainer minWidth={980}>
      <Table verticalSpacing="sm" highlightOnHover aria-label={t('admin.channels.table.caption')} data-testid="channel-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>
              <Checkbox
                aria-label={t('admin.channels.table.selectAll')}
                checked={state === 'all'}
                indeterminate={state === 'some'}
                onChange={onToggleAll}
                data-testid="select-all"
              />
            </Table.Th>
            <Table.Th>{t('admin.channels.table.channel')}</Table.Th>
            <Table.Th>{t('admin.channels.table.health')}</Table.Th>
            <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>{t('admin.channels.table.latency')}</Table.Th>
            <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>{t('admin.channels.table.errors')}</Table.Th>
            <Table.Th>{t('admin.channels.table.models')}</Table.Th>
            <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>{t('admin.channels.table.priority')}</Table.Th>
            <Table.Th ta="right">{t('admin.channels.table.keys')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('admin.common.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {channels.map((channel) => {
            const health = channel.health;
            return (
              <Table.Tr key={channel.id} data-testid="channel-row" data-name={channel.name} data-enabled={channel.is_enabled ? '1' : '0'}>
                <Table.Td>
                  <Checkbox
                    aria-label={t('admin.channels.table.select', { name: channel.name })}
                    checked={selected.has(channel.id)}
                    onChange={() => onToggle(channel.id)}
                  />
                </Table.Td>
                <Table.Td miw={200}>
                  <Anchor component="button" type="button" size="sm" fw={600} c="inherit" ta="left" onClick={() => onEdit(channel)} style={{ wordBreak: 'break-word' }}>
                    {channel.name}
                  </Anchor>
                  <Group gap={6} wrap="nowrap" mt={2}>
                    <Badge size="xs" variant="default" styles={WHOLE_BADGE}>
                      {t(`admin.channels.providerType.${channel.provider}`, { defaultValue: channel.provider })}
                    </Badge>
                  </Group>
                  <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                    {channel.base_url}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <HealthBadge health={health} />
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {health.latency_p50_ms === null ? '—' : formatLatencyMs(health.latency_p50_ms, locale)}
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm" c={health.error_rate_30m !== null && health.error_rate_30m > 0.2 ? 'red' : undefined}>
                    {health.error_rate_30m === null ? '—' : formatPercent(health.error_rate_30m, locale)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {t('admin.channels.table.requests', { count: health.requests_30m, formatted: formatNumber(health.requests_30m, locale) })}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Stack gap={0}>
                    {channel.models.slice(0, 3).map((m) => (
                      <Text key={m.slug} size="xs" style={{ wordBreak: 'break-all' }}>
                        {m.slug}
                        {m.upstream_name ? <Text span c="dimmed" size="xs">{` → ${m.upstream_name}`}</Text> : null}
                      </Text>
                    ))}
                    {channel.models.length > 3 && (
                      <Text size="xs" c="dimmed">
                        {t('admin.channels.table.moreModels', { count: channel.models.length - 3 })}
                      </Text>
                    )}
                  </Stack>
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm">{channel.priority}</Text>
                  <Text size="xs" c="dimmed">
                    {t('admin.channels.table.weight', { weight: channel.weight })}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{channel.key_count}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Button size="xs" variant="default" onClick={() => onTest(channel)} aria-label={t('admin.channels.testOne', { name: channel.name })}>
                      {t('admin.channels.test.button')}
                    </Button>
                    <Button size="xs" variant="light" onClick={() => onEdit(channel)} aria-label={t('admin.channels.editOne', { name: channel.name })}>
                      {t('admin.common.edit')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
