import { Alert, Button, Container, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type ApiKey, useKeys } from '../../api/keys';
import { DeleteKeyModal } from '../../components/keys/DeleteKeyModal';
import { KeyCard } from '../../components/keys/KeyCard';
import { KeyFormModal } from '../../components/keys/KeyFormModal';
import { usePageTitle } from '../../hooks/usePageTitle';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';

/** The account's API keys: each with its use against its limit; create (the key shown once), edit, disable,
 * delete, and each key's usage chart and activity. */
export default function KeysPage() {
  const { t } = useTranslation();
  usePageTitle(t('keys.title'));
  const keys = useKeys();
  const [form, setForm] = useState<{ opened: boolean; key: ApiKey | null }>({ opened: false, key: null });
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const list = keys.data ?? [];
  return (
    <Container size="xl" py="lg" px={{ base: 0, xs: 'md' }}>
      <Stack gap="lg">
        <Group justify="space-between" align="flex-start" gap="sm">
          <div>
            <Title order={1} mb={6}>
              {t('keys.title')}
            </Title>
            <Text c="dimmed" maw={760}>
              {t('keys.lead', { origin: window.location.origin })}
            </Text>
          </div>
          <Button onClick={() => setForm({ opened: true, key: null })} data-testid="create-key">
            {t('keys.create')}
          </Button>
        </Group>
        {keys.isError && (
          <Alert color="red" title={t('keys.error')}>
            <Group gap="sm">
              <Text size="sm">{describeError(keys.error, t, currentLanguage())}</Text>
              <Button size="xs" variant="default" onClick={() => void keys.refetch()} loading={keys.isFetching}>
                {t('keys.retry')}
              </Button>
            </Group>
          </Alert>
        )}
        {keys.isPending ? (
          <Stack gap="md" aria-busy="true" aria-label={t('keys.loading')}>
            <Skeleton h={150} radius="md" />
            <Skeleton h={150} radius="md" />
          </Stack>
        ) : list.length === 0 && !keys.isError ? (
          <Paper withBorder radius="md" p="xl" data-testid="keys-empty">
            <Stack gap="xs" align="center" ta="center">
              <Title order={2} size="h3">
                {t('keys.empty.title')}
              </Title>
              <Text c="dimmed" maw={520}>
                {t('keys.empty.body')}
              </Text>
              <Button onClick={() => setForm({ opened: true, key: null })}>{t('keys.create')}</Button>
            </Stack>
          </Paper>
        ) : (
          <Stack gap="md" data-testid="key-list">
            {list.map((key) => (
              <KeyCard key={key.id} apiKey={key} onEdit={(item) => setForm({ opened: true, key: item })} onDelete={setDeleting} />
            ))}
          </Stack>
        )}
        <Text size="xs" c="dimmed">
          {t('keys.utcNote')}
        </Text>
      </Stack>
      <KeyFormModal opened={form.opened} keyToEdit={form.key} onClose={() => setForm({ opened: false, key: null })} />
      <DeleteKeyModal apiKey={deleting} onClose={() => setDeleting(null)} />
    </Container>
  );
}
