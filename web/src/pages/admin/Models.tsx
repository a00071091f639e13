import { Group, SegmentedControl, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { ADMIN_PAGE_SIZE, useAdminModels } from '../../api/admin';
import { AdminPage, AdminSection, Pager, QueryError } from '../../components/admin/AdminPage';
import { AdminModelTable } from '../../components/admin/models/AdminModelTable';
import { MarkupCard } from '../../components/admin/models/MarkupCard';
import { ModelEditor } from '../../components/admin/models/ModelEditor';
import { PriceAudit } from '../../components/admin/models/PriceAudit';
import { SyncCard } from '../../components/admin/models/SyncCard';
import { SearchIcon } from '../../components/icons';
import { useUrlState } from '../../hooks/useUrlState';

const STATUSES = ['all', 'listed', 'hidden'] as const;

export default function AdminModelsPage() {
  const { t } = useTranslation();
  const [state, setState] = useUrlState({ q: '', status: 'all', offset: 0, edit: '' });
  const [typed, setTyped] = useState(state.q);
  const [search] = useDebouncedValue(typed.trim(), 300);
  const status = (STATUSES as readonly string[]).includes(state.status) ? state.status : 'all';
  const models = useAdminModels(state.q, status, state.offset);

  useEffect(() => {
    if (search !== state.q) {
      setState({ q: search, offset: 0 }, { replace: true });
    }
  }, [search, state.q, setState]);

  const page = models.data;
  return (
    <AdminPage title={t('admin.models.title')} lead={t('admin.models.lead')} testId="admin-models">
      <AdminSection title={t('admin.models.listTitle')} description={t('admin.models.listLead')}>
        <Group gap="sm" align="flex-end">
          <TextInput
            label={t('admin.models.search')}
            placeholder={t('admin.models.searchPlaceholder')}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            leftSection={<SearchIcon />}
            style={{ flex: '1 1 240px' }}
            type="search"
            data-testid="model-search"
          />
          <div>
            <Text size="sm" fw={500} mb={4} id="model-status-label">
              {t('admin.models.show')}
            </Text>
            <SegmentedControl
              aria-labelledby="model-status-label"
              value={status}
              onChange={(value) => setState({ status: value, offset: 0 })}
              data={STATUSES.map((value) => ({ value, label: t(`admin.models.status.${value}`) }))}
            />
          </div>
        </Group>
        {models.isError && <QueryError error={models.error} onRetry={() => void models.refetch()} />}
        {page === undefined ? (
          models.isPending && <Skeleton h={240} />
        ) : page.data.length === 0 ? (
          <Text size="sm" c="dimmed" py="md" data-testid="models-empty">
            {t('admin.models.empty')}
          </Text>
        ) : (
          <Stack gap="xs">
            <Text size="xs" c="dimmed">
              {t('admin.models.count', { count: page.total, from: state.offset + 1, to: state.offset + page.data.length })}
            </Text>
            <AdminModelTable models={page.data} onEdit={(id) => setState({ edit: id })} busy={models.isPlaceholderData} />
            <Pager
              hasPrevious={state.offset > 0}
              hasNext={page.next_offset !== null}
              onPrevious={() => setState({ offset: Math.max(0, state.offset - ADMIN_PAGE_SIZE) })}
              onNext={() => setState({ offset: page.next_offset ?? state.offset })}
              busy={models.isPlaceholderData}
            />
          </Stack>
        )}
      </AdminSection>
      <MarkupCard />
      <SyncCard />
      <PriceAudit />
      <ModelEditor id={state.edit === '' ? null : state.edit} onClose={() => setState({ edit: '' })} />
    </AdminPage>
  );
}
