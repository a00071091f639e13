import { Alert, Anchor, Button, Container, Divider, Paper, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { useSignInOptions } from '../api/queries';

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  return (
    <Container size={440} px={0} py="xl">
      <Paper withBorder shadow="sm" p={{ base: 'md', xs: 'xl' }} radius="md">
        <Title order={1} size="h2" mb="lg" ta="center">
          {title}
        </Title>
        {children}
      </Paper>
      <Text ta="center" mt="md" size="sm">
        {footer}
      </Text>
    </Container>
  );
}

export function FooterLink({ prompt, to, label }: { prompt: string; to: string; label: string }) {
  return (
    <>
      {prompt}{' '}
      <Anchor component={Link} to={to} fw={600}>
        {label}
      </Anchor>
    </>
  );
}

export function FormError({ title, message }: { title: string; message: string | null }) {
  if (message === null) {
    return null;
  }
  return (
    <Alert color="red" variant="light" title={title} mb="md" role="alert" data-testid="form-error">
      {message}
    </Alert>
  );
}

function GoogleMark() {
  return (
    <svg width="18" height="18" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
      <path fill="#EA4335" d="M24 9.5c3.5 0 6.6 1.2 9 3.5l6.7-6.7C35.6 2.4 30.2 0 24 0 14.6 0 6.6 5.4 2.7 13.3l7.8 6C12.4 13.6 17.7 9.5 24 9.5z" />
      <path fill="#4285F4" d="M46.1 24.5c0-1.6-.1-3.1-.4-4.5H24v9h12.4c-.5 2.9-2.2 5.3-4.6 7l7.4 5.7c4.3-4 6.9-9.9 6.9-17.2z" />
      <path fill="#FBBC05" d="M10.5 28.7c-.5-1.4-.8-3-.8-4.7s.3-3.3.8-4.7l-7.8-6C1 16.6 0 20.2 0 24s1 7.4 2.7 10.7l7.8-6z" />
      <path fill="#34A853" d="M24 48c6.5 0 11.9-2.1 15.9-5.8l-7.4-5.7c-2.1 1.4-4.8 2.3-8.5 2.3-6.3 0-11.6-4.1-13.5-9.8l-7.8 6C6.6 42.6 14.6 48 24 48z" />
    </svg>
  );
}

/** "Continue with Google", only when the server has it configured; a full-page navigation to the provider. */
export function OidcButton({ next }: { next: string }) {
  const { t } = useTranslation();
  const options = useSignInOptions();
  if (!options.data?.oidc_enabled) {
    return null;
  }
  const provider = options.data.oidc_provider_name;
  return (
    <>
      <Button
        component="a"
        href={`/api/auth/google?next=${encodeURIComponent(next)}`}
        variant="default"
        fullWidth
        leftSection={provider === 'Google' ? <GoogleMark /> : undefined}
        data-testid="oidc-button"
      >
        {t('auth.continueWith', { provider })}
      </Button>
      <Divider label={t('auth.or')} labelPosition="center" my="md" />
    </>
  );
}
