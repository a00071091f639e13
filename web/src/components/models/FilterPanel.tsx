// The marketplace's filters, each with the number of models it would leave (the facets). Every change goes
// straight to the URL (and back to the first page); the same panel sits beside the results on wide screens and
// in a drawer on phones.
import {
  Alert,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  Skeleton,
  Stack,
  Switch,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { Facets } from '../../api/models';
import { formatNumber, formatTokens, type Locale } from '../../lib/format';
import {
  activeFilters,
  CAPABILITIES,
  capabilityCount,
  CONTEXT_CHOICES,
  facetOptions,
  hasCapabilityFilter,
  INPUT_MODALITIES,
  normalizePrice,
  OUTPUT_MODALITIES,
  resetFilters,
  toggleCapability,
  toggled,
  type FilterPatch,
  type FilterState,
} from './filters';
import { capabilityLabel, modalityLabel } from './labels';
import classes from './Models.module.css';
import { useLocale } from './useLocale';

const SHOWN_AT_FIRST = 8;

export interface FilterPanelProps {
  state: FilterState;
  onChange: (patch: FilterPatch) => void;
  facets: Facets | undefined;
  /** The counts could not be loaded: the filters still work, without numbers. */
  facetsFailed?: boolean;
  onRetryFacets?: () => void;
  /** Models with a long context given the other filters; null when unknown. */
  longContextCount: number | null;
  /** In the phones' drawer, whose own title names the panel. */
  inDrawer?: boolean;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={classes.section}>
      <Text id={id} component="h3" fw={600} size="sm" mb={8}>
        {title}
      </Text>
      {children}
    </section>
  );
}

/** A filter value's count, shown small; the control's name carries it for screen readers ("Tools (3)"). */
function FacetCount({ count }: { count: number }) {
  const locale = useLocale();
  return (
    <Text component="span" size="xs" c="dimmed" data-testid="facet-count" aria-hidden="true">
      {formatNumber(count, locale)}
    </Text>
  );
}

function nameWithCount(label: string, count: number | null, locale: Locale): string {
  return count === null ? label : `${label} (${formatNumber(count, locale)})`;
}

function FacetCheckbox({
  label,
  count,
  checked,
  onChange,
  loading = false,
  testId,
}: {
  label: string;
  count: number | null;
  loading?: boolean;
  testId?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const locale = useLocale();
  return (
    <Checkbox
      aria-label={nameWithCount(label, count, locale)}
      wrapperProps={testId ? { 'data-testid': testId } : undefined}
      checked={checked}
      onChange={(event) => onChange(event.currentTarget.checked)}
      classNames={{ body: classes.checkBody, labelWrapper: classes.checkLabelWrapper }}
      disabled={!checked && count === 0}
      label={
        <span className={classes.checkLabel}>
          <span className={classes.checkName}>{label}</span>
          {count === null ? (
            loading && <Skeleton component="span" width={16} height={10} aria-hidden="true" />
          ) : (
            <FacetCount count={count} />
          )}
        </span>
      }
    />
  );
}

function FacetList({
  options,
  selected,
  onChange,
  label = (value) => value,
  collapsible = false,
  loading = false,
  testPrefix,
}: {
  options: { value: string; count: number | null }[];
  loading?: boolean;
  testPrefix: string;
  selected: readonly string[];
  onChange: (values: string[]) => void;
  label?: (value: string) => string;
  collapsible?: boolean;
}) {
  const { t } = useTranslation();
  const [all, setAll] = useState(false);
  const shown = collapsible && !all ? options.filter((o, i) => i < SHOWN_AT_FIRST || selected.includes(o.value)) : options;
  if (loading && options.length === 0) {
    return (
      <Stack gap={8} aria-hidden="true">
        <Skeleton height={14} width="70%" />
        <Skeleton height={14} width="55%" />
        <Skeleton height={14} width="60%" />
      </Stack>
    );
  }
  if (options.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('models.filters.none')}
      </Text>
    );
  }
  return (
    <Stack gap={6}>
      {shown.map((option) => (
        <FacetCheckbox
          key={option.value}
          label={label(option.value)}
          count={option.count}
          checked={selected.includes(option.value)}
          onChange={(on) => onChange(toggled(selected, option.value, on))}
          loading={loading}
          testId={`facet-${testPrefix}-${option.value}`}
        />
      ))}
      {collapsible && options.length > shown.length && (
        <UnstyledButton className={classes.more} onClick={() => setAll(true)}>
          {t('models.filters.showAll', { count: options.length })}
        </UnstyledButton>
      )}
    </Stack>
  );
}

/** A price box that writes to the URL once the person stops typing (or leaves the box, or presses Enter). */
function PriceInput({
  label,
  value,
  disabled,
  onCommit,
}: {
  label: string;
  value: string;
  disabled: boolean;
  onCommit: (value: string) => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(value);
  const committed = useRef(value);
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);
  const normalized = normalizePrice(text);
  const commit = () => {
    if (normalized !== null && normalized !== committed.current) {
      committed.current = normalized;
      onCommit(normalized);
    }
  };
  useEffect(() => {
    const timer = window.setTimeout(commit, 600);
    return () => window.clearTimeout(timer);
  });
  return (
    <TextInput
      label={label}
      value={text}
      disabled={disabled}
      inputMode="decimal"
      leftSection="$"
      size="xs"
      placeholder={t('models.filters.pricePlaceholder')}
      error={normalized === null ? t('models.filters.priceInvalid') : undefined}
      onChange={(event) => setText(event.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
      }}
    />
  );
}

