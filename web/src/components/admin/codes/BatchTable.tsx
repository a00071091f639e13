import { Badge, Button, Table, Text, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { CodeBatch } from '../../../api/admin';
import { formatDate, formatNumber, formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';

export function BatchTable({ batches, onOpen, busy }: { batches: CodeBatch[]; onOpen: (batch: string) => void; busy: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const now = Date.now();
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="xs" highlightOnHover aria-label={t('admin.codes.table.caption')} aria-busy={busy} data-testid="batch-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('admin.codes.table.batch')}</Table.Th>
            <Table.Th ta="right">{t('admin.codes.table.codes')}</Table.Th>
            <Table.Th ta="right">{t('admin.codes.table.amount')}</Table.Th>
            <Table.Th ta="right">{t('admin.codes.table.uses')}</Table.Th>
            <Table.Th>{t('admin.codes.table.expires')}</Table.Th>
            <Table.Th>{t('admin.codes.table.created')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('admin.common.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {batches.map((batch) => {
            const expired = batch.expires_at !== null && new Date(batch.expires_at).getTime() < now;
            const capacity = batch.codes * batch.max_uses;
            return (
              <Table.Tr key={batch.batch} data-testid="batch-row" data-batch={batch.batch}>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {batch.batch}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{formatNumber(batch.codes, locale)}</Table.Td>
                <Table.Td ta="right">{formatUsd(batch.amount, locale)}</Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }} data-testid="batch-uses">
                  {t('admin.codes.table.usesOf', { uses: formatNumber(batch.uses, locale), capacity: formatNumber(capacity, locale) })}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {batch.expires_at === null ? (
                    <Text size="sm" c="dimmed">
                      {t('admin.codes.never')}
                    </Text>
                  ) : (
                    <>
                      {formatDate(batch.expires_at, locale)}{' '}
                      {expired && (
                        <Badge size="xs" color="gray">
                          {t('admin.codes.expired')}
                        </Badge>
                      )}
                    </>
                  )}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(batch.created_at, locale)}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="light" onClick={() => onOpen(batch.batch)} aria-label={t('admin.codes.viewOne', { batch: batch.batch })}>
                    {t('admin.codes.view')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
