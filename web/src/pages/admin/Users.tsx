import { Group, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type AdminUser, useAdminUsers } from '../../api/admin';
import { AdminPage, AdminSection, Pager, QueryError } from '../../components/admin/AdminPage';
import { ManageUserModal } from '../../components/admin/users/ManageUserModal';
import { UserTable } from '../../components/admin/users/UserTable';
import { SearchIcon } from '../../components/icons';
import { useUrlState } from '../../hooks/useUrlState';

export default function AdminUsersPage() {
  const { t } = useTranslation();
  const [state, setState] = useUrlState({ q: '', cursor: '' });
  const [typed, setTyped] = useState(state.q);
  const [search] = useDebouncedValue(typed.trim(), 300);
  // Cursors of the pages before this one (the API pages forwards only).
  const [previous, setPrevious] = useState<string[]>([]);
  const users = useAdminUsers(state.q, state.cursor || null);
  const [managedId, setManagedId] = useState<number | null>(null);
  const [snapshot, setSnapshot] = useState<AdminUser | null>(null);

  useEffect(() => {
    if (search !== state.q) {
      setPrevious([]);
      setState({ q: search, cursor: '' }, { replace: true });
    }
  }, [search, state.q, setState]);

  const page = users.data;
  // The managed user as the list shows it now (a change refreshes the list).
  const managed = managedId === null ? null : (page?.data.find((u) => u.id === managedId) ?? snapshot);
  return (
    <AdminPage title={t('admin.users.title')} lead={t('admin.users.lead')} testId="admin-users">
      <AdminSection title={t('admin.users.listTitle')}>
        <Group gap="sm" align="flex-end">
          <TextInput
            label={t('admin.users.search')}
            placeholder={t('admin.users.searchPlaceholder')}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            leftSection={<SearchIcon />}
            type="search"
            style={{ flex: '1 1 260px' }}
            data-testid="user-search"
          />
        </Group>
        {users.isError && <QueryError error={users.error} onRetry={() => void users.refetch()} />}
        {page === undefined ? (
          users.isPending && <Skeleton h={240} />
        ) : page.data.length === 0 ? (
          <Text size="sm" c="dimmed" py="md">
            {t('admin.users.empty')}
          </Text>
        ) : (
          <Stack gap="xs">
            <Text size="xs" c="dimmed">
              {t('admin.users.count', { count: page.total })}
            </Text>
            <UserTable
              users={page.data}
              busy={users.isPlaceholderData}
              onManage={(user) => {
                setSnapshot(user);
                setManagedId(user.id);
              }}
            />
            <Pager
              hasPrevious={previous.length > 0}
              hasNext={page.next_cursor !== null}
              onPrevious={() => {
                const before = previous.slice(0, -1);
                setState({ cursor: previous[previous.length - 1] ?? '' });
                setPrevious(before);
              }}
              onNext={() => {
                setPrevious((current) => [...current, state.cursor]);
                setState({ cursor: page.next_cursor ?? '' });
              }}
              busy={users.isPlaceholderData}
            />
          </Stack>
        )}
      </AdminSection>
      <ManageUserModal user={managed} onClose={() => setManagedId(null)} />
    </AdminPage>
  );
}