export function FilterPanel({ state, onChange, facets, facetsFailed = false, onRetryFacets, longContextCount, inDrawer = false }: FilterPanelProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const active = activeFilters(state).length;
  const loading = facets === undefined && !facetsFailed;
  const contextChoices: number[] = [...CONTEXT_CHOICES];
  if (state.context > 0 && !contextChoices.includes(state.context)) {
    contextChoices.push(state.context);
    contextChoices.sort((a, b) => a - b);
  }
  return (
    <Stack gap="lg" data-testid="filter-panel">
      <Group justify={inDrawer ? 'flex-end' : 'space-between'} wrap="nowrap">
        {!inDrawer && (
          <Text component="h2" fw={700} size="md">
            {t('models.filters.title')}
          </Text>
        )}
        <Button variant="subtle" size="compact-sm" onClick={() => onChange(resetFilters())} disabled={active === 0}>
          {t('models.filters.reset')}
        </Button>
      </Group>

      {facetsFailed && (
        <Alert color="yellow" variant="light" p="xs" role="status">
          <Text size="xs">{t('models.filters.countsFailed')}</Text>
          {onRetryFacets && (
            <Button size="compact-xs" variant="subtle" onClick={onRetryFacets} mt={4}>
              {t('models.error.retry')}
            </Button>
          )}
        </Alert>
      )}

      <Section title={t('models.filters.capabilities')}>
        <Stack gap={6}>
          {CAPABILITIES.map((capability) => (
            <FacetCheckbox
              key={capability}
              label={capabilityLabel(t, capability)}
              count={capability === 'long_context' ? longContextCount : capabilityCount(facets, capability)}
              checked={hasCapabilityFilter(state, capability)}
              onChange={(on) => onChange(toggleCapability(state, capability, on))}
              loading={loading}
              testId={`facet-capability-${capability}`}
            />
          ))}
        </Stack>
      </Section>

      <Section title={t('models.filters.input')}>
        <FacetList
          options={facetOptions(facets?.input_modalities, state.input, INPUT_MODALITIES)}
          selected={state.input}
          loading={loading}
          testPrefix="input"
          label={(value) => modalityLabel(t, value)}
          onChange={(input) => onChange({ input, page: 1 })}
        />
      </Section>

      <Section title={t('models.filters.output')}>
        <FacetList
          options={facetOptions(facets?.output_modalities, state.output, OUTPUT_MODALITIES).filter(
            (option) => option.count !== 0 || state.output.includes(option.value) || option.value === 'text',
          )}
          selected={state.output}
          loading={loading}
          testPrefix="output"
          label={(value) => modalityLabel(t, value)}
          onChange={(output) => onChange({ output, page: 1 })}
        />
        {state.output.length === 0 && (
          <Text size="xs" c="dimmed" mt={6}>
            {t('models.filters.anyOutput')}
          </Text>
        )}
      </Section>

      <Section title={t('models.filters.context')}>
        <NativeSelect
          aria-label={t('models.filters.contextLabel')}
          size="xs"
          value={String(state.context)}
          onChange={(event) => onChange({ context: Number(event.currentTarget.value), page: 1 })}
          data={[
            { value: '0', label: t('models.filters.contextAny') },
            ...contextChoices.map((choice) => ({
              value: String(choice),
              label: t('models.filters.contextAtLeast', { tokens: formatTokens(choice, locale) }),
            })),
          ]}
        />
      </Section>

      <Section title={t('models.filters.price')}>
        <Stack gap="xs">
          <Switch
            aria-label={nameWithCount(t('models.filters.freeOnly'), facets?.free ?? null, locale)}
            checked={state.free}
            onChange={(event) => onChange({ free: event.currentTarget.checked, page: 1 })}
            label={
              <span className={classes.checkLabel}>
                <span>{t('models.filters.freeOnly')}</span>
                {facets !== undefined && <FacetCount count={facets.free} />}
              </span>
            }
            classNames={{ body: classes.checkBody, labelWrapper: classes.checkLabelWrapper }}
            wrapperProps={{ 'data-testid': 'facet-free' }}
          />
          <Group gap="xs" grow wrap="nowrap" align="flex-start">
            <PriceInput
              label={t('models.filters.priceMin')}
              value={state.min}
              disabled={state.free}
              onCommit={(min) => onChange({ min, page: 1 })}
            />
            <PriceInput
              label={t('models.filters.priceMax')}
              value={state.max}
              disabled={state.free}
              onCommit={(max) => onChange({ max, page: 1 })}
            />
          </Group>
          <Text size="xs" c="dimmed">
            {t('models.filters.priceUnit')}
          </Text>
        </Stack>
      </Section>

      <Section title={t('models.filters.authors')}>
        <FacetList
          options={facetOptions(facets?.model_authors, state.authors)}
          selected={state.authors}
          testPrefix="author"
          onChange={(authors) => onChange({ authors, page: 1 })}
          loading={loading}
          collapsible
        />
      </Section>

      <Section title={t('models.filters.providers')}>
        <FacetList
          options={facetOptions(facets?.providers, state.providers)}
          selected={state.providers}
          testPrefix="provider"
          onChange={(providers) => onChange({ providers, page: 1 })}
          loading={loading}
          collapsible
        />
      </Section>
    </Stack>
  );
}
