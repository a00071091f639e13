import { Alert, Button, Group, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { adminKeys, type Channel, useChannels, useDeleteChannel, useUpdateChannel } from '../../api/admin';
import { AdminPage, AdminSection, ConfirmDialog, QueryError } from '../../components/admin/AdminPage';
import { ChannelFormModal } from '../../components/admin/channels/ChannelFormModal';
import { ChannelTable } from '../../components/admin/channels/ChannelTable';
import { TestModal } from '../../components/admin/channels/TestModal';
import { type BulkOutcome, prune, runBulk, selectedIn, toggleAll, toggleOne } from '../../components/admin/selection';

type BulkAction = 'enable' | 'disable' | 'delete';

export default function AdminChannelsPage() {
  const { t } = useTranslation();
  const channels = useChannels();
  const list = useMemo(() => channels.data ?? [], [channels.data]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [editing, setEditing] = useState<Channel | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [testing, setTesting] = useState<Channel[] | null>(null);
  const [confirming, setConfirming] = useState<BulkAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ action: BulkAction; result: BulkOutcome<number> } | null>(null);
  const update = useUpdateChannel();
  const remove = useDeleteChannel();
  const client = useQueryClient();

  useEffect(() => {
    setSelected((current) => prune(current, list.map((c) => c.id)));
  }, [list]);

  const chosen = selectedIn(selected, list.map((c) => c.id));
  const chosenNames = list.filter((c) => selected.has(c.id)).map((c) => c.name);

  const runAction = async (action: BulkAction) => {
    setBusy(true);
    const result = await runBulk(chosen, (id) =>
      action === 'delete' ? remove.mutateAsync(id) : update.mutateAsync({ id, body: { is_enabled: action === 'enable' } }),
    );
    await client.invalidateQueries({ queryKey: adminKeys.channels });
    setBusy(false);
    setConfirming(null);
    setOutcome({ action, result });
    setSelected(new Set(result.failed.map((f) => f.id)));
  };

  const openForm = (channel: Channel | null) => {
    setEditing(channel);
    setFormOpen(true);
  };

  return (
    <AdminPage
      title={t('admin.channels.title')}
      lead={t('admin.channels.lead')}
      testId="admin-channels"
      actions={
        <>
          <Button variant="default" onClick={() => setTesting(list.filter((c) => c.is_enabled))} disabled={!list.some((c) => c.is_enabled)} data-testid="test-all">
            {t('admin.channels.testAll')}
          </Button>
          <Button onClick={() => openForm(null)} data-testid="add-channel">
            {t('admin.channels.add')}
          </Button>
        </>
      }
    >
      {outcome !== null && (
        <Alert
          color={outcome.result.failed.length > 0 ? 'red' : 'green'}
          withCloseButton
          closeButtonLabel={t('admin.common.dismiss')}
          onClose={() => setOutcome(null)}
          role="status"
          data-testid="bulk-outcome"
        >
          {t(`admin.channels.bulk.done.${outcome.action}`, { count: outcome.result.done.length })}
          {outcome.result.failed.length > 0 && ` ${t('admin.channels.bulk.failed', { count: outcome.result.failed.length })}`}
        </Alert>
      )}
      {chosen.length > 0 && (
        <Paper withBorder radius="md" p="sm" data-testid="bulk-bar" role="region" aria-label={t('admin.channels.bulk.label')}>
          <Group justify="space-between" gap="sm">
            <Text size="sm" fw={600}>
              {t('admin.channels.bulk.selected', { count: chosen.length })}
            </Text>
            <Group gap="xs">
              <Button size="xs" variant="default" onClick={() => setConfirming('enable')} data-testid="bulk-enable">
                {t('admin.channels.bulk.enable')}
              </Button>
              <Button size="xs" variant="default" onClick={() => setConfirming('disable')} data-testid="bulk-disable">
                {t('admin.channels.bulk.disable')}
              </Button>
              <Button size="xs" color="red" variant="light" onClick={() => setConfirming('delete')} data-testid="bulk-delete">
                {t('admin.channels.bulk.delete')}
              </Button>
              <Button size="xs" variant="subtle" onClick={() => setSelected(new Set())}>
                {t('admin.common.clearSelection')}
              </Button>
            </Group>
          </Group>
        </Paper>
      )}
      <AdminSection title={t('admin.channels.listTitle')} description={t('admin.channels.listLead')}>
        {channels.isError && <QueryError error={channels.error} onRetry={() => void channels.refetch()} />}
        {channels.isPending ? (
          <Stack gap="xs" aria-busy="true" aria-label={t('app.loading')}>
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} h={44} />
            ))}
          </Stack>
        ) : list.length === 0 && !channels.isError ? (
          <Stack align="center" gap="xs" py="lg" data-testid="channels-empty">
            <Text fw={600}>{t('admin.channels.empty.title')}</Text>
            <Text size="sm" c="dimmed" ta="center" maw={520}>
              {t('admin.channels.empty.body')}
            </Text>
            <Button onClick={() => openForm(null)}>{t('admin.channels.add')}</Button>
          </Stack>
        ) : (
          <ChannelTable
            channels={list}
            selected={selected}
            onToggle={(id) => setSelected((current) => toggleOne(current, id))}
            onToggleAll={() => setSelected((current) => toggleAll(current, list.map((c) => c.id)))}
            onTest={(channel) => setTesting([channel])}
            onEdit={(channel) => openForm(channel)}
          />
        )}
      </AdminSection>
      <ChannelFormModal opened={formOpen} channel={editing} onClose={() => setFormOpen(false)} />
      <TestModal channels={testing ?? []} opened={testing !== null} onClose={() => setTesting(null)} />
      <ConfirmDialog
        opened={confirming !== null}
        title={confirming ? t(`admin.channels.bulk.confirmTitle.${confirming}`, { count: chosen.length }) : ''}
        message={
          <>
            {confirming ? t(`admin.channels.bulk.confirmBody.${confirming}`, { count: chosen.length }) : ''}
            <Text span fw={600} display="block" mt={6}>
              {chosenNames.join(', ')}
            </Text>
          </>
        }
        confirmLabel={confirming ? t(`admin.channels.bulk.${confirming}`) : ''}
        danger={confirming === 'delete' || confirming === 'disable'}
        busy={busy}
        onConfirm={() => confirming && void runAction(confirming)}
        onClose={() => setConfirming(null)}
      />
    </AdminPage>
  );
}
