import { Alert, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useSignInOptions } from '../../api/queries';
import { useStartGoogleLink, useUnlinkGoogle, type Profile } from '../../api/settings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { SettingsSection } from './Section';

/** The linked Google (OpenID Connect) account: only where this server offers Google sign-in. */
export function GoogleSection({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const options = useSignInOptions();
  const link = useStartGoogleLink();
  const unlink = useUnlinkGoogle();
  if (!options.data?.oidc_enabled) {
    return null;
  }
  const provider = options.data.oidc_provider_name;
  const error = link.error ?? unlink.error;
  return (
    <SettingsSection id="google" title={t('settings.google.title', { provider })} description={t('settings.google.lead', { provider })} testId="settings-google">
      <Stack gap="sm">
        <Group gap="sm">
          <Badge color={profile.google_linked ? 'teal' : 'gray'} variant="light" data-testid="google-status">
            {profile.google_linked ? t('settings.google.linked') : t('settings.google.notLinked')}
          </Badge>
          {profile.google_linked ? (
            <Button
              variant="default"
              onClick={() => unlink.mutate()}
              loading={unlink.isPending}
              disabled={!profile.has_password}
              data-testid="google-unlink"
            >
              {t('settings.google.unlink', { provider })}
            </Button>
          ) : (
            <Button
              onClick={() => link.mutate('/settings#google', { onSuccess: (url) => window.location.assign(url) })}
              loading={link.isPending || link.isSuccess}
              data-testid="google-link"
            >
              {t('settings.google.link', { provider })}
            </Button>
          )}
        </Group>
        {profile.google_linked && !profile.has_password && (
          <Text size="sm" c="dimmed">
            {t('settings.google.needsPassword', { provider })}
          </Text>
        )}
        {error !== null && (
          <Alert color="red" title={t('settings.saveFailed')}>
            {describeError(error, t, currentLanguage())}
          </Alert>
        )}
      </Stack>
    </SettingsSection>
  );
}
