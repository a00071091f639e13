// The empty state's suggestions: each active filter as a button that removes it, with how many models would
// then be listed, the most helpful first.
import { Badge, Button, Group } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useModelCounts } from '../../api/models';
import { formatNumber } from '../../lib/format';
import { filterLabel } from './ActiveFilters';
import { activeFilters, removeFilter, toModelQuery, type FilterPatch, type FilterState } from './filters';
import { CloseIcon } from '../icons';
import { useLocale } from './useLocale';

export function RelaxSuggestions({ state, onChange }: { state: FilterState; onChange: (patch: FilterPatch) => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const filters = activeFilters(state);
  const patches = filters.map((filter) => removeFilter(state, filter));
  const counts = useModelCounts(patches.map((patch) => toModelQuery({ ...state, ...patch })));
  const order = filters
    .map((filter, index) => ({ filter, patch: patches[index] ?? {}, count: counts[index] }))
    .sort((a, b) => (b.count ?? -1) - (a.count ?? -1));
  return (
    <Group gap="xs" justify="center" data-testid="relax-suggestions">
      {order.map(({ filter, patch, count }) => {
        const label = filterLabel(filter, t, locale);
        return (
          <Button
            key={JSON.stringify(filter)}
            variant="light"
            color={count === 0 ? 'gray' : undefined}
            size="compact-md"
            leftSection={<CloseIcon size={14} />}
            rightSection={
              count === undefined ? null : (
                <Badge size="sm" variant="filled" color={count === 0 ? 'gray' : undefined} aria-hidden="true">
                  {formatNumber(count, locale)}
                </Badge>
              )
            }
            onClick={() => onChange(patch)}
            aria-label={
              count === undefined
                ? t('models.active.remove', { filter: label })
                : t('models.empty.removeWithCount', { filter: label, count, formatted: formatNumber(count, locale) })
            }
          >
            {label}
          </Button>
        );
      })}
    </Group>
  );
}
