import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { type ApiKey, useDeleteKey } from '../../api/keys';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';

/** Asks before deleting a key: programs using it stop working at once, and it cannot be undone. */
export function DeleteKeyModal({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  const { t } = useTranslation();
  const remove = useDeleteKey();
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Modal opened={apiKey !== null} onClose={close} title={t('keys.delete.title')} data-testid="delete-key-modal">
      {apiKey && (
        <Stack gap="md">
          <Text>{t('keys.delete.body', { name: apiKey.name, label: apiKey.label })}</Text>
          {remove.error !== null && (
            <Alert color="red" title={t('keys.delete.failed')}>
              {describeError(remove.error, t, currentLanguage())}
            </Alert>
          )}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} data-autofocus>
              {t('keys.cancel')}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(apiKey.id, { onSuccess: close })} data-testid="delete-key-confirm">
              {t('keys.delete.confirm')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
