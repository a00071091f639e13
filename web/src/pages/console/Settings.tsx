// Settings: profile, password, the linked Google account, sessions, preferences (language and theme switch the
// app at once) and the low-balance alert (changed on the Credits page).
import { Alert, Anchor, Button, Group, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useMe, usePreferences } from '../../api/queries';
import { useProfile } from '../../api/settings';
import { GoogleSection } from '../../components/settings/GoogleSection';
import { NotificationsSection } from '../../components/settings/NotificationsSection';
import { PasswordSection } from '../../components/settings/PasswordSection';
import { PreferencesSection } from '../../components/settings/PreferencesSection';
import { ProfileSection } from '../../components/settings/ProfileSection';
import { SessionsSection } from '../../components/settings/SessionsSection';
import { usePageTitle } from '../../hooks/usePageTitle';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';

const SECTIONS = ['profile', 'password', 'sessions', 'preferences', 'notifications'] as const;

export default function SettingsPage() {
  const { t } = useTranslation();
  usePageTitle(t('settings.title'));
  const me = useMe();
  const profile = useProfile();
  const preferences = usePreferences(Boolean(me.data));
  const failed = profile.error ?? preferences.error;
  return (
    <Stack gap="lg" maw={880} data-testid="settings-page">
      <div>
        <Title order={1}>{t('settings.title')}</Title>
        <Text c="dimmed" size="sm">
          {t('settings.lead')}
        </Text>
      </div>
      <Group component="nav" gap="sm" aria-label={t('settings.sectionsLabel')} wrap="wrap">
        {SECTIONS.map((id) => (
          <Anchor key={id} href={`#${id}`} size="sm">
            {t(`settings.${id}.title`, { provider: '' })}
          </Anchor>
        ))}
      </Group>
      {failed ? (
        <Alert color="red" title={t('settings.loadFailed')}>
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{describeError(failed, t, currentLanguage())}</Text>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                void profile.refetch();
                void preferences.refetch();
              }}
            >
              {t('settings.retry')}
            </Button>
          </Stack>
        </Alert>
      ) : profile.data === undefined || preferences.data === undefined ? (
        <Stack gap="lg" aria-busy="true" aria-label={t('app.loading')}>
          <Skeleton h={260} radius="md" />
          <Skeleton h={200} radius="md" />
        </Stack>
      ) : (
        <>
          <ProfileSection profile={profile.data} />
          <PasswordSection profile={profile.data} />
          <GoogleSection profile={profile.data} />
          <SessionsSection />
          <PreferencesSection preferences={preferences.data} />
          <NotificationsSection preferences={preferences.data} />
        </>
      )}
    </Stack>
  );
}
