// The range and the log's filters (model, provider, key, status, app): every change goes to the URL.
import '@mantine/dates/styles.css';
import 'dayjs/locale/zh-cn';

import { Button, Group, SegmentedControl, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { DatePickerInput, DatesProvider } from '@mantine/dates';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { LOG_STATUSES } from '../../api/activity';
import { useLocale } from '../rankings/metric';
import { activeFilterCount, localDay, rangeName, RANGES, type ActivityUrlState, type RangeName, type ResolvedRange } from './filters';

export interface Option {
  value: string;
  label: string;
}

export interface ActivityFiltersProps {
  state: ActivityUrlState;
  range: ResolvedRange;
  onChange: (patch: Partial<ActivityUrlState>, options?: { replace?: boolean }) => void;
  models: Option[];
  providers: Option[];
  keys: Option[];
}

/** The options, with the current value kept even when the range no longer lists it. */
function withCurrent(options: Option[], value: string): Option[] {
  return value === '' || options.some((option) => option.value === value) ? options : [{ value, label: value }, ...options];
}

export function ActivityFilters({ state, range, onChange, models, providers, keys }: ActivityFiltersProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const name = rangeName(state);
  const [app, setApp] = useState(state.app);
  const [days, setDays] = useState<[string | null, string | null]>([localDay(range.since), localDay(new Date(range.until.getTime() - 1))]);
  useEffect(() => setApp(state.app), [state.app]);
  const sinceMs = range.since.getTime();
  const untilMs = range.until.getTime();
  useEffect(() => {
    setDays([localDay(new Date(sinceMs)), localDay(new Date(untilMs - 1))]);
  }, [sinceMs, untilMs]);
  // Typing in the app box updates the URL after a pause, without a history entry per key.
  useEffect(() => {
    if (app === state.app) {
      return;
    }
    const timer = window.setTimeout(() => onChange({ app: app.trim() }, { replace: true }), 400);
    return () => window.clearTimeout(timer);
  }, [app, state.app, onChange]);

  const pickRange = (value: string) => {
    const next = value as RangeName;
    if (next === 'custom') {
      onChange({ range: 'custom', since: localDay(range.since), until: localDay(new Date(range.until.getTime() - 1)) });
    } else {
      onChange({ range: next, since: '', until: '' });
    }
  };
  const filters = activeFilterCount(state);
  return (
    <Stack gap="sm" data-testid="activity-filters">
      <Group gap="sm" wrap="wrap" align="flex-end">
        <SegmentedControl
          value={name}
          onChange={pickRange}
          data={RANGES.map((value) => ({ value, label: t(`activity.range.${value}`) }))}
          aria-label={t('activity.range.label')}
          data-testid="range-control"
        />
        {name === 'custom' && (
          <DatesProvider settings={{ locale: locale === 'zh-CN' ? 'zh-cn' : 'en', firstDayOfWeek: locale === 'zh-CN' ? 1 : 0 }}>
            <DatePickerInput
              type="range"
              label={t('activity.range.custom')}
              aria-label={t('activity.range.pick')}
              value={days}
              maxDate={localDay(new Date())}
              valueFormat={locale === 'zh-CN' ? 'YYYY年M月D日' : 'MMM D, YYYY'}
              onChange={(value) => {
                setDays(value);
                const [from, to] = value;
                if (from && to) {
                  onChange({ range: 'custom', since: from, until: to });
                }
              }}
              miw={240}
              data-testid="range-picker"
            />
          </DatesProvider>
        )}
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }} spacing="sm">
        <Select
          label={t('activity.filters.model')}
          placeholder={t('activity.filters.any')}
          data={withCurrent(models, state.model)}
          value={state.model || null}
          onChange={(value) => onChange({ model: value ?? '' })}
          searchable
          clearable
          nothingFoundMessage={t('activity.filters.nothing')}
          data-testid="filter-model"
        />
        <Select
          label={t('activity.filters.provider')}
          placeholder={t('activity.filters.any')}
          data={withCurrent(providers, state.provider)}
          value={state.provider || null}
          onChange={(value) => onChange({ provider: value ?? '' })}
          searchable
          clearable
          nothingFoundMessage={t('activity.filters.nothing')}
          data-testid="filter-provider"
        />
        <Select
          label={t('activity.filters.key')}
          placeholder={t('activity.filters.any')}
          data={withCurrent(keys, state.key_id)}
          value={state.key_id || null}
          onChange={(value) => onChange({ key_id: value ?? '' })}
          searchable
          clearable
          nothingFoundMessage={t('activity.filters.nothing')}
          data-testid="filter-key"
        />
        <Select
          label={t('activity.filters.status')}
          placeholder={t('activity.filters.any')}
          data={LOG_STATUSES.map((value) => ({ value, label: t(`activity.status.${value}`) }))}
          value={state.status || null}
          onChange={(value) => onChange({ status: value ?? '' })}
          clearable
          data-testid="filter-status"
        />
        <TextInput
          label={t('activity.filters.app')}
          placeholder={t('activity.filters.appPlaceholder')}
          value={app}
          onChange={(event) => setApp(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              onChange({ app: app.trim() });
            }
          }}
          data-testid="filter-app"
        />
      </SimpleGrid>
      {filters > 0 && (
        <Group>
          <Button
            variant="subtle"
            size="compact-sm"
            onClick={() => onChange({ model: '', provider: '', key_id: '', status: '', app: '' })}
            data-testid="clear-filters"
          >
            {t('activity.filters.clear', { count: filters })}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
