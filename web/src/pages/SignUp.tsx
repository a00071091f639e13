import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useSearchParams } from 'react-router';

import { ApiError } from '../api/errors';
import { useMe, useSignInOptions, useSignup } from '../api/queries';
import { usePageTitle } from '../hooks/usePageTitle';
import { currentLanguage } from '../i18n';
import { describeError } from '../lib/describeError';
import { safeNext } from '../lib/safeNext';
import { AuthCard, FooterLink, FormError, OidcButton } from './AuthCard';
import { EMAIL_PATTERN } from './SignIn';

type Field = 'email' | 'password' | 'invite_code' | 'display_name';
const DEFAULT_MIN_PASSWORD = 10;

export default function SignUp() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const me = useMe();
  const options = useSignInOptions();
  const signup = useSignup();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [inviteCode, setInviteCode] = useState(params.get('invite') ?? '');
  const [invalid, setInvalid] = useState<Partial<Record<Field, string>>>({});
  usePageTitle(t('auth.signUp.submit'));

  if (me.data) {
    return <Navigate to={next} replace />;
  }

  const mode = options.data?.signup_mode ?? 'open';
  const minPassword = options.data?.password_min_length ?? DEFAULT_MIN_PASSWORD;
  const signIn = `/signin${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;
  const footer = <FooterLink prompt={t('auth.signUp.haveAccount')} to={signIn} label={t('auth.signUp.signInInstead')} />;

  if (mode === 'closed') {
    return (
      <AuthCard title={t('auth.signUp.title')} footer={footer}>
        <Alert color="yellow" variant="light" role="status">
          {t('auth.signUp.closed')}
        </Alert>
      </AuthCard>
    );
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
    } else if (password.length < minPassword) {
      problems.password = t('auth.errors.passwordTooShort', { min: minPassword });
    }
    if (mode === 'invite' && inviteCode.trim() === '') {
      problems.invite_code = t('auth.errors.inviteRequired');
    }
    setInvalid(problems);
    if (Object.keys(problems).length > 0) {
      return;
    }
    signup.mutate({
      body: {
        email: email.trim(),
        password,
        display_name: displayName.trim() === '' ? null : displayName.trim(),
        invite_code: mode === 'invite' ? inviteCode.trim() : null,
      },
      language: currentLanguage(),
    });
  };

  const error = signup.error;
  // A problem with one field is shown at that field; anything else above the form.
  const serverField =
    error instanceof ApiError && (error.status === 400 || error.status === 403) ? (error.field as Field | null) : null;
  const message = error && serverField === null ? describeError(error, t, currentLanguage(), 'signup') : null;
  const fieldError = (field: Field) => invalid[field] ?? (serverField === field && error ? error.message : undefined);

  return (
    <AuthCard title={t('auth.signUp.title')} footer={footer}>
      <OidcButton next={next} />
      <FormError title={t('auth.errors.signUpTitle')} message={message} />
      <form onSubmit={submit} noValidate aria-label={t('auth.signUp.title')}>
        <Stack gap="md">
          <TextInput
            label={t('auth.email')}
            placeholder={t('auth.emailPlaceholder')}
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldError('email')}
            required
            autoFocus
          />
          <PasswordInput
            label={t('auth.password')}
            description={t('auth.passwordHint', { min: minPassword })}
            name="new-password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={fieldError('password')}
            required
          />
          <TextInput
            label={t('auth.displayName')}
            description={t('auth.displayNameHint')}
            name="name"
            autoComplete="name"
            value={displayName}
            onChange={(event) => setDisplayName(event.currentTarget.value)}
            error={fieldError('display_name')}
            maxLength={200}
          />
          {mode === 'invite' && (
            <TextInput
              label={t('auth.inviteCode')}
              description={t('auth.inviteCodeHint')}
              name="invite"
              autoComplete="off"
              value={inviteCode}
              onChange={(event) => setInviteCode(event.currentTarget.value)}
              error={fieldError('invite_code')}
              required
            />
          )}
          <Button type="submit" fullWidth loading={signup.isPending} data-testid="submit">
            {t('auth.signUp.submit')}
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
