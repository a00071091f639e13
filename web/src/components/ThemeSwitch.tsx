import { ActionIcon, Menu, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { schemeToTheme, useChangeTheme } from '../api/settings';
import { MonitorIcon, MoonIcon, SunIcon } from './icons';

const SCHEMES: { value: MantineColorScheme; key: 'theme.light' | 'theme.dark' | 'theme.system'; Icon: typeof SunIcon }[] = [
  { value: 'light', key: 'theme.light', Icon: SunIcon },
  { value: 'dark', key: 'theme.dark', Icon: MoonIcon },
  { value: 'auto', key: 'theme.system', Icon: MonitorIcon },
];

/** Light, dark or the system's; Mantine keeps the choice in localStorage (and a signed-in user's account). */
export function ThemeSwitch() {
  const { t } = useTranslation();
  const { colorScheme } = useMantineColorScheme();
  const change = useChangeTheme();
  const CurrentIcon = colorScheme === 'dark' ? MoonIcon : colorScheme === 'light' ? SunIcon : MonitorIcon;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="default" size="lg" aria-label={t('theme.label')} title={t('theme.label')} data-testid="theme-switch">
          <CurrentIcon />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('theme.label')}</Menu.Label>
        {SCHEMES.map(({ value, key, Icon }) => (
          <Menu.Item
            key={value}
            leftSection={<Icon size={16} />}
            onClick={() => change(schemeToTheme(value))}
            aria-current={colorScheme === value ? 'true' : undefined}
            fw={colorScheme === value ? 700 : undefined}
            data-testid={`theme-${value}`}
          >
            {t(key)}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
