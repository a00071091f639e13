import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  PasswordInput,
  Radio,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type SettingName, type SiteSettings, useUpdateSiteSettings } from '../../../api/admin';
import { formatDuration, formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminSection, ErrorText } from '../AdminPage';
import {
  type FieldError,
  FIELD_SETTING,
  type FormField,
  formFromValues,
  isEmptyPatch,
  type SettingsForm,
  settingsPatch,
  SIGNUP_MODES,
  validateSettings,
  withResets,
} from '../settingsForm';

/** Where a setting's value comes from, and a way back to the environment's. */
function Source({
  setting,
  settings,
  resets,
  onReset,
  onUndo,
}: {
  setting: SettingName;
  settings: SiteSettings;
  resets: ReadonlySet<SettingName>;
  onReset: () => void;
  onUndo: () => void;
}) {
  const { t } = useTranslation();
  if (resets.has(setting)) {
    return (
      <Group gap={6}>
        <Badge size="xs" color="orange" variant="light">
          {t('admin.settings.source.pendingReset')}
        </Badge>
        <UnstyledButton onClick={onUndo} fz="xs" c="blue" td="underline">
          {t('admin.settings.source.undo')}
        </UnstyledButton>
      </Group>
    );
  }
  if (settings.sources[setting] === 'site') {
    return (
      <Group gap={6}>
        <Badge size="xs" variant="light">
          {t('admin.settings.source.site')}
        </Badge>
        <UnstyledButton onClick={onReset} fz="xs" c="blue" td="underline" aria-label={t('admin.settings.source.resetOne', { name: t(`admin.settings.names.${setting}`) })}>
          {t('admin.settings.source.reset')}
        </UnstyledButton>
      </Group>
    );
  }
  return (
    <Badge size="xs" color="gray" variant="outline">
      {t('admin.settings.source.environment')}
    </Badge>
  );
}

