import { Button, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useCodeBatch } from '../../../api/admin';
import { formatDateTime } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminModal, QueryError } from '../AdminPage';

/** A batch's codes (by their first characters: the codes are stored hashed) and who redeemed each. */
export function BatchDetail({ batch, onClose }: { batch: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const codes = useCodeBatch(batch);
  return (
    <AdminModal opened={batch !== null} onClose={onClose} title={t('admin.codes.detail.title', { batch: batch ?? '' })} size="lg" testId="batch-detail">
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t('admin.codes.detail.lead')}
        </Text>
        {codes.isError && <QueryError error={codes.error} onRetry={() => void codes.refetch()} />}
        {codes.data === undefined ? (
          codes.isPending && batch !== null && <Skeleton h={160} />
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table verticalSpacing={6} aria-label={t('admin.codes.detail.caption')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('admin.codes.detail.code')}</Table.Th>
                  <Table.Th ta="right">{t('admin.codes.detail.uses')}</Table.Th>
                  <Table.Th>{t('admin.codes.detail.redeemedBy')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {codes.data.map((code) => (
                  <Table.Tr key={code.label}>
                    <Table.Td ff="monospace">{code.label}…</Table.Td>
                    <Table.Td ta="right">
                      {code.uses} / {code.max_uses}
                    </Table.Td>
                    <Table.Td>
                      {code.redemptions.length === 0 ? (
                        <Text size="sm" c="dimmed">
                          {t('admin.codes.detail.unused')}
                        </Text>
                      ) : (
                        code.redemptions.map((r) => (
                          <Text key={`${r.user_id}-${r.redeemed_at}`} size="sm">
                            {r.email}{' '}
                            <Text span size="xs" c="dimmed">
                              {formatDateTime(r.redeemed_at, locale)}
                            </Text>
                          </Text>
                        ))
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
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
