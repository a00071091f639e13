// The model marketplace: search, filters with counts, sorts, cards or a table, pages. The URL holds all of it,
// so a link shows the same list and the back button undoes the last change.
import {
  Alert,
  Badge,
  Box,
  Button,
  Container,
  Drawer,
  Group,
  NativeSelect,
  Pagination,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Title,
  VisuallyHidden,
  EmptyState,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';

import { MODEL_SORTS, useModelCount, useModelFacets, useModelList, type Model } from '../api/models';
import { ActiveFilters } from '../components/models/ActiveFilters';
import { FilterPanel } from '../components/models/FilterPanel';
import { RelaxSuggestions } from '../components/models/RelaxSuggestions';
import {
  activeFilters,
  FILTER_DEFAULTS,
  LONG_CONTEXT,
  PAGE_SIZE,
  pageOf,
  pageQuery,
  resetFilters,
  sortOf,
  toModelQuery,
  viewOf,
  type FilterPatch,
  type FilterState,
  type View,
} from '../components/models/filters';
import { FilterIcon, GridIcon, ListIcon } from '../components/icons';
import { sortLabel } from '../components/models/labels';
import { ModelCard, ModelCardSkeleton } from '../components/models/ModelCard';
import classes from '../components/models/Models.module.css';
import { ModelTable, ModelTableSkeleton } from '../components/models/ModelTable';
import { SearchBox } from '../components/models/SearchBox';
import { useLocale } from '../components/models/useLocale';
import { usePageTitle } from '../hooks/usePageTitle';
import { useUrlState } from '../hooks/useUrlState';
import { describeError } from '../lib/describeError';
import { formatNumber } from '../lib/format';

function Results({ models, view, busy }: { models: Model[]; view: View; busy: boolean }) {
  if (view === 'table') {
    return (
      <div className={busy ? classes.busy : undefined}>
        <ModelTable models={models} loading={busy} />
      </div>
    );
  }
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, xl: 3 }} spacing="md" className={busy ? classes.busy : undefined} aria-busy={busy}>
      {models.map((model) => (
        <ModelCard key={model.id} model={model} />
      ))}
    </SimpleGrid>
  );
}

function Loading({ view }: { view: View }) {
  const { t } = useTranslation();
  return (
    <div role="status" aria-live="polite">
      <VisuallyHidden>{t('models.loading')}</VisuallyHidden>
      {view === 'table' ? (
        <ModelTableSkeleton />
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, xl: 3 }} spacing="md">
          {Array.from({ length: 6 }, (_, i) => (
            <ModelCardSkeleton key={i} />
          ))}
        </SimpleGrid>
      )}
    </div>
  );
}

function NoResults({ state, onChange }: { state: FilterState; onChange: (patch: FilterPatch) => void }) {
  const { t } = useTranslation();
  const filtered = activeFilters(state).length > 0;
  return (
    <EmptyState data-testid="models-empty" py="xl">
      <EmptyState.Title order={2}>{filtered ? t('models.empty.title') : t('models.empty.catalogueTitle')}</EmptyState.Title>
      <EmptyState.Description>{filtered ? t('models.empty.relax') : t('models.empty.catalogueBody')}</EmptyState.Description>
      {filtered && (
        <Stack align="center" gap="md" mt="sm">
          <RelaxSuggestions state={state} onChange={onChange} />
          <Button variant="default" onClick={() => onChange(resetFilters())}>
            {t('models.empty.reset')}
          </Button>
        </Stack>
      )}
    </EmptyState>
  );
}

