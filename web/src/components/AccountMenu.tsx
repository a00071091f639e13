import { Avatar, Button, Menu, Text, UnstyledButton } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';

import { useLogout, useMe } from '../api/queries';
import type { User } from '../api/types';
import { currentPath } from '../lib/safeNext';
import { LogoutIcon } from './icons';
import { ACCOUNT_LINKS, ADMIN_LINKS, isAdminRole } from './console/consoleLinks';

/** The sign-in page's address from here: back to this page afterwards (from a sign-in page, to where it was
 * going to send the user). */
export function signInLink(location: { pathname: string; search: string; hash?: string }): string {
  if (location.pathname === '/signin' || location.pathname === '/signup') {
    return `/signin${location.search}`;
  }
  return `/signin?next=${encodeURIComponent(currentPath(location))}`;
}

export function initials(user: Pick<User, 'email' | 'display_name'>): string {
  const source = (user.display_name ?? '').trim() || user.email;
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]?.[0] ?? ''}${parts[1]?.[0] ?? ''}` : source.slice(0, 2);
  return letters.toUpperCase();
}

/** "Sign in" when nobody is signed in; the account's menu (with sign-out) when someone is. */
export function AccountMenu() {
  const { t } = useTranslation();
  const me = useMe();
  const logout = useLogout();
  const location = useLocation();
  if (me.isPending) {
    return null;
  }
  const user = me.data;
  if (!user) {
    return (
      <Button component={Link} to={signInLink(location)} size="sm" data-testid="sign-in-link">
        {t('nav.signIn')}
      </Button>
    );
  }
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={t('nav.account')} data-testid="account-menu" style={{ borderRadius: '50%' }}>
          <Avatar color="initials" name={user.display_name ?? user.email} radius="xl" size={34}>
            {initials(user)}
          </Avatar>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('nav.signedInAs')}</Menu.Label>
        <Text size="sm" px="sm" pb="xs" fw={600} data-testid="account-email" style={{ wordBreak: 'break-all' }}>
          {user.email}
        </Text>
        <Menu.Divider />
        {ACCOUNT_LINKS.map((item) => (
          <Menu.Item key={item.to} component={Link} to={item.to}>
            {t(item.key)}
          </Menu.Item>
        ))}
        {isAdminRole(user.role) && (
          <Menu.Item component={Link} to={ADMIN_LINKS[0]?.to ?? '/admin/channels'} data-testid="admin-link">
            {t('console.nav.admin')}
          </Menu.Item>
        )}
        <Menu.Divider />
        <Menu.Item leftSection={<LogoutIcon size={16} />} onClick={() => logout.mutate()} data-testid="sign-out">
          {t('nav.signOut')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/** The same, laid out for the phone's navigation drawer. */
export function AccountPanel({ onNavigate }: { onNavigate: () => void }) {
  const { t } = useTranslation();
  const me = useMe();
  const logout = useLogout();
  const location = useLocation();
  if (me.isPending) {
    return null;
  }
  const user = me.data;
  if (!user) {
    return (
      <Button component={Link} to={signInLink(location)} onClick={onNavigate} fullWidth>
        {t('nav.signIn')}
      </Button>
    );
  }
  return (
    <>
      <Text size="xs" c="dimmed">
        {t('nav.signedInAs')}
      </Text>
      <Text size="sm" fw={600} style={{ wordBreak: 'break-all' }}>
        {user.email}
      </Text>
      {[...ACCOUNT_LINKS, ...(isAdminRole(user.role) ? ADMIN_LINKS : [])].map((item) => (
        <Button key={item.to} component={Link} to={item.to} onClick={onNavigate} variant="subtle" justify="flex-start" fullWidth>
          {t(item.key)}
        </Button>
      ))}
      <Button
        variant="default"
        leftSection={<LogoutIcon size={16} />}
        onClick={() => {
          logout.mutate();
          onNavigate();
        }}
        fullWidth
      >
        {t('nav.signOut')}
      </Button>
    </>
  );
}
