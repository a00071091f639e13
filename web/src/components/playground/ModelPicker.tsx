import { Group, Select, Stack, Text, type ComboboxItem, type OptionsFilter } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { CatalogModel } from '../../api/catalog';
import { formatPricePerMillionTokens, formatTokens } from '../../lib/format';
import { useLocale } from '../rankings/metric';

export function priceSummary(model: CatalogModel, locale: string, t: TFunction): string {
  const input = formatPricePerMillionTokens(model.pricing.prompt, locale);
  const output = formatPricePerMillionTokens(model.pricing.completion, locale);
  if (input === null || output === null) {
    return t('playground.model.varies');
  }
  if (!/[1-9]/.test(model.pricing.prompt ?? '') && !/[1-9]/.test(model.pricing.completion ?? '')) {
    return t('playground.model.free');
  }
  return t('playground.model.prices', { input, output });
}

// Matches the display name or the slug, any case.
const filter: OptionsFilter = ({ options, search }) => {
  const needle = search.trim().toLowerCase();
  return (options as ComboboxItem[]).filter(
    (option) => needle === '' || option.label.toLowerCase().includes(needle) || option.value.toLowerCase().includes(needle),
  );
};

/** Any model this account can reach, with its prices per million tokens. */
export function ModelPicker({
  models,
  value,
  onChange,
  disabled,
  aside,
}: {
  models: CatalogModel[];
  value: string | null;
  onChange: (model: string) => void;
  disabled?: boolean;
  /** Beside the menu (the parameters button). */
  aside?: ReactNode;
}) {
  const { t } = useTranslation();
  const locale = useLocale();
  const byId = useMemo(() => new Map(models.map((model) => [model.id, model])), [models]);
  const data = useMemo(() => models.map((model) => ({ value: model.id, label: model.name })), [models]);
  const selected = value === null ? undefined : byId.get(value);
  return (
    <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
      <Group align="flex-end" gap="sm" wrap="nowrap">
        <Select
          style={{ flex: 1, minWidth: 0 }}
          label={t('playground.model.label')}
          placeholder={t('playground.model.placeholder')}
          data={data}
          value={value}
          onChange={(next) => next && onChange(next)}
          searchable
          allowDeselect={false}
          filter={filter}
          nothingFoundMessage={t('playground.model.nothing')}
          maxDropdownHeight={320}
          disabled={disabled}
          renderOption={({ option }) => {
            const model = byId.get(option.value);
            return (
              <Stack gap={0}>
                <Text size="sm">{option.label}</Text>
                <Text size="xs" c="dimmed">
                  {option.value}
                  {model ? ` · ${priceSummary(model, locale, t)}` : ''}
                </Text>
              </Stack>
            );
          }}
          data-testid="model-picker"
        />
        {aside}
      </Group>
      {selected !== undefined && (
        <Group gap="xs" wrap="wrap">
          <Text size="xs" c="dimmed" data-testid="model-prices">
            {selected.id} · {priceSummary(selected, locale, t)}
            {selected.context_length ? ` · ${t('playground.model.context', { tokens: formatTokens(selected.context_length, locale) })}` : ''}
          </Text>
        </Group>
      )}
    </Stack>
  );
}
