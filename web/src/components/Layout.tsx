import { AppShell, Box, Burger, Center, Group, Loader, NavLink, Stack, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink as RouterNavLink, Outlet, useLocation } from 'react-router';

import { useAccountTheme } from '../api/settings';
import { useAccountLanguage } from '../hooks/useLanguage';
import { AccountMenu, AccountPanel } from './AccountMenu';
import { LanguageSwitch } from './LanguageSwitch';
import { ThemeSwitch } from './ThemeSwitch';
import { LogoMark } from './icons';
import classes from './Layout.module.css';

const LINKS = [
  { to: '/', key: 'nav.home', end: true },
  { to: '/models', key: 'nav.models', end: false },
  { to: '/rankings', key: 'nav.rankings', end: false },
] as const;

function isActive(pathname: string, to: string, end: boolean): boolean {
  return end ? pathname === to : pathname === to || pathname.startsWith(`${to}/`);
}

export function PageLoader() {
  const { t } = useTranslation();
  return (
    <Center py="xl" role="status">
      <Loader size="sm" />
      <VisuallyHidden>{t('app.loading')}</VisuallyHidden>
    </Center>
  );
}

/** Header (logo, navigation, language, theme, account), a drawer on phones, and the page. */
export function Layout() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const wide = useMediaQuery('(min-width: 48em)'); // Mantine's sm breakpoint
  useAccountLanguage();
  useAccountTheme();
  useEffect(close, [location.pathname, close]);
  useEffect(() => {
    if (wide) {
      close();
    }
  }, [wide, close]);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 280, breakpoint: 'sm', collapsed: { mobile: !opened, desktop: true } }}
      padding="md"
    >
      <a href="#main" className={classes.skip}>
        {t('app.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" gap="sm" wrap="nowrap">
          <Burger
            opened={opened}
            onClick={toggle}
            hiddenFrom="sm"
            size="sm"
            aria-label={opened ? t('nav.closeMenu') : t('nav.openMenu')}
            aria-expanded={opened}
            data-testid="burger"
          />
          <UnstyledButton component={Link} to="/" aria-label={t('app.homeLink')} className={classes.logo}>
            <Group gap={8} wrap="nowrap">
              <LogoMark />
              <Text fw={800} size="lg" component="span">
                Modelyard
              </Text>
            </Group>
          </UnstyledButton>
          <Box component="nav" aria-label={t('nav.main')} visibleFrom="sm" ml="md">
            <Group gap={4}>
              {LINKS.map((link) => (
                <RouterNavLink key={link.to} to={link.to} end={link.end} className={classes.link}>
                  {t(link.key)}
                </RouterNavLink>
              ))}
            </Group>
          </Box>
          <Group gap="xs" ml="auto" wrap="nowrap">
            <LanguageSwitch />
            <ThemeSwitch />
            <Box visibleFrom="sm">
              <AccountMenu />
            </Box>
          </Group>
        </Group>
      </AppShell.Header>

      {/* Off screen while closed: inert keeps its links out of the tab order and the accessibility tree. */}
      <AppShell.Navbar p="md" aria-label={t('nav.main')} data-testid="mobile-nav" inert={!opened}>
        <Stack gap={4}>
          {LINKS.map((link) => (
            <NavLink
              key={link.to}
              component={Link}
              to={link.to}
              label={t(link.key)}
              active={isActive(location.pathname, link.to, link.end)}
              aria-current={isActive(location.pathname, link.to, link.end) ? 'page' : undefined}
              onClick={close}
            />
          ))}
        </Stack>
        <Stack gap="xs" mt="lg">
          <AccountPanel onNavigate={close} />
        </Stack>
      </AppShell.Navbar>

      <AppShell.Main id="main" tabIndex={-1}>
        <Suspense fallback={<PageLoader />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