export default function Models() {
  const { t } = useTranslation();
  const locale = useLocale();
  usePageTitle(t('models.title'));
  const [state, setState] = useUrlState(FILTER_DEFAULTS);
  const [drawerOpened, drawer] = useDisclosure(false);
  const resultsRef = useRef<HTMLDivElement>(null);

  const query = useMemo(() => toModelQuery(state), [state]);
  const longContextQuery = useMemo(() => ({ ...query, context: LONG_CONTEXT }), [query]);
  const page = pageOf(state);
  const view = viewOf(state);
  const list = useModelList(query, pageQuery(state));
  const facets = useModelFacets(query);
  const longContext = useModelCount(longContextQuery);

  const onChange = (patch: FilterPatch) => setState(patch);
  const onSearch = (q: string) =>
    // A new search is a step the back button undoes; refining the words already searched replaces it.
    setState({ q, page: 1 }, { replace: state.q.trim() !== '' && q.trim() !== '' });
  const goToPage = (next: number) => {
    setState({ page: next });
    resultsRef.current?.scrollIntoView({ block: 'start' });
  };

  const total = list.data?.total_count ?? null;
  const pages = total === null ? 1 : Math.max(1, Math.ceil(total / PAGE_SIZE));
  const models = list.data?.data ?? [];
  const busy = list.isFetching && list.isPlaceholderData;
  const activeCount = activeFilters(state).length;

  const panel = (inDrawer: boolean) => (
    <FilterPanel
      inDrawer={inDrawer}
      state={state}
      onChange={onChange}
      facets={facets.data}
      facetsFailed={facets.isError && facets.data === undefined}
      onRetryFacets={() => void facets.refetch()}
      longContextCount={longContext.data ?? null}
    />
  );

  let body;
  if (list.isError) {
    body = (
      <Alert color="red" title={t('models.error.title')} role="alert" data-testid="models-error">
        <Stack gap="sm" align="flex-start">
          <Text size="sm">{describeError(list.error, t, locale)}</Text>
          <Button size="xs" variant="default" onClick={() => void list.refetch()} loading={list.isFetching}>
            {t('models.error.retry')}
          </Button>
        </Stack>
      </Alert>
    );
  } else if (list.data === undefined) {
    body = <Loading view={view} />;
  } else if (models.length === 0 && (total ?? 0) > 0) {
    // A page past the end (a stale link): the models are there, on earlier pages.
    body = (
      <EmptyState py="xl" data-testid="models-past-end">
        <EmptyState.Title order={2}>{t('models.pastEnd.title')}</EmptyState.Title>
        <EmptyState.Description>{t('models.pastEnd.body', { pages })}</EmptyState.Description>
        <Button variant="default" onClick={() => goToPage(pages)} mt="sm">
          {t('models.pastEnd.last')}
        </Button>
      </EmptyState>
    );
  } else if (models.length === 0) {
    body = <NoResults state={state} onChange={onChange} />;
  } else {
    const first = (page - 1) * PAGE_SIZE + 1;
    const last = first + models.length - 1;
    body = (
      <Stack gap="lg">
        <Results models={models} view={view} busy={busy} />
        <Group justify="space-between" gap="sm">
          <Text size="sm" c="dimmed">
            {t('models.range', {
              first: formatNumber(first, locale),
              last: formatNumber(last, locale),
              total: formatNumber(total ?? 0, locale),
            })}
          </Text>
          {pages > 1 && (
            <Pagination
              total={pages}
              value={Math.min(page, pages)}
              onChange={goToPage}
              size="sm"
              siblings={1}
              aria-label={t('models.pagination.label')}
              getControlProps={(control) => ({ 'aria-label': t(`models.pagination.${control}`) })}
              getItemProps={(item) => ({ 'aria-label': t('models.pagination.page', { page: item }) })}
              data-testid="models-pagination"
            />
          )}
        </Group>
      </Stack>
    );
  }

  return (
    <Container size="xl" py="lg">
      <Stack gap={4} mb="md">
        <Title order={1}>{t('models.title')}</Title>
        <Text c="dimmed" size="sm" aria-live="polite" data-testid="models-count">
          {total === null ? t('models.lead') : t('models.count', { count: total, formatted: formatNumber(total, locale) })}
        </Text>
      </Stack>

      <div className={classes.toolbar} role="search" aria-label={t('models.search.region')}>
        <div className={classes.search}>
          <SearchBox value={state.q} onCommit={onSearch} />
        </div>
        <div className={classes.controls}>
          <Button
            hiddenFrom="md"
            variant="default"
            leftSection={<FilterIcon />}
            onClick={drawer.open}
            rightSection={activeCount > 0 ? <Badge size="sm" circle>{activeCount}</Badge> : null}
            aria-haspopup="dialog"
            data-testid="open-filters"
            className={classes.noShrink}
          >
            {t('models.filters.title')}
          </Button>
          <NativeSelect
            aria-label={t('models.sort.label')}
            value={sortOf(state)}
            onChange={(event) => setState({ sort: event.currentTarget.value, page: 1 })}
            data={MODEL_SORTS.map((sort) => ({ value: sort, label: sortLabel(t, sort) }))}
            data-testid="model-sort"
            className={classes.sort}
          />
          <SegmentedControl
            value={view}
            onChange={(value) => setState({ view: value })}
            aria-label={t('models.view.label')}
            className={classes.noShrink}
            data={[
              {
                value: 'cards',
                label: (
                  <span className={classes.viewOption}>
                    <GridIcon />
                    <span className={classes.viewText}>{t('models.view.cards')}</span>
                  </span>
                ),
              },
              {
                value: 'table',
                label: (
                  <span className={classes.viewOption}>
                    <ListIcon />
                    <span className={classes.viewText}>{t('models.view.table')}</span>
                  </span>
                ),
              },
            ]}
          />
        </div>
      </div>

      <ActiveFilters state={state} onChange={onChange} />

      <Group align="flex-start" gap="xl" wrap="nowrap" mt="md">
        <Box component="aside" visibleFrom="md" className={classes.sidebar} aria-label={t('models.filters.title')}>
          {panel(false)}
        </Box>
        <div className={classes.results} ref={resultsRef} style={{ scrollMarginTop: 76 }}>
          {body}
        </div>
      </Group>

      <Drawer
        opened={drawerOpened}
        onClose={drawer.close}
        title={t('models.filters.title')}
        size="min(360px, 100vw)"
        closeButtonProps={{ 'aria-label': t('models.filters.close') }}
      >
        <Stack gap="lg" pb="xl">
          {panel(true)}
          <Button onClick={drawer.close} fullWidth data-testid="show-results">
            {total === null ? t('models.filters.done') : t('models.filters.show', { count: total, formatted: formatNumber(total, locale) })}
          </Button>
        </Stack>
      </Drawer>
    </Container>
  );
}
