import { Box, Divider, Group, NavLink, ScrollArea, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation } from 'react-router';

import { useMe } from '../../api/queries';
import { ACCOUNT_LINKS, ADMIN_LINKS, type ConsoleLink, isAdminRole } from './consoleLinks';

function active(pathname: string, to: string): boolean {
  return pathname === to || pathname.startsWith(`${to}/`);
}

/** The signed-in console: a side navigation (account pages, then admin pages for administrators) beside the
 * page on wide screens, a scrollable row of links above it on phones. */
export function ConsoleLayout() {
  const { t } = useTranslation();
  const me = useMe();
  const { pathname } = useLocation();
  const admin = isAdminRole(me.data?.role);
  const link = (item: ConsoleLink) => (
    <NavLink
      key={item.to}
      component={Link}
      to={item.to}
      label={t(item.key)}
      active={active(pathname, item.to)}
      aria-current={active(pathname, item.to) ? 'page' : undefined}
    />
  );
  const chip = (item: ConsoleLink) => (
    <Box
      key={item.to}
      component={Link}
      to={item.to}
      px="sm"
      py={6}
      aria-current={active(pathname, item.to) ? 'page' : undefined}
      style={{
        borderRadius: 'var(--mantine-radius-xl)',
        whiteSpace: 'nowrap',
        textDecoration: 'none',
        color: 'inherit',
        background: active(pathname, item.to) ? 'var(--mantine-color-default-hover)' : undefined,
        fontSize: 'var(--mantine-font-size-sm)',
      }}
    >
      {t(item.key)}
    </Box>
  );
  return (
    <Group align="flex-start" gap="lg" wrap="nowrap" data-testid="console">
      <Box component="nav" aria-label={t('console.nav.label')} w={220} visibleFrom="md" style={{ flexShrink: 0 }}>
        <Stack gap={2}>
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pb={4}>
            {t('console.nav.account')}
          </Text>
          {ACCOUNT_LINKS.map(link)}
          {admin && (
            <>
              <Divider my="sm" />
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pb={4}>
                {t('console.nav.admin')}
              </Text>
              {ADMIN_LINKS.map(link)}
            </>
          )}
        </Stack>
      </Box>
      <Box style={{ flex: 1, minWidth: 0 }}>
        <ScrollArea hiddenFrom="md" type="never" mb="md">
          <Group component="nav" aria-label={t('console.nav.label')} gap={4} wrap="nowrap">
            {ACCOUNT_LINKS.map(chip)}
            {admin && ADMIN_LINKS.map(chip)}
          </Group>
        </ScrollArea>
        <Outlet />
      </Box>
    </Group>
  );
}
