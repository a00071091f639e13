import { Anchor, Badge, Button, Table, Text, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { AdminUser } from '../../../api/admin';
import { formatDate, formatDateTime, formatNumber, formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { WHOLE_BADGE } from '../AdminPage';

// Administrators see balances to the nano: $9.9999555 is not $10.00.
export const EXACT = { maximumFractionDigits: 9 } as const;
const ROLE_COLOR: Record<string, string> = { user: 'gray', admin: 'blue', root: 'grape' };

export function UserTable({ users, onManage, busy }: { users: AdminUser[]; onManage: (user: AdminUser) => void; busy: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="xs" highlightOnHover aria-label={t('admin.users.table.caption')} aria-busy={busy} data-testid="user-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('admin.users.table.user')}</Table.Th>
            <Table.Th>{t('admin.users.table.role')}</Table.Th>
            <Table.Th>{t('admin.users.table.status')}</Table.Th>
            <Table.Th ta="right">{t('admin.users.table.balance')}</Table.Th>
            <Table.Th ta="right">{t('admin.users.table.spend')}</Table.Th>
            <Table.Th>{t('admin.users.table.lastActive')}</Table.Th>
            <Table.Th>{t('admin.users.table.joined')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('admin.common.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => (
            <Table.Tr key={user.id} data-testid="user-row" data-email={user.email}>
              <Table.Td>
                <Anchor component="button" type="button" size="sm" fw={500} c="inherit" ta="left" onClick={() => onManage(user)} style={{ wordBreak: 'break-all' }}>
                  {user.email}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {[user.display_name, `#${user.id}`, user.google_linked ? t('admin.users.google') : null].filter(Boolean).join(' · ')}
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge color={ROLE_COLOR[user.role] ?? 'gray'} variant="light" styles={WHOLE_BADGE}>
                  {t(`admin.users.role.${user.role}`, { defaultValue: user.role })}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Badge color={user.is_active ? 'green' : 'red'} variant={user.is_active ? 'light' : 'filled'} styles={WHOLE_BADGE}>
                  {user.is_active ? t('admin.users.active') : t('admin.users.disabled')}
                </Badge>
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }} data-testid="user-balance">
                {formatUsd(user.balance, locale, EXACT)}
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                <Text size="sm">{user.spend === null || user.spend === undefined ? '—' : formatUsd(user.spend, locale, EXACT)}</Text>
                {user.requests !== null && user.requests !== undefined && (
                  <Text size="xs" c="dimmed">
                    {t('admin.users.requests', { count: user.requests, formatted: formatNumber(user.requests, locale) })}
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {user.last_active_at ? formatDateTime(user.last_active_at, locale) : <Text size="sm" c="dimmed">{t('admin.users.never')}</Text>}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(user.created_at, locale)}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="light" onClick={() => onManage(user)} aria-label={t('admin.users.manageOne', { email: user.email })}>
                  {t('admin.users.manage')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
