import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useSearchParams } from 'react-router';

import { useLogin, useMe } from '../api/queries';
import { usePageTitle } from '../hooks/usePageTitle';
import { currentLanguage } from '../i18n';
import { describeError } from '../lib/describeError';
import { safeNext } from '../lib/safeNext';
import { AuthCard, FooterLink, FormError, OidcButton } from './AuthCard';

export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

type Field = 'email' | 'password';

export default function SignIn() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const me = useMe();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invalid, setInvalid] = useState<Partial<Record<Field, string>>>({});
  usePageTitle(t('nav.signIn'));

  if (me.data) {
    // Signed in (just now, or already): back to where the user was.
    return <Navigate to={next} replace />;
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problems: Partial<Record<Field, string>> = {};
    if (email.trim() === '') {
      problems.email = t('auth.errors.emailRequired');
    } else if (!EMAIL_PATTERN.test(email.trim())) {
      problems.email = t('auth.errors.emailInvalid');
    }
    if (password === '') {
      problems.password = t('auth.errors.passwordRequired');
    }
    setInvalid(problems);
    if (Object.keys(problems).length === 0) {
      login.mutate({ email: email.trim(), password });
    }
  };

  const message = login.error ? describeError(login.error, t, currentLanguage(), 'signin') : null;
  const signUp = `/signup${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;
  return (
    <AuthCard
      title={t('auth.signIn.title')}
      footer={<FooterLink prompt={t('auth.signIn.noAccount')} to={signUp} label={t('auth.signIn.createOne')} />}
    >
      <OidcButton next={next} />
      <FormError title={t('auth.errors.title')} message={message} />
      <form onSubmit={submit} noValidate aria-label={t('auth.signIn.title')}>
        <Stack gap="md">
          <TextInput
            label={t('auth.email')}
            placeholder={t('auth.emailPlaceholder')}
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={invalid.email}
            required
            data-autofocus
            autoFocus
          />
          <PasswordInput
            label={t('auth.password')}
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={invalid.password}
            required
          />
          <Button type="submit" fullWidth loading={login.isPending} data-testid="submit">
            {t('auth.signIn.submit')}
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
