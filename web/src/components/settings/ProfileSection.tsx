import { Alert, Avatar, Badge, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { ApiError } from '../../api/errors';
import { useUpdateProfile, type Profile, type ProfileChange } from '../../api/settings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDate } from '../../lib/format';
import { initials } from '../AccountMenu';
import { useLocale } from '../rankings/metric';
import { SettingsSection } from './Section';

/** Display name, sign-in email and avatar. */
export function ProfileSection({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const update = useUpdateProfile();
  const [name, setName] = useState(profile.display_name ?? '');
  const [email, setEmail] = useState(profile.email);
  const [avatar, setAvatar] = useState(profile.avatar_url ?? '');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setName(profile.display_name ?? '');
    setEmail(profile.email);
    setAvatar(profile.avatar_url ?? '');
  }, [profile.display_name, profile.email, profile.avatar_url]);

  const change: ProfileChange = {};
  if (name.trim() !== (profile.display_name ?? '')) change.display_name = name.trim() === '' ? null : name.trim();
  if (email.trim().toLowerCase() !== profile.email.toLowerCase()) change.email = email.trim();
  if (avatar.trim() !== (profile.avatar_url ?? '')) change.avatar_url = avatar.trim() === '' ? null : avatar.trim();
  const dirty = Object.keys(change).length > 0;
  const error = update.error;
  const fieldError = (field: string) => (error instanceof ApiError && error.field === field ? describeError(error, t, currentLanguage()) : undefined);
  const generalError = error !== null && !(error instanceof ApiError && ['display_name', 'email', 'avatar_url'].includes(error.field ?? ''));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    if (!dirty) return;
    update.mutate(change, { onSuccess: () => setSaved(true) });
  };
  return (
    <SettingsSection id="profile" title={t('settings.profile.title')} description={t('settings.profile.lead')} testId="settings-profile">
      <Group gap="md" wrap="nowrap">
        <Avatar src={profile.avatar_url ?? undefined} color="initials" name={profile.display_name ?? profile.email} radius="xl" size={56} alt="">
          {initials(profile)}
        </Avatar>
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Text fw={700} style={{ overflowWrap: 'anywhere' }} data-testid="profile-name">
            {profile.display_name ?? profile.email}
          </Text>
          <Group gap={6}>
            <Badge variant="light">{t(`settings.profile.role.${profile.role === 'admin' || profile.role === 'root' ? profile.role : 'user'}`)}</Badge>
            <Text size="xs" c="dimmed">
              {t('settings.profile.since', { date: formatDate(profile.created_at, locale) })}
            </Text>
          </Group>
        </Stack>
      </Group>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={520}>
          <TextInput
            label={t('settings.profile.displayName')}
            description={t('settings.profile.displayNameHint')}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            maxLength={200}
            error={fieldError('display_name')}
            data-testid="profile-display-name"
          />
          <TextInput
            label={t('settings.profile.email')}
            description={t('settings.profile.emailHint')}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldError('email')}
            data-testid="profile-email"
          />
          <TextInput
            label={t('settings.profile.avatar')}
            description={t('settings.profile.avatarHint')}
            type="url"
            placeholder="https://"
            value={avatar}
            onChange={(event) => setAvatar(event.currentTarget.value)}
            error={fieldError('avatar_url')}
            data-testid="profile-avatar"
          />
          {generalError && (
            <Alert color="red" title={t('settings.saveFailed')}>
              {describeError(error, t, currentLanguage())}
            </Alert>
          )}
          <Group gap="sm">
            <Button type="submit" loading={update.isPending} disabled={!dirty} data-testid="profile-save">
              {t('settings.save')}
            </Button>
            <Text size="sm" c="teal" role="status" data-testid="profile-saved">
              {saved && !dirty ? t('settings.saved') : ''}
            </Text>
          </Group>
        </Stack>
      </form>
    </SettingsSection>
  );
}
