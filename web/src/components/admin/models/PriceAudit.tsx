import { Button, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { usePriceAudit } from '../../../api/admin';
import { formatDateTime } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminSection, QueryError } from '../AdminPage';

/** Every price and markup change, newest first (loaded when opened). */
export function PriceAudit() {
  const { t } = useTranslation();
  const locale = useLocale();
  const [open, setOpen] = useState(false);
  const audit = usePriceAudit(open);
  return (
    <AdminSection
      title={t('admin.models.audit.title')}
      description={t('admin.models.audit.lead')}
      actions={
        <Button size="xs" variant="default" onClick={() => setOpen((value) => !value)} aria-expanded={open} data-testid="price-audit-toggle">
          {open ? t('admin.models.audit.hide') : t('admin.models.audit.show')}
        </Button>
      }
      testId="price-audit"
    >
      {open && audit.isError && <QueryError error={audit.error} onRetry={() => void audit.refetch()} />}
      {open && audit.data !== undefined && (
        audit.data.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('admin.models.audit.empty')}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing={6} aria-label={t('admin.models.audit.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('admin.models.audit.when')}</Table.Th>
                  <Table.Th>{t('admin.models.audit.subject')}</Table.Th>
                  <Table.Th>{t('admin.models.audit.field')}</Table.Th>
                  <Table.Th>{t('admin.models.audit.change')}</Table.Th>
                  <Table.Th>{t('admin.models.audit.actor')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {audit.data.map((row) => (
                  <Table.Tr key={row.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(row.created_at, locale)}</Table.Td>
                    <Table.Td style={{ wordBreak: 'break-all' }}>{row.subject}</Table.Td>
                    <Table.Td>{row.field}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      {row.old_value ?? '—'} → {row.new_value ?? '—'}
                    </Table.Td>
                    <Table.Td>{row.actor_user_id ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )
      )}
    </AdminSection>
  );
}
