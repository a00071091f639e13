import { Alert, Badge, Button, Group, List, Paper, PasswordInput, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';

import {
  type AlertChange,
  type AlertSettings,
  type ChannelResult,
  useAlertSettings,
  useTestAlert,
  useUpdateAlertSettings,
} from '../../api/credits';
import { ApiError } from '../../api/errors';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatUsd, usdToNanos } from '../../lib/format';
import { CopyValueButton } from '../keys/CopyValueButton';
import { useLocale } from '../rankings/metric';
import { parseUsdInput } from './usdInput';

type Field = 'threshold' | 'email' | 'webhook_url';
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** What changed in the form, as the API takes it: a field not changed is left out. */
export function alertChanges(settings: AlertSettings, form: { threshold: string; email: string; webhook: string }): AlertChange {
  const change: AlertChange = {};
  const threshold = parseUsdInput(form.threshold);
  if (threshold !== null && usdToNanos(threshold) !== usdToNanos(settings.threshold)) {
    change.threshold = threshold;
  }
  const email = form.email.trim() === '' ? null : form.email.trim();
  if (email !== settings.email) {
    change.email = email;
  }
  const webhook = form.webhook.trim() === '' ? null : form.webhook.trim();
  if (webhook !== settings.webhook_url) {
    change.webhook_url = webhook;
  }
  return change;
}

function ChannelStatus({ name, result }: { name: string; result: ChannelResult }) {
  const { t } = useTranslation();
  const color = result.status === 'sent' ? 'teal' : result.status === 'failed' ? 'red' : 'gray';
  return (
    <List.Item data-testid={`alert-test-${name}`} data-status={result.status}>
      <Group gap={6} wrap="wrap">
        <Text size="sm" fw={600}>
          {t(`credits.alerts.channel.${name as 'email' | 'webhook'}`)}
        </Text>
        <Badge color={color} variant="light">
          {t(`credits.alerts.status.${result.status}`)}
        </Badge>
        {result.detail && (
          <Text size="sm" c="dimmed" style={{ wordBreak: 'break-word' }}>
            {result.detail}
          </Text>
        )}
      </Group>
    </List.Item>
  );
}

