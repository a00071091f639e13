import { Alert, Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { ApiError } from '../../api/errors';
import { useSignInOptions } from '../../api/queries';
import { useUpdateProfile, type Profile } from '../../api/settings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { SettingsSection } from './Section';

/** A new password (the current one first, when the account has one); every other session is signed out. */
export function PasswordSection({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const options = useSignInOptions();
  const minLength = options.data?.password_min_length ?? 8;
  const update = useUpdateProfile();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<'short' | 'mismatch' | null>(null);
  const [done, setDone] = useState(false);
  const error = update.error;
  const serverField = error instanceof ApiError ? error.field : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (next.length < minLength) {
      setProblem('short');
      return;
    }
    if (next !== again) {
      setProblem('mismatch');
      return;
    }
    setProblem(null);
    update.mutate(
      { password: next, ...(profile.has_password ? { current_password: current } : {}) },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
          setAgain('');
          setDone(true);
        },
      },
    );
  };
  const wrongCurrent = serverField === 'current_password';
  return (
    <SettingsSection
      id="password"
      title={t('settings.password.title')}
      description={profile.has_password ? t('settings.password.lead') : t('settings.password.leadNone')}
      testId="settings-password"
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={520}>
          {profile.has_password && (
            <PasswordInput
              label={t('settings.password.current')}
              autoComplete="current-password"
              value={current}
              onChange={(event) => setCurrent(event.currentTarget.value)}
              error={wrongCurrent ? t('settings.password.wrongCurrent') : undefined}
              required
              data-testid="password-current"
            />
          )}
          <PasswordInput
            label={t('settings.password.new')}
            description={t('settings.password.rule', { count: minLength })}
            autoComplete="new-password"
            value={next}
            onChange={(event) => setNext(event.currentTarget.value)}
            error={problem === 'short' ? t('settings.password.tooShort', { count: minLength }) : serverField === 'password' ? describeError(error, t, currentLanguage()) : undefined}
            required
            data-testid="password-new"
          />
          <PasswordInput
            label={t('settings.password.again')}
            autoComplete="new-password"
            value={again}
            onChange={(event) => setAgain(event.currentTarget.value)}
            error={problem === 'mismatch' ? t('settings.password.mismatch') : undefined}
            required
            data-testid="password-again"
          />
          {error !== null && !wrongCurrent && serverField !== 'password' && (
            <Alert color="red" title={t('settings.saveFailed')}>
              {describeError(error, t, currentLanguage())}
            </Alert>
          )}
          <Group gap="sm">
            <Button type="submit" loading={update.isPending} disabled={next === '' || (profile.has_password && current === '')} data-testid="password-save">
              {t('settings.password.submit')}
            </Button>
            <Text size="sm" c="teal" role="status" data-testid="password-done">
              {done ? t('settings.password.done') : ''}
            </Text>
          </Group>
        </Stack>
      </form>
    </SettingsSection>
  );
}
