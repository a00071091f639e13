import '@mantine/dates/styles.css';
import 'dayjs/locale/zh-cn';

import { Alert, Button, Code, Group, Modal, NumberInput, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { DatesProvider, DateTimePicker } from '@mantine/dates';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useCatalogModels } from '../../api/catalog';
import { ApiError } from '../../api/errors';
import { type ApiKey, type CreatedKey, RESET_PERIODS, useCreateKey, useUpdateKey } from '../../api/keys';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { localTimeZone } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { CopyValueButton } from './CopyValueButton';
import { changeBody, checkForm, createBody, EMPTY_FORM, formField, formFromKey, type KeyFormErrors, type KeyFormValues, type LimitReset } from './form';

/** Shows a new key's secret, this once, with a copy button and the warning that it is not shown again. */
export function CreatedKeyPanel({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const { t } = useTranslation();
  const baseUrl = `${window.location.origin}/v1`;
  return (
    <Stack gap="md" data-testid="created-key-panel">
      <Alert color="yellow" title={t('keys.created.warningTitle')} role="alert">
        {t('keys.created.warning')}
      </Alert>
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <TextInput
          label={t('keys.created.label', { name: created.name })}
          value={created.key}
          readOnly
          onFocus={(event) => event.currentTarget.select()}
          style={{ flex: 1, minWidth: 0 }}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          data-testid="created-key"
        />
        <CopyValueButton value={created.key} label={t('keys.created.copy')} compact testId="created-key-copy" />
      </Group>
      <Text size="sm">
        {t('keys.created.usage')} <Code>{baseUrl}</Code>
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid="created-key-done">
          {t('keys.created.done')}
        </Button>
      </Group>
    </Stack>
  );
}

function KeyForm({ keyToEdit, onSaved, onCancel }: { keyToEdit: ApiKey | null; onSaved: (created: CreatedKey | null) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const create = useCreateKey();
  const update = useUpdateKey();
  const catalog = useCatalogModels();
  const [values, setValues] = useState<KeyFormValues>(() => (keyToEdit ? formFromKey(keyToEdit) : EMPTY_FORM));
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const models = useMemo(() => (catalog.data ?? []).map((model) => model.id).sort(), [catalog.data]);
  const busy = create.isPending || update.isPending;
  const set = <K extends keyof KeyFormValues>(field: K, value: KeyFormValues[K]) => setValues((current) => ({ ...current, [field]: value }));

  const refused = (error: Error) => {
    const field = error instanceof ApiError ? formField(error.field) : null;
    if (field !== null) {
      setErrors({ [field]: error.message });
      setFailure(null);
    } else {
      setFailure(error);
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problems = checkForm(values);
    setErrors(Object.fromEntries(Object.entries(problems).map(([field, key]) => [field, t(key)])));
    setFailure(null);
    if (Object.keys(problems).length > 0) {
      return;
    }
    if (keyToEdit === null) {
      create.mutate(createBody(values), { onSuccess: (created) => onSaved(created), onError: refused });
      return;
    }
    const change = changeBody(keyToEdit, values);
    if (Object.keys(change).length === 0) {
      onSaved(null);
      return;
    }
    update.mutate({ id: keyToEdit.id, change }, { onSuccess: () => onSaved(null), onError: refused });
  };

  const hasLimit = values.limit.trim() !== '';
  return (
    <form onSubmit={submit} noValidate aria-label={keyToEdit ? t('keys.form.editTitle') : t('keys.form.createTitle')} data-testid="key-form">
      <Stack gap="sm">
        <TextInput
          label={t('keys.form.name')}
          description={t('keys.form.nameHint')}
          value={values.name}
          onChange={(event) => set('name', event.currentTarget.value)}
          maxLength={200}
          error={errors.name}
          required
          data-autofocus
          data-testid="key-name"
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label={t('keys.form.limit')}
            description={t('keys.form.limitHint')}
            placeholder={t('keys.form.noLimit')}
            leftSection="$"
            inputMode="decimal"
            value={values.limit}
            onChange={(event) => set('limit', event.currentTarget.value)}
            error={errors.limit}
            data-testid="key-limit"
          />
          <Select
            label={t('keys.form.reset')}
            description={t('keys.form.resetHint')}
            data={[
              { value: 'never', label: t('keys.reset.never') },
              ...RESET_PERIODS.map((period) => ({ value: period, label: t(`keys.reset.${period}`) })),
            ]}
            value={values.limitReset}
            onChange={(value) => set('limitReset', (value ?? 'never') as LimitReset)}
            allowDeselect={false}
            disabled={!hasLimit}
            data-testid="key-reset"
          />
        </SimpleGrid>
        <DatesProvider settings={{ locale: locale === 'zh-CN' ? 'zh-cn' : 'en' }}>
          <DateTimePicker
            label={t('keys.form.expiry')}
            description={t('keys.form.expiryHint', { zone: localTimeZone() })}
            placeholder={t('keys.form.never')}
            value={values.expiresAt}
            onChange={(value) => set('expiresAt', value)}
            clearable
            minDate={new Date()}
            valueFormat="YYYY-MM-DD HH:mm"
            error={errors.expires_at}
            data-testid="key-expiry"
          />
        </DatesProvider>
        <TagsInput
          label={t('keys.form.models')}
          description={t('keys.form.modelsHint')}
          placeholder={values.allowedModels.length === 0 ? t('keys.form.allModels') : undefined}
          data={models}
          value={values.allowedModels}
          onChange={(value) => set('allowedModels', value)}
          limit={20}
          splitChars={[',', ' ']}
          acceptValueOnBlur
          clearable
          error={errors.allowed_models}
          data-testid="key-models"
        />
        <TagsInput
          label={t('keys.form.ips')}
          description={t('keys.form.ipsHint')}
          placeholder={values.allowedIps.length === 0 ? t('keys.form.anywhere') : undefined}
          value={values.allowedIps}
          onChange={(value) => set('allowedIps', value)}
          splitChars={[',', ' ']}
          acceptValueOnBlur
          clearable
          error={errors.allowed_ips}
          data-testid="key-ips"
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <NumberInput
            label={t('keys.form.rpm')}
            placeholder={t('keys.form.unlimited')}
            value={values.rpm}
            onChange={(value) => set('rpm', value)}
            allowDecimal={false}
            allowNegative={false}
            min={1}
            max={1_000_000_000}
            error={errors.rpm_limit}
            data-testid="key-rpm"
          />
          <NumberInput
            label={t('keys.form.tpm')}
            placeholder={t('keys.form.unlimited')}
            value={values.tpm}
            onChange={(value) => set('tpm', value)}
            allowDecimal={false}
            allowNegative={false}
            min={1}
            max={1_000_000_000}
            error={errors.tpm_limit}
            data-testid="key-tpm"
          />
        </SimpleGrid>
        {failure !== null && (
          <Alert color="red" title={keyToEdit ? t('keys.form.saveFailed') : t('keys.form.createFailed')}>
            {describeError(failure, t, currentLanguage())}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel}>
            {t('keys.cancel')}
          </Button>
          <Button type="submit" loading={busy} data-testid="key-submit">
            {keyToEdit ? t('keys.form.save') : t('keys.form.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The create dialog (then the new key, once) or the edit dialog of `keyToEdit`. */
export function KeyFormModal({ opened, keyToEdit, onClose }: { opened: boolean; keyToEdit: ApiKey | null; onClose: () => void }) {
  const { t } = useTranslation();
  const phone = useMediaQuery('(max-width: 36em)');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const close = () => {
    // The secret leaves memory with the dialog.
    setCreated(null);
    onClose();
  };
  const title = created ? t('keys.created.title') : keyToEdit ? t('keys.form.editTitle') : t('keys.form.createTitle');
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={title}
      size="lg"
      fullScreen={phone}
      // While the key is shown, only the button that says it was stored closes the dialog.
      closeOnClickOutside={created === null}
      closeOnEscape={created === null}
      withCloseButton={created === null}
      data-testid="key-modal"
    >
      {created ? (
        <CreatedKeyPanel created={created} onDone={close} />
      ) : (
        opened && (
          <KeyForm
            key={keyToEdit?.id ?? 'new'}
            keyToEdit={keyToEdit}
            onCancel={close}
            onSaved={(key) => {
              if (key) {
                setCreated(key);
              } else {
                close();
              }
            }}
          />
        )
      )}
    </Modal>
  );
}