function AlertsForm({
  settings,
  save,
}: {
  settings: AlertSettings;
  save: UseMutationResult<AlertSettings, Error, AlertChange>;
}) {
  const { t } = useTranslation();
  const locale = useLocale();
  const test = useTestAlert();
  const [threshold, setThreshold] = useState(settings.threshold);
  const [email, setEmail] = useState(settings.email ?? '');
  const [webhook, setWebhook] = useState(settings.webhook_url ?? '');
  const [invalid, setInvalid] = useState<Partial<Record<Field, string>>>({});

  const serverField = save.error instanceof ApiError ? save.error.field : null;
  const fieldError = (field: Field) => invalid[field] ?? (serverField === field && save.error ? save.error.message : undefined);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problems: Partial<Record<Field, string>> = {};
    if (parseUsdInput(threshold) === null) {
      problems.threshold = t('credits.alerts.errors.threshold');
    }
    if (email.trim() !== '' && !EMAIL.test(email.trim())) {
      problems.email = t('credits.alerts.errors.email');
    }
    if (webhook.trim() !== '' && !/^https?:\/\/\S+$/i.test(webhook.trim())) {
      problems.webhook_url = t('credits.alerts.errors.webhook');
    }
    setInvalid(problems);
    if (Object.keys(problems).length === 0) {
      save.mutate(alertChanges(settings, { threshold, email, webhook }));
    }
  };

  const off = usdToNanos(settings.threshold) === 0n;
  return (
    <form onSubmit={submit} noValidate aria-label={t('credits.alerts.title')}>
      <Stack gap="sm">
        <Group gap="xs">
          {off ? (
            <Badge color="gray" variant="light" data-testid="alerts-state">
              {t('credits.alerts.off')}
            </Badge>
          ) : (
            <Badge color="teal" variant="light" data-testid="alerts-state">
              {t('credits.alerts.on', { threshold: formatUsd(settings.threshold, locale) })}
            </Badge>
          )}
          {settings.threshold_is_default && (
            <Badge color="blue" variant="outline">
              {t('credits.alerts.default')}
            </Badge>
          )}
          {settings.alerted && (
            <Badge color="orange" variant="light">
              {t('credits.alerts.alerted')}
            </Badge>
          )}
        </Group>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label={t('credits.alerts.threshold')}
            description={t('credits.alerts.thresholdHint')}
            value={threshold}
            onChange={(event) => setThreshold(event.currentTarget.value)}
            leftSection="$"
            inputMode="decimal"
            error={fieldError('threshold')}
            w={{ base: '100%', xs: 260 }}
            data-testid="alerts-threshold"
          />
          {!settings.threshold_is_default && (
            <Button variant="subtle" onClick={() => save.mutate({ threshold: null })} loading={save.isPending && save.variables?.threshold === null}>
              {t('credits.alerts.useDefault')}
            </Button>
          )}
        </Group>
        <TextInput
          label={t('credits.alerts.email')}
          description={settings.email_enabled ? t('credits.alerts.emailHint') : t('credits.alerts.emailOff')}
          type="email"
          autoComplete="email"
          placeholder="you@example.com"
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={fieldError('email')}
          data-testid="alerts-email"
        />
        <TextInput
          label={t('credits.alerts.webhook')}
          description={t('credits.alerts.webhookHint')}
          type="url"
          placeholder="https://example.com/hooks/modelyard"
          value={webhook}
          onChange={(event) => setWebhook(event.currentTarget.value)}
          error={fieldError('webhook_url')}
          data-testid="alerts-webhook"
        />
        <Group align="flex-end" gap="xs" wrap="nowrap">
          <PasswordInput
            label={t('credits.alerts.secret')}
            description={t('credits.alerts.secretHint')}
            value={settings.webhook_secret}
            readOnly
            style={{ flex: 1, minWidth: 0 }}
            styles={{ innerInput: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <CopyValueButton value={settings.webhook_secret} label={t('credits.alerts.copySecret')} compact />
        </Group>
        {save.error !== null && serverField === null && (
          <Alert color="red" title={t('credits.alerts.saveFailed')}>
            {describeError(save.error, t, currentLanguage())}
          </Alert>
        )}
        <div aria-live="polite">
          {save.isSuccess && (
            <Text size="sm" c="teal" data-testid="alerts-saved">
              {t('credits.alerts.saved')}
            </Text>
          )}
        </div>
        <Group gap="sm">
          <Button type="submit" loading={save.isPending} data-testid="alerts-save">
            {t('credits.alerts.save')}
          </Button>
          <Button variant="default" onClick={() => test.mutate()} loading={test.isPending} data-testid="alerts-test">
            {t('credits.alerts.test')}
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          {t('credits.alerts.testHint')}
        </Text>
        <div aria-live="polite">
          {test.isSuccess && (
            <List spacing={4} listStyleType="none" p={0} m={0} data-testid="alert-test-results" aria-label={t('credits.alerts.testResults')}>
              <ChannelStatus name="email" result={test.data.email} />
              <ChannelStatus name="webhook" result={test.data.webhook} />
            </List>
          )}
          {test.error !== null && (
            <Alert color="orange" title={t('credits.alerts.testFailed')} data-testid="alert-test-error">
              {describeError(test.error, t, currentLanguage())}
            </Alert>
          )}
        </div>
      </Stack>
    </form>
  );
}

/** The low-balance alert: threshold, email and webhook, and a test send to both. */
export function AlertsSection() {
  const { t } = useTranslation();
  const settings = useAlertSettings();
  const save = useUpdateAlertSettings();
  const data = settings.data;
  return (
    <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby="alerts-title">
      <Text id="alerts-title" component="h2" fz="h4" fw={700}>
        {t('credits.alerts.title')}
      </Text>
      <Text size="sm" c="dimmed" mt={2} mb="sm">
        {t('credits.alerts.lead')}
      </Text>
      {settings.isError ? (
        <Alert color="red" title={t('credits.alerts.error')}>
          <Group gap="sm">
            <Text size="sm">{describeError(settings.error, t, currentLanguage())}</Text>
            <Button size="xs" variant="default" onClick={() => void settings.refetch()} loading={settings.isFetching}>
              {t('credits.retry')}
            </Button>
          </Group>
        </Alert>
      ) : data === undefined ? (
        <Skeleton h={260} radius="md" />
      ) : (
        // A new form from each saved answer (the server normalises what it stores).
        <AlertsForm key={`${data.threshold}|${data.email ?? ''}|${data.webhook_url ?? ''}`} settings={data} save={save} />
      )}
    </Paper>
  );
}
