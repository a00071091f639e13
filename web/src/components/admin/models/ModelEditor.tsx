import { Alert, Badge, Button, Divider, Fieldset, Group, SimpleGrid, Skeleton, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Endpoint, type ModelPricing, useAdminModel, useGlobalMarkup, useUpdateEndpoint, useUpdateModel } from '../../../api/admin';
import { formatNumber, formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminModal, ErrorText, QueryError } from '../AdminPage';
import {
  billedPrice,
  changedEndpointPrices,
  type EndpointLimitField,
  type PriceField,
  changedPrices,
  ENDPOINT_LIMIT_FIELDS,
  ENDPOINT_PRICE_FIELDS,
  isTokenPrice,
  MODEL_PRICE_FIELDS,
  parseLimitInput,
  parseMarkupInput,
  parsePriceInput,
  priceErrors,
} from '../price';

interface PriceEntry {
  base: string;
  billed: string;
}

function storedPrices(model: ModelPricing): Record<string, string> {
  const prices: Record<string, string> = {};
  for (const field of MODEL_PRICE_FIELDS) {
    const entry = model.prices[field] as PriceEntry | undefined;
    prices[field] = entry?.base ?? '0';
  }
  return prices;
}

/** One model's visibility, prices (USD per million tokens, or per unit), own markup, and each serving
 * channel's own prices and limits; each part is saved with its own button. */
