import { Button, Menu } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useChangeLanguage } from '../hooks/useLanguage';
import { LANGUAGES, currentLanguage } from '../i18n';
import { LanguageIcon } from './icons';

const SHORT: Record<(typeof LANGUAGES)[number], string> = { en: 'EN', 'zh-CN': '中文' };

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const change = useChangeLanguage();
  const language = currentLanguage();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="default"
          size="sm"
          px="xs"
          leftSection={<LanguageIcon size={16} />}
          aria-label={`${t('language.label')}: ${t(`language.${language}`)}`}
          data-testid="language-switch"
        >
          {SHORT[language]}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('language.label')}</Menu.Label>
        {LANGUAGES.map((value) => (
          <Menu.Item
            key={value}
            lang={value}
            onClick={() => change(value)}
            aria-current={i18n.language === value ? 'true' : undefined}
            fw={i18n.language === value ? 700 : undefined}
            data-testid={`language-${value}`}
          >
            {t(`language.${value}`)}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
