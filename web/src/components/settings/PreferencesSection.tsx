import { Alert, Group, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';

import { useCatalogModels } from '../../api/catalog';
import { useUpdatePreferences } from '../../api/queries';
import { useChangeTheme } from '../../api/settings';
import type { Preferences, PreferencesChange, Theme } from '../../api/types';
import { useChangeLanguage } from '../../hooks/useLanguage';
import { currentLanguage, isLanguage, LANGUAGES } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { SettingsSection } from './Section';

const THEMES: Theme[] = ['light', 'dark', 'system'];
const STRATEGIES = ['default', 'price', 'latency', 'throughput', 'weighted'] as const;
type Strategy = (typeof STRATEGIES)[number];
const SERVER_DEFAULT = '__server__';

function isStrategy(value: string): value is Strategy {
  return (STRATEGIES as readonly string[]).includes(value);
}

/** Language and theme (applied at once), the playground's default model and the routing strategy. */
export function PreferencesSection({ preferences }: { preferences: Preferences }) {
  const { t } = useTranslation();
  const changeLanguage = useChangeLanguage();
  const changeTheme = useChangeTheme();
  const update = useUpdatePreferences();
  const catalog = useCatalogModels();
  const ids = { language: useId(), theme: useId() };
  const models = useMemo(
    () =>
      (catalog.data ?? [])
        .map((model) => ({ value: model.id, label: `${model.name} (${model.id})` }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    [catalog.data],
  );
  if (preferences.default_model && !models.some((model) => model.value === preferences.default_model)) {
    models.unshift({ value: preferences.default_model, label: preferences.default_model });
  }
  const save = (change: PreferencesChange) => update.mutate(change);
  const strategyLabel = (value: string) => (isStrategy(value) ? t(`settings.preferences.strategies.${value}`) : value);
  return (
    <SettingsSection id="preferences" title={t('settings.preferences.title')} description={t('settings.preferences.lead')} testId="settings-preferences">
      <Stack gap="md" maw={560}>
        <div>
          <Text size="sm" fw={500} id={ids.language}>
            {t('settings.preferences.language')}
          </Text>
          <SegmentedControl
            mt={4}
            value={currentLanguage()}
            onChange={(value) => isLanguage(value) && changeLanguage(value)}
            data={LANGUAGES.map((value) => ({ value, label: t(`language.${value}`) }))}
            aria-labelledby={ids.language}
            data-testid="preference-language"
          />
        </div>
        <div>
          <Text size="sm" fw={500} id={ids.theme}>
            {t('settings.preferences.theme')}
          </Text>
          <SegmentedControl
            mt={4}
            value={preferences.theme}
            onChange={(value) => changeTheme(value as Theme)}
            data={THEMES.map((value) => ({ value, label: t(`theme.${value}`) }))}
            aria-labelledby={ids.theme}
            data-testid="preference-theme"
          />
        </div>
        <Select
          label={t('settings.preferences.defaultModel')}
          description={t('settings.preferences.defaultModelHint')}
          placeholder={t('settings.preferences.noDefaultModel')}
          data={models}
          value={preferences.default_model}
          onChange={(value) => save({ default_model: value })}
          searchable
          clearable
          nothingFoundMessage={t('settings.preferences.noModels')}
          data-testid="preference-model"
        />
        <Select
          label={t('settings.preferences.strategy')}
          description={t('settings.preferences.strategyHint', { effective: strategyLabel(preferences.effective_routing_strategy) })}
          data={[
            { value: SERVER_DEFAULT, label: t('settings.preferences.serverDefault') },
            ...STRATEGIES.map((value) => ({ value, label: strategyLabel(value) })),
          ]}
          value={preferences.routing_strategy ?? SERVER_DEFAULT}
          allowDeselect={false}
          onChange={(value) => value && save({ routing_strategy: value === SERVER_DEFAULT ? null : (value as Strategy) })}
          data-testid="preference-strategy"
        />
        <Group gap="xs" mih={22}>
          <Text size="sm" c={update.isError ? 'red' : 'teal'} role="status" data-testid="preferences-status">
            {update.isPending ? t('settings.saving') : update.isError ? '' : update.isSuccess ? t('settings.saved') : ''}
          </Text>
        </Group>
        {update.isError && (
          <Alert color="red" title={t('settings.saveFailed')}>
            {describeError(update.error, t, currentLanguage())}
          </Alert>
        )}
      </Stack>
    </SettingsSection>
  );
}