export function ModelEditor({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const model = useAdminModel(id);
  return (
    <AdminModal opened={id !== null} onClose={onClose} title={t('admin.models.editor.title', { id: id ?? '' })} size="xl" testId="model-editor">
      {model.isError && <QueryError error={model.error} onRetry={() => void model.refetch()} />}
      {model.data === undefined ? (
        model.isPending && <Skeleton h={320} />
      ) : (
        <Stack gap="lg">
          <ModelForm key={model.data.id} model={model.data} />
          <Divider />
          <Title order={3} size="h5">
            {t('admin.models.endpoints.title')}
          </Title>
          <Text size="sm" c="dimmed" mt={-12}>
            {t('admin.models.endpoints.lead')}
          </Text>
          {(model.data.endpoints ?? []).length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="no-endpoints">
              {t('admin.models.endpoints.none')}
            </Text>
          ) : (
            (model.data.endpoints ?? []).map((endpoint) => <EndpointForm key={endpoint.channel_id} model={model.data} endpoint={endpoint} />)
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('admin.common.close')}
            </Button>
          </Group>
        </Stack>
      )}
    </AdminModal>
  );
}

function fieldLabel(t: TFunction, field: PriceField | EndpointLimitField): string {
  return t(`admin.models.field.${field}`);
}

function ModelForm({ model }: { model: ModelPricing }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const globalMarkup = useGlobalMarkup();
  const update = useUpdateModel();
  const [prices, setPrices] = useState<Record<string, string>>(() => storedPrices(model));
  const [markup, setMarkup] = useState(model.markup_percent ?? '');
  const [active, setActive] = useState(model.is_active);
  const [showErrors, setShowErrors] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    setPrices(storedPrices(model));
    setMarkup(model.markup_percent ?? '');
    setActive(model.is_active);
  }, [model]);

  const errors = priceErrors(prices);
  const markupParsed = markup.trim() === '' ? null : parseMarkupInput(markup);
  const markupError = markupParsed !== null && !markupParsed.ok ? markupParsed.error : null;
  const effectiveMarkup = markupParsed?.ok ? markupParsed.value : (globalMarkup.data ?? model.effective_markup_percent ?? '0');
  const priceChanges = changedPrices(storedPrices(model), prices);
  const markupChange = markupParsed === null ? (model.markup_percent !== null ? 'clear' : null) : markupParsed.ok && markupParsed.value !== model.markup_percent ? markupParsed.value : null;
  const dirty = Object.keys(priceChanges).length > 0 || markupChange !== null || active !== model.is_active;

  const save = async () => {
    setShowErrors(true);
    setSaved(false);
    if (Object.keys(errors).length > 0 || markupError !== null) {
      return;
    }
    await update
      .mutateAsync({
        id: model.id,
        body: {
          prices: priceChanges,
          clear_markup: markupChange === 'clear',
          ...(markupChange !== null && markupChange !== 'clear' ? { markup_percent: markupChange } : {}),
          ...(active !== model.is_active ? { is_active: active } : {}),
        },
      })
      .then(() => setSaved(true), () => undefined);
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      noValidate
    >
      <Stack gap="md">
        <Group gap="xs">
          <Text size="sm" fw={600}>
            {model.name}
          </Text>
          {model.is_manual && <Badge variant="light">{t('admin.models.manual')}</Badge>}
          {model.context_length !== null && model.context_length !== undefined && (
            <Text size="xs" c="dimmed">
              {t('admin.models.editor.context', { tokens: formatNumber(model.context_length, locale) })}
            </Text>
          )}
        </Group>
        <Switch
          label={t('admin.models.editor.listed')}
          description={t('admin.models.editor.listedHint')}
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
          data-testid="model-listed"
        />
        <Fieldset legend={t('admin.models.editor.prices')}>
          <Text size="xs" c="dimmed" mb="sm">
            {t('admin.models.editor.pricesHint')}
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {MODEL_PRICE_FIELDS.map((field) => {
              const typed = prices[field] ?? '';
              const parsed = parsePriceInput(typed);
              const billed = parsed.ok ? billedPrice(parsed.value, effectiveMarkup) : null;
              const error = errors[field];
              return (
                <TextInput
                  key={field}
                  label={`${fieldLabel(t, field)} · ${isTokenPrice(field) ? t('admin.models.perMillion') : t('admin.models.perUnit')}`}
                  value={typed}
                  onChange={(e) => {
                    const value = e.currentTarget.value;
                    setPrices((current) => ({ ...current, [field]: value }));
                  }}
                  leftSection={<Text size="sm">$</Text>}
                  error={showErrors && error ? t(`admin.models.priceErrors.${error}`) : undefined}
                  description={billed !== null ? t('admin.models.editor.billed', { price: formatUsd(billed, locale) }) : undefined}
                  inputMode="decimal"
                  data-testid={`price-${field}`}
                />
              );
            })}
          </SimpleGrid>
        </Fieldset>
        <TextInput
          label={t('admin.models.editor.markup')}
          description={t('admin.models.editor.markupHint', { percent: globalMarkup.data ?? '0' })}
          placeholder={t('admin.models.global')}
          value={markup}
          onChange={(e) => setMarkup(e.currentTarget.value)}
          rightSection={<Text size="sm">%</Text>}
          error={showErrors && markupError !== null && markupError !== 'empty' ? t(`admin.models.markup.errors.${markupError}`) : undefined}
          maw={260}
          inputMode="decimal"
        />
        <ErrorText error={update.error} />
        {saved && !dirty && (
          <Alert color="green" variant="light" p="xs" role="status" data-testid="model-saved">
            {t('admin.models.editor.saved')}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" disabled={!dirty} loading={update.isPending} data-testid="model-save">
            {t('admin.models.editor.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function EndpointForm({ model, endpoint }: { model: ModelPricing; endpoint: Endpoint }) {
  const { t } = useTranslation();
  const update = useUpdateEndpoint();
  const initialPrices = () => Object.fromEntries(ENDPOINT_PRICE_FIELDS.map((f) => [f, endpoint.prices[f] ?? '']));
  const initialLimits = () => Object.fromEntries(ENDPOINT_LIMIT_FIELDS.map((f) => [f, endpoint.limits[f] === null || endpoint.limits[f] === undefined ? '' : String(endpoint.limits[f])]));
  const [prices, setPrices] = useState<Record<string, string>>(initialPrices);
  const [limits, setLimits] = useState<Record<string, string>>(initialLimits);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setPrices(initialPrices());
    setLimits(initialLimits());
    // The endpoint's stored values changed (after a save): show them.
  }, [endpoint]);

  const errors = priceErrors(prices, { blankAllowed: true });
  const limitErrors = Object.fromEntries(Object.entries(limits).filter(([, text]) => !parseLimitInput(text).ok).map(([f]) => [f, true]));
  const priceChanges = changedEndpointPrices(endpoint.prices, prices);
  const limitChanges: Record<string, number | null> = {};
  for (const field of ENDPOINT_LIMIT_FIELDS) {
    const parsed = parseLimitInput(limits[field] ?? '');
    if (parsed.ok && parsed.value !== (endpoint.limits[field] ?? null)) {
      limitChanges[field] = parsed.value;
    }
  }
  const dirty = Object.keys(priceChanges).length > 0 || Object.keys(limitChanges).length > 0;
  const invalid = Object.keys(errors).length > 0 || Object.keys(limitErrors).length > 0;

  return (
    <Fieldset
      legend={
        <Group gap={6}>
          <Text size="sm" fw={600}>
            {endpoint.channel_name}
          </Text>
          {!endpoint.is_enabled && (
            <Badge size="xs" color="gray" variant="outline">
              {t('admin.channels.status.disabled')}
            </Badge>
          )}
          <Text size="xs" c="dimmed">
            {t('admin.models.endpoints.upstream', { name: endpoint.upstream_name })}
          </Text>
        </Group>
      }
      data-testid="endpoint-form"
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          if (!invalid && dirty) {
            void update.mutateAsync({ id: model.id, channelId: endpoint.channel_id, body: { prices: priceChanges, limits: limitChanges } }).then(() => setSaved(true), () => undefined);
          }
        }}
        noValidate
      >
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
            {ENDPOINT_PRICE_FIELDS.map((field) => (
              <TextInput
                key={field}
                label={`${fieldLabel(t, field)} · ${isTokenPrice(field) ? t('admin.models.perMillion') : t('admin.models.perUnit')}`}
                value={prices[field] ?? ''}
                placeholder={t('admin.models.endpoints.modelPrice', { price: (model.prices[field] as PriceEntry | undefined)?.base ?? '0' })}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setPrices((current) => ({ ...current, [field]: value }));
                }}
                leftSection={<Text size="sm">$</Text>}
                error={errors[field] ? t(`admin.models.priceErrors.${errors[field]}`) : undefined}
                inputMode="decimal"
              />
            ))}
            {ENDPOINT_LIMIT_FIELDS.map((field) => (
              <TextInput
                key={field}
                label={t(`admin.models.field.${field}`)}
                value={limits[field] ?? ''}
                placeholder={t('admin.models.endpoints.modelLimit')}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setLimits((current) => ({ ...current, [field]: value }));
                }}
                error={limitErrors[field] ? t('admin.models.endpoints.limitError') : undefined}
                inputMode="numeric"
              />
            ))}
          </SimpleGrid>
          <ErrorText error={update.error} />
          <Group justify="space-between">
            <Text size="xs" c={saved && !dirty ? 'green' : 'dimmed'} role={saved && !dirty ? 'status' : undefined}>
              {saved && !dirty ? t('admin.models.endpoints.saved') : t('admin.models.endpoints.blankHint')}
            </Text>
            <Button type="submit" size="xs" variant="light" disabled={!dirty || invalid} loading={update.isPending}>
              {t('admin.models.endpoints.save', { name: endpoint.channel_name })}
            </Button>
          </Group>
        </Stack>
      </form>
    </Fieldset>
  );
}
