// The filters in force, each a pill with a button that removes it: above the results, and in the empty state
// as the things to relax.
import { Button, Group, Pill } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';

import { formatTokens, formatUsd, type Locale } from '../../lib/format';
import { activeFilters, removeFilter, resetFilters, type ActiveFilter, type FilterPatch, type FilterState } from './filters';
import { modalityLabel } from './labels';
import { useLocale } from './useLocale';

export function filterLabel(filter: ActiveFilter, t: TFunction, locale: Locale): string {
  switch (filter.kind) {
    case 'q':
      return t('models.active.search', { q: filter.value });
    case 'input':
      return t('models.active.input', { value: modalityLabel(t, filter.value) });
    case 'output':
      return t('models.active.output', { value: filter.value.map((value) => modalityLabel(t, value)).join(', ') });
    case 'param':
      return t('models.active.param', {
        value: t(`models.capability.${filter.value as 'tools'}`, { defaultValue: filter.value }),
      });
    case 'context':
      return t('models.active.context', { tokens: formatTokens(filter.value, locale) });
    case 'min':
      return t('models.active.min', { price: formatUsd(filter.value, locale) });
    case 'max':
      return t('models.active.max', { price: formatUsd(filter.value, locale) });
    case 'free':
      return t('models.active.free');
    case 'author':
      return t('models.active.author', { value: filter.value });
    case 'provider':
      return t('models.active.provider', { value: filter.value });
  }
}

export function ActiveFilters({
  state,
  onChange,
  withReset = true,
}: {
  state: FilterState;
  onChange: (patch: FilterPatch) => void;
  withReset?: boolean;
}) {
  const { t } = useTranslation();
  const locale = useLocale();
  const filters = activeFilters(state);
  if (filters.length === 0) {
    return null;
  }
  return (
    <Group gap={6} aria-label={t('models.active.label')} role="group" data-testid="active-filters">
      {filters.map((filter, index) => {
        const label = filterLabel(filter, t, locale);
        return (
          <Pill
            key={`${filter.kind}-${index}`}
            size="md"
            withRemoveButton
            onRemove={() => onChange(removeFilter(state, filter))}
            // Pill keeps its remove button out of the tab order (it is meant for inputs); these are reachable.
            removeButtonProps={{ 'aria-label': t('models.active.remove', { filter: label }), tabIndex: 0, 'aria-hidden': undefined }}
          >
            {label}
          </Pill>
        );
      })}
      {withReset && filters.length > 1 && (
        <Button variant="subtle" size="compact-sm" onClick={() => onChange(resetFilters())}>
          {t('models.active.clearAll')}
        </Button>
      )}
    </Group>
  );
}
