import { Badge, Button, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Channel, type ProbeResult, testChannel } from '../../../api/admin';
import { currentLanguage } from '../../../i18n';
import { describeError } from '../../../lib/describeError';
import { formatLatencyMs } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminModal } from '../AdminPage';

type Outcome = { result: ProbeResult } | { error: string } | 'running';

/** The model a channel is probed with: the chosen one when it serves it, else its first. */
export function probeModel(channel: Channel, chosen: string | null): string | null {
  return chosen !== null && channel.models.some((m) => m.slug === chosen) ? chosen : null;
}

/** Probes one channel or several (one after another) with a chosen model, and shows each answer. */
export function TestModal({ channels, opened, onClose }: { channels: Channel[]; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const [model, setModel] = useState<string | null>(null);
  const [outcomes, setOutcomes] = useState<Record<number, Outcome>>({});
  const [running, setRunning] = useState(false);
  const single = channels.length === 1 ? channels[0] : undefined;
  const models = [...new Set(channels.flatMap((c) => c.models.map((m) => m.slug)))].sort();

  useEffect(() => {
    if (opened) {
      setOutcomes({});
      setModel(single?.models[0]?.slug ?? null);
    }
  }, [opened, single]);

  const run = async () => {
    setRunning(true);
    setOutcomes({});
    for (const channel of channels) {
      setOutcomes((current) => ({ ...current, [channel.id]: 'running' }));
      let outcome: Outcome;
      try {
        outcome = { result: await testChannel(channel.id, probeModel(channel, model)) };
      } catch (error) {
        outcome = { error: describeError(error, t, currentLanguage()) };
      }
      setOutcomes((current) => ({ ...current, [channel.id]: outcome }));
    }
    setRunning(false);
  };

  const title = single ? t('admin.channels.test.titleOne', { name: single.name }) : t('admin.channels.test.titleAll', { count: channels.length });
  return (
    <AdminModal opened={opened} onClose={onClose} title={title} size="lg" testId="test-modal">
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          {single ? t('admin.channels.test.leadOne') : t('admin.channels.test.leadAll')}
        </Text>
        <Group align="flex-end" gap="sm">
          <Select
            label={t('admin.channels.test.model')}
            data={models}
            value={model}
            onChange={setModel}
            clearable={!single}
            allowDeselect={!single}
            placeholder={t('admin.channels.test.firstModel')}
            searchable
            style={{ flex: '1 1 220px' }}
            data-testid="test-model"
          />
          <Button onClick={() => void run()} loading={running} data-testid="run-test">
            {t('admin.channels.test.run')}
          </Button>
        </Group>
        {Object.keys(outcomes).length > 0 && (
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label={t('admin.channels.test.results')} data-testid="test-results">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('admin.channels.table.channel')}</Table.Th>
                  <Table.Th>{t('admin.channels.test.outcome')}</Table.Th>
                  <Table.Th>{t('admin.channels.test.latency')}</Table.Th>
                  <Table.Th>{t('admin.channels.test.message')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {channels.map((channel) => {
                  const outcome = outcomes[channel.id];
                  if (outcome === undefined) {
                    return null;
                  }
                  return (
                    <Table.Tr key={channel.id}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {channel.name}
                        </Text>
                        {outcome !== 'running' && 'result' in outcome && (
                          <Text size="xs" c="dimmed">
                            {outcome.result.model}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {outcome === 'running' ? (
                          <Badge color="gray" variant="light">
                            {t('admin.channels.test.running')}
                          </Badge>
                        ) : 'result' in outcome ? (
                          <Badge color={outcome.result.ok ? 'green' : 'red'} variant="light" data-testid="test-outcome">
                            {outcome.result.ok ? t('admin.channels.test.ok') : t('admin.channels.test.failed')}
                            {outcome.result.status !== null ? ` · ${outcome.result.status}` : ''}
                          </Badge>
                        ) : (
                          <Badge color="red" variant="light" data-testid="test-outcome">
                            {t('admin.channels.test.error')}
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{outcome !== 'running' && 'result' in outcome ? formatLatencyMs(outcome.result.latency_ms, locale) : '—'}</Table.Td>
                      <Table.Td>
                        <Text size="sm" style={{ wordBreak: 'break-word' }}>
                          {outcome === 'running' ? '' : 'result' in outcome ? outcome.result.message : outcome.error}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('admin.common.close')}
          </Button>
        </Group>
      </Stack>
    </AdminModal>
  );
}
