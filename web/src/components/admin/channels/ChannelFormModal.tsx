import {
  ActionIcon,
  Button,
  Checkbox,
  Fieldset,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Channel, useCatalogProviders, useCreateChannel, useUpdateChannel } from '../../../api/admin';
import { CloseIcon } from '../../icons';
import { AdminModal, ErrorText } from '../AdminPage';
import {
  type ChannelError,
  type ChannelField,
  type ChannelForm,
  createBody,
  defaultUpstream,
  emptyChannelForm,
  formFromChannel,
  patchBody,
  PROVIDER_TYPES,
  QUANTIZATIONS,
  storedHeaderNames,
  validateChannel,
} from '../channelForm';
import { ModelPicker } from '../ModelPicker';

/** Connects a channel, or edits every field of one; nothing is saved until Save. */
export function ChannelFormModal({ opened, channel, onClose }: { opened: boolean; channel: Channel | null; onClose: () => void }) {
  const { t } = useTranslation();
  const editing = channel !== null;
  const [form, setForm] = useState<ChannelForm>(emptyChannelForm);
  const [showErrors, setShowErrors] = useState(false);
  const create = useCreateChannel();
  const update = useUpdateChannel();
  const providers = useCatalogProviders();
  const mutation = editing ? update : create;

  useEffect(() => {
    if (opened) {
      setForm(channel ? formFromChannel(channel) : emptyChannelForm());
      setShowErrors(false);
      create.reset();
      update.reset();
    }
    // Reset only when the dialog opens (or opens on another channel).
  }, [opened, channel?.id]);

  const errors = validateChannel(form, editing);
  const message = (field: ChannelField): string | undefined => {
    const code: ChannelError | undefined = errors[field];
    return showErrors && code !== undefined ? t(`admin.channels.errors.${code}`) : undefined;
  };
  const set = <K extends keyof ChannelForm>(field: K, value: ChannelForm[K]) => setForm((current) => ({ ...current, [field]: value }));
  const setModel = (index: number, patch: Partial<ChannelForm['models'][number]>) =>
    setForm((current) => ({ ...current, models: current.models.map((row, i) => (i === index ? { ...row, ...patch } : row)) }));
  const headerNames = storedHeaderNames(channel);

  const save = async () => {
    setShowErrors(true);
    if (Object.keys(errors).length > 0) {
      return;
    }
    if (channel === null) {
      await create.mutateAsync(createBody(form)).then(onClose, () => undefined);
      return;
    }
    const patch = patchBody(channel, form);
    if (Object.keys(patch).length === 0) {
      onClose();
      return;
    }
    await update.mutateAsync({ id: channel.id, body: patch }).then(onClose, () => undefined);
  };

  return (
    <AdminModal opened={opened} onClose={onClose} title={editing ? t('admin.channels.form.editTitle', { name: channel.name }) : t('admin.channels.form.createTitle')} size="xl" testId="channel-form">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
        noValidate
      >
        <Stack gap="md">
          <Fieldset legend={t('admin.channels.form.connection')}>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <TextInput label={t('admin.channels.form.name')} value={form.name} onChange={(e) => set('name', e.currentTarget.value)} error={message('name')} required data-autofocus data-testid="channel-name" />
              <Select
                label={t('admin.channels.form.provider')}
                description={editing ? t('admin.channels.form.providerFixed') : t('admin.channels.form.providerHint')}
                data={PROVIDER_TYPES.map((value) => ({ value, label: t(`admin.channels.providerType.${value}`) }))}
                value={form.provider}
                onChange={(value) => value && set('provider', value as ChannelForm['provider'])}
                disabled={editing}
                allowDeselect={false}
              />
              <TextInput
                label={t('admin.channels.form.baseUrl')}
                description={t('admin.channels.form.baseUrlHint')}
                placeholder="https://api.openai.com/v1"
                value={form.base_url}
                onChange={(e) => set('base_url', e.currentTarget.value)}
                error={message('base_url')}
                required
                spellCheck={false}
                data-testid="channel-base-url"
              />
              <Select
                label={t('admin.channels.form.providerSlug')}
                description={t('admin.channels.form.providerSlugHint')}
                data={(providers.data ?? []).map((p) => ({ value: p.slug, label: `${p.name} (${p.slug})` }))}
                value={form.provider_slug}
                onChange={(value) => set('provider_slug', value)}
                clearable
                searchable
                placeholder={t('admin.channels.form.none')}
              />
            </SimpleGrid>
            <Textarea
              mt="sm"
              label={t('admin.channels.form.keys')}
              description={editing ? t('admin.channels.form.keysKeep', { count: channel.key_count }) : t('admin.channels.form.keysHint')}
              value={form.keys}
              onChange={(e) => set('keys', e.currentTarget.value)}
              error={message('keys')}
              required={!editing}
              autosize
              minRows={2}
              spellCheck={false}
              autoComplete="off"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data-testid="channel-keys"
            />
          </Fieldset>

          <Fieldset legend={t('admin.channels.form.models')}>
            <Stack gap="xs">
              <Text size="xs" c="dimmed">
                {t('admin.channels.form.modelsHint')}
              </Text>
              {form.models.map((row, index) => (
                <Group key={index} align="flex-start" gap="xs" wrap="nowrap">
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" style={{ flex: 1 }}>
                    <ModelPicker
                      label={t('admin.channels.form.modelSlug', { number: index + 1 })}
                      value={row.slug}
                      onChange={(value) => setModel(index, { slug: value })}
                      error={message(`models.${index}`)}
                      placeholder="openai/gpt-4o-mini"
                      testId={`model-slug-${index}`}
                    />
                    <TextInput
                      label={t('admin.channels.form.upstreamName', { number: index + 1 })}
                      value={row.upstream_name}
                      onChange={(e) => setModel(index, { upstream_name: e.currentTarget.value })}
                      placeholder={row.slug ? defaultUpstream(row.slug.trim()) : t('admin.channels.form.upstreamDefault')}
                      spellCheck={false}
                      data-testid={`model-upstream-${index}`}
                    />
                  </SimpleGrid>
                  <ActionIcon
                    variant="subtle"
                    color="gray"
                    mt={26}
                    onClick={() => setForm((current) => ({ ...current, models: current.models.filter((_, i) => i !== index) }))}
                    disabled={form.models.length === 1}
                    aria-label={t('admin.channels.form.removeModel', { number: index + 1 })}
                  >
                    <CloseIcon />
                  </ActionIcon>
                </Group>
              ))}
              {errors.models !== undefined && showErrors && (
                <Text size="sm" c="red">
                  {t('admin.channels.errors.models')}
                </Text>
              )}
              <Button variant="light" size="xs" w="fit-content" onClick={() => setForm((current) => ({ ...current, models: [...current.models, { slug: '', upstream_name: '' }] }))}>
                {t('admin.channels.form.addModel')}
              </Button>
            </Stack>
          </Fieldset>

          <Fieldset legend={t('admin.channels.form.routing')}>
            <SimpleGrid cols={{ base: 1, xs: 2, sm: 3 }} spacing="sm">
              <TextInput label={t('admin.channels.form.priority')} description={t('admin.channels.form.priorityHint')} value={form.priority} onChange={(e) => set('priority', e.currentTarget.value)} error={message('priority')} inputMode="numeric" />
              <TextInput label={t('admin.channels.form.weight')} description={t('admin.channels.form.weightHint')} value={form.weight} onChange={(e) => set('weight', e.currentTarget.value)} error={message('weight')} inputMode="numeric" />
              <Select
                label={t('admin.channels.form.quantization')}
                description={t('admin.channels.form.quantizationHint')}
                data={QUANTIZATIONS.map((value) => ({ value, label: value }))}
                value={form.quantization}
                onChange={(value) => set('quantization', value)}
                clearable
                placeholder={t('admin.channels.form.none')}
              />
              <TextInput label={t('admin.channels.form.maxConcurrency')} description={t('admin.channels.form.maxConcurrencyHint')} value={form.max_concurrency} onChange={(e) => set('max_concurrency', e.currentTarget.value)} error={message('max_concurrency')} inputMode="numeric" />
              <TextInput label={t('admin.channels.form.timeout')} description={t('admin.channels.form.secondsDefault')} value={form.timeout_seconds} onChange={(e) => set('timeout_seconds', e.currentTarget.value)} error={message('timeout_seconds')} inputMode="decimal" />
              <TextInput label={t('admin.channels.form.firstByteTimeout')} description={t('admin.channels.form.secondsDefault')} value={form.first_byte_timeout_seconds} onChange={(e) => set('first_byte_timeout_seconds', e.currentTarget.value)} error={message('first_byte_timeout_seconds')} inputMode="decimal" />
            </SimpleGrid>
          </Fieldset>

          <Fieldset legend={t('admin.channels.form.probes')}>
            <Stack gap="sm">
              <Switch label={t('admin.channels.form.probeEnabled')} checked={form.probe_enabled} onChange={(e) => set('probe_enabled', e.currentTarget.checked)} />
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TextInput label={t('admin.channels.form.probeInterval')} description={t('admin.channels.form.probeIntervalHint')} value={form.probe_interval_seconds} onChange={(e) => set('probe_interval_seconds', e.currentTarget.value)} error={message('probe_interval_seconds')} inputMode="decimal" />
                <TextInput label={t('admin.channels.form.probeTimeout')} description={t('admin.channels.form.secondsDefault')} value={form.probe_timeout_seconds} onChange={(e) => set('probe_timeout_seconds', e.currentTarget.value)} error={message('probe_timeout_seconds')} inputMode="decimal" />
              </SimpleGrid>
            </Stack>
          </Fieldset>

          <Fieldset legend={t('admin.channels.form.privacy')}>
            <Stack gap="sm">
              <Switch label={t('admin.channels.form.noTraining')} description={t('admin.channels.form.noTrainingHint')} checked={form.no_training} onChange={(e) => set('no_training', e.currentTarget.checked)} />
              <Switch label={t('admin.channels.form.zdr')} description={t('admin.channels.form.zdrHint')} checked={form.zdr} onChange={(e) => set('zdr', e.currentTarget.checked)} />
            </Stack>
          </Fieldset>

          <Fieldset legend={t('admin.channels.form.advanced')}>
            <Stack gap="sm">
              {form.provider === 'openai' && (
                <Switch label={t('admin.channels.form.streamOptions')} description={t('admin.channels.form.streamOptionsHint')} checked={form.stream_options} onChange={(e) => set('stream_options', e.currentTarget.checked)} />
              )}
              {form.provider === 'azure' && <TextInput label={t('admin.channels.form.apiVersion')} value={form.api_version} onChange={(e) => set('api_version', e.currentTarget.value)} placeholder="2024-10-21" />}
              {form.provider === 'anthropic' && (
                <TextInput label={t('admin.channels.form.anthropicVersion')} value={form.anthropic_version} onChange={(e) => set('anthropic_version', e.currentTarget.value)} placeholder="2023-06-01" />
              )}
              <Textarea
                label={t('admin.channels.form.headers')}
                description={headerNames.length > 0 ? t('admin.channels.form.headersStored', { names: headerNames.join(', ') }) : t('admin.channels.form.headersHint')}
                value={form.headers}
                onChange={(e) => set('headers', e.currentTarget.value)}
                error={message('headers')}
                autosize
                minRows={2}
                placeholder="X-Team: research"
                spellCheck={false}
                disabled={form.clear_headers}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              {headerNames.length > 0 && (
                <Checkbox label={t('admin.channels.form.clearHeaders')} checked={form.clear_headers} onChange={(e) => set('clear_headers', e.currentTarget.checked)} />
              )}
            </Stack>
          </Fieldset>

          <ErrorText error={mutation.error} />
          {showErrors && Object.keys(errors).length > 0 && (
            <Text size="sm" c="red" role="alert">
              {t('admin.common.fixErrors')}
            </Text>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              {t('admin.common.cancel')}
            </Button>
            <Button type="submit" loading={mutation.isPending} data-testid="channel-save">
              {editing ? t('admin.common.save') : t('admin.channels.form.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </AdminModal>
  );
}