/** Every site setting in one form with one Save; each shows where its value comes from. */
export function SiteSettingsForm({ settings }: { settings: SiteSettings }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const update = useUpdateSiteSettings();
  const [form, setForm] = useState<SettingsForm>(() => formFromValues(settings.values));
  const [resets, setResets] = useState<Set<SettingName>>(new Set());
  const [showErrors, setShowErrors] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    setForm(formFromValues(settings.values));
    setResets(new Set());
  }, [settings]);

  const shown = useMemo(() => withResets(form, settings, resets), [form, settings, resets]);
  const errors = validateSettings(shown, settings, resets);
  const patch = settingsPatch(shown, settings, resets);
  const dirty = !isEmptyPatch(patch);

  const set = <K extends FormField>(field: K, value: SettingsForm[K]) => {
    setSaved(false);
    setForm((current) => ({ ...current, [field]: value }));
    setResets((current) => {
      const setting = FIELD_SETTING[field];
      if (!current.has(setting)) return current;
      const next = new Set(current);
      next.delete(setting);
      return next;
    });
  };
  const message = (field: FormField): string | undefined => {
    const code: FieldError | undefined = errors[field];
    return showErrors && code !== undefined ? t(`admin.settings.errors.${code}`) : undefined;
  };
  const source = (field: FormField) => {
    const setting = FIELD_SETTING[field];
    return (
      <Source
        setting={setting}
        settings={settings}
        resets={resets}
        onReset={() => {
          setSaved(false);
          setResets((current) => new Set(current).add(setting));
        }}
        onUndo={() =>
          setResets((current) => {
            const next = new Set(current);
            next.delete(setting);
            return next;
          })
        }
      />
    );
  };
  const labelled = (field: FormField, label: string): ReactNode => (
    <Group gap={8} component="span" wrap="wrap">
      <span>{label}</span>
      {source(field)}
    </Group>
  );

  const save = async () => {
    setShowErrors(true);
    if (Object.keys(errors).length > 0 || !dirty) {
      return;
    }
    await update.mutateAsync(patch).then(() => {
      setSaved(true);
      setShowErrors(false);
    }, () => undefined);
  };

  const interval = Number(shown.catalog_sync_interval_seconds);
  const callback = `${window.location.origin}/api/auth/google/callback`;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      noValidate
    >
      <Stack gap="lg">
        {settings.problem !== null && (
          <Alert color="red" title={t('admin.settings.problem')} role="alert">
            {settings.problem}
          </Alert>
        )}

        <AdminSection title={t('admin.settings.signup.title')} description={t('admin.settings.signup.lead')} testId="settings-signup">
          <Radio.Group
            label={labelled('signup_mode', t('admin.settings.names.signup_mode'))}
            value={shown.signup_mode}
            onChange={(value) => set('signup_mode', value as SettingsForm['signup_mode'])}
          >
            <Stack gap="xs" mt="xs">
              {SIGNUP_MODES.map((mode) => (
                <Radio key={mode} value={mode} label={t(`admin.settings.signup.${mode}`)} description={t(`admin.settings.signup.${mode}Hint`)} data-testid={`signup-${mode}`} />
              ))}
            </Stack>
          </Radio.Group>
        </AdminSection>

        <AdminSection
          title={t('admin.settings.oidc.title')}
          description={t('admin.settings.oidc.lead')}
          actions={
            <Badge color={settings.values.oidc_enabled ? 'green' : 'gray'} variant="light">
              {settings.values.oidc_enabled ? t('admin.settings.on') : t('admin.settings.off')}
            </Badge>
          }
          testId="settings-oidc"
        >
          <Text size="sm">
            {t('admin.settings.oidc.redirect')} <Code>{callback}</Code>
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label={labelled('oidc_client_id', t('admin.settings.names.oidc_client_id'))} value={shown.oidc_client_id} onChange={(e) => set('oidc_client_id', e.currentTarget.value)} error={message('oidc_client_id')} spellCheck={false} autoComplete="off" />
            <PasswordInput
              label={labelled('oidc_client_secret', t('admin.settings.names.oidc_client_secret'))}
              description={settings.values.oidc_client_secret_set ? t('admin.settings.secretStored') : t('admin.settings.secretNone')}
              value={shown.oidc_client_secret}
              onChange={(e) => set('oidc_client_secret', e.currentTarget.value)}
              error={message('oidc_client_secret')}
              autoComplete="new-password"
            />
            <TextInput label={labelled('oidc_discovery_url', t('admin.settings.names.oidc_discovery_url'))} value={shown.oidc_discovery_url} onChange={(e) => set('oidc_discovery_url', e.currentTarget.value)} error={message('oidc_discovery_url')} spellCheck={false} />
            <TextInput label={labelled('oidc_provider_name', t('admin.settings.names.oidc_provider_name'))} value={shown.oidc_provider_name} onChange={(e) => set('oidc_provider_name', e.currentTarget.value)} error={message('oidc_provider_name')} />
          </SimpleGrid>
          <Switch
            label={labelled('oidc_link_verified_email', t('admin.settings.names.oidc_link_verified_email'))}
            description={t('admin.settings.oidc.linkHint')}
            checked={shown.oidc_link_verified_email}
            onChange={(e) => set('oidc_link_verified_email', e.currentTarget.checked)}
          />
        </AdminSection>

        <AdminSection
          title={t('admin.settings.smtp.title')}
          description={t('admin.settings.smtp.lead')}
          actions={
            <Badge color={settings.values.smtp_enabled ? 'green' : 'gray'} variant="light">
              {settings.values.smtp_enabled ? t('admin.settings.on') : t('admin.settings.off')}
            </Badge>
          }
          testId="settings-smtp"
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label={labelled('smtp_host', t('admin.settings.names.smtp_host'))} description={t('admin.settings.smtp.hostHint')} value={shown.smtp_host} onChange={(e) => set('smtp_host', e.currentTarget.value)} error={message('smtp_host')} spellCheck={false} />
            <TextInput label={labelled('smtp_port', t('admin.settings.names.smtp_port'))} value={shown.smtp_port} onChange={(e) => set('smtp_port', e.currentTarget.value)} error={message('smtp_port')} inputMode="numeric" />
            <TextInput label={labelled('smtp_username', t('admin.settings.names.smtp_username'))} value={shown.smtp_username} onChange={(e) => set('smtp_username', e.currentTarget.value)} error={message('smtp_username')} autoComplete="off" spellCheck={false} />
            <PasswordInput
              label={labelled('smtp_password', t('admin.settings.names.smtp_password'))}
              description={settings.values.smtp_password_set ? t('admin.settings.secretStored') : t('admin.settings.secretNone')}
              value={shown.smtp_password}
              onChange={(e) => set('smtp_password', e.currentTarget.value)}
              error={message('smtp_password')}
              autoComplete="new-password"
            />
            <TextInput label={labelled('smtp_from', t('admin.settings.names.smtp_from'))} value={shown.smtp_from} onChange={(e) => set('smtp_from', e.currentTarget.value)} error={message('smtp_from')} />
          </SimpleGrid>
          <Switch label={labelled('smtp_starttls', t('admin.settings.names.smtp_starttls'))} checked={shown.smtp_starttls} onChange={(e) => set('smtp_starttls', e.currentTarget.checked)} />
        </AdminSection>

        <AdminSection title={t('admin.settings.alerts.title')} description={t('admin.settings.alerts.lead')} testId="settings-alerts">
          <TextInput
            label={labelled('low_balance_threshold', t('admin.settings.names.low_balance_threshold'))}
            description={t('admin.settings.alerts.thresholdHint', { amount: /^\d*\.?\d+$/.test(shown.low_balance_threshold.trim()) ? formatUsd(shown.low_balance_threshold.trim(), locale) : '—' })}
            value={shown.low_balance_threshold}
            onChange={(e) => set('low_balance_threshold', e.currentTarget.value)}
            error={message('low_balance_threshold')}
            leftSection={<Text size="sm">$</Text>}
            inputMode="decimal"
            maw={320}
            data-testid="alert-threshold"
          />
        </AdminSection>

        <AdminSection title={t('admin.settings.sync.title')} description={t('admin.settings.sync.lead')} testId="settings-sync">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label={labelled('catalog_sync_interval_seconds', t('admin.settings.names.catalog_sync_interval_seconds'))}
              description={
                shown.catalog_sync_interval_seconds.trim() === ''
                  ? t('admin.settings.sync.never')
                  : Number.isFinite(interval) && interval >= 1
                    ? t('admin.settings.sync.every', { interval: formatDuration(interval, locale) })
                    : t('admin.settings.sync.intervalHint')
              }
              value={shown.catalog_sync_interval_seconds}
              onChange={(e) => set('catalog_sync_interval_seconds', e.currentTarget.value)}
              error={message('catalog_sync_interval_seconds')}
              inputMode="decimal"
              placeholder={t('admin.settings.sync.placeholder')}
            />
            <TextInput label={labelled('catalog_sync_url', t('admin.settings.names.catalog_sync_url'))} value={shown.catalog_sync_url} onChange={(e) => set('catalog_sync_url', e.currentTarget.value)} error={message('catalog_sync_url')} spellCheck={false} />
          </SimpleGrid>
        </AdminSection>

        <ErrorText error={update.error} />
        {showErrors && Object.keys(errors).length > 0 && (
          <Text size="sm" c="red" role="alert">
            {t('admin.common.fixErrors')}
          </Text>
        )}
        {saved && !dirty && (
          <Alert color="green" variant="light" role="status" data-testid="settings-saved">
            {t('admin.settings.saved')}
          </Alert>
        )}
        <Group justify="flex-end" gap="xs">
          {dirty && (
            <Text size="sm" c="dimmed" role="status">
              {t('admin.settings.unsaved')}
            </Text>
          )}
          <Button
            variant="default"
            disabled={!dirty}
            onClick={() => {
              setForm(formFromValues(settings.values));
              setResets(new Set());
              setShowErrors(false);
            }}
          >
            {t('admin.settings.discard')}
          </Button>
          <Button type="submit" disabled={!dirty} loading={update.isPending} data-testid="settings-save">
            {t('admin.common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
