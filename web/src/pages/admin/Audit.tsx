import { Group, Select, Skeleton, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useAdministrators, useAuditLog } from '../../api/admin';
import { AdminPage, AdminSection, Pager, QueryError } from '../../components/admin/AdminPage';
import { AuditTable } from '../../components/admin/audit/AuditTable';
import { AUDITED_ROUTES } from '../../components/admin/auditRoutes';
import { useUrlState } from '../../hooks/useUrlState';

export default function AdminAuditPage() {
  const { t } = useTranslation();
  const [state, setState] = useUrlState({ route: '', actor: 0, cursor: 0 });
  const [previous, setPrevious] = useState<number[]>([]);
  const admins = useAdministrators();
  const audit = useAuditLog(state.route, state.actor || null, state.cursor || null);
  const page = audit.data;
  const filter = (patch: { route?: string; actor?: number }) => {
    setPrevious([]);
    setState({ ...patch, cursor: 0 });
  };
  return (
    <AdminPage title={t('admin.audit.title')} lead={t('admin.audit.lead')} testId="admin-audit">
      <AdminSection title={t('admin.audit.listTitle')}>
        <Group gap="sm" align="flex-end">
          <Select
            label={t('admin.audit.filterRoute')}
            placeholder={t('admin.audit.anyRoute')}
            data={Object.entries(AUDITED_ROUTES).map(([route, name]) => ({ value: route, label: t(`admin.audit.routes.${name}`) }))}
            value={state.route || null}
            onChange={(value) => filter({ route: value ?? '' })}
            clearable
            searchable
            style={{ flex: '1 1 240px' }}
            data-testid="audit-route"
          />
          <Select
            label={t('admin.audit.filterActor')}
            placeholder={t('admin.audit.anyActor')}
            data={(admins.data ?? []).map((admin) => ({ value: String(admin.id), label: admin.email }))}
            value={state.actor ? String(state.actor) : null}
            onChange={(value) => filter({ actor: value ? Number(value) : 0 })}
            clearable
            searchable
            style={{ flex: '1 1 240px' }}
            data-testid="audit-actor"
          />
        </Group>
        {audit.isError && <QueryError error={audit.error} onRetry={() => void audit.refetch()} />}
        {page === undefined ? (
          audit.isPending && <Skeleton h={240} />
        ) : page.data.length === 0 ? (
          <Text size="sm" c="dimmed" py="md" data-testid="audit-empty">
            {t('admin.audit.empty')}
          </Text>
        ) : (
          <Stack gap="xs">
            <AuditTable entries={page.data} busy={audit.isPlaceholderData} />
            <Pager
              hasPrevious={previous.length > 0}
              hasNext={page.next_cursor !== null}
              onPrevious={() => {
                setState({ cursor: previous[previous.length - 1] ?? 0 });
                setPrevious((current) => current.slice(0, -1));
              }}
              onNext={() => {
                setPrevious((current) => [...current, state.cursor]);
                setState({ cursor: page.next_cursor ?? 0 });
              }}
              busy={audit.isPlaceholderData}
            />
          </Stack>
        )}
      </AdminSection>
    </AdminPage>
  );
}
