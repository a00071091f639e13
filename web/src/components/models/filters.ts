// The marketplace's view as URL state (every filter, the sort, the view, the page and the search term), and
// how it becomes the catalogue API's query. Pure functions: the page and its tests share them.
import { isModelSort, type Facets, type ModelQuery, type ModelSort } from '../../api/models';

export const INPUT_MODALITIES = ['text', 'image', 'file', 'audio', 'video'] as const;
export const OUTPUT_MODALITIES = ['text', 'image', 'audio', 'embeddings', 'video', 'rerank', 'speech', 'transcription'] as const;
export type InputModality = (typeof INPUT_MODALITIES)[number];
export type OutputModality = (typeof OUTPUT_MODALITIES)[number];

export const VIEWS = ['cards', 'table'] as const;
export type View = (typeof VIEWS)[number];

export const PAGE_SIZE = 24;
export const LONG_CONTEXT = 128_000;
export const CONTEXT_CHOICES = [4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 200_000, 256_000, 1_000_000] as const;
export const DEFAULT_SORT: ModelSort = 'most-popular';

/** Parameter names in the page's URL; the defaults are left out of it. */
export const FILTER_DEFAULTS = {
  q: '',
  sort: DEFAULT_SORT as string,
  view: 'cards' as string,
  page: 1,
  input: [] as string[],
  output: ['text'] as string[],
  params: [] as string[],
  context: 0,
  min: '',
  max: '',
  free: false,
  authors: [] as string[],
  providers: [] as string[],
};

export interface FilterState {
  q: string;
  sort: string;
  view: string;
  page: number;
  input: readonly string[];
  output: readonly string[];
  params: readonly string[];
  context: number;
  min: string;
  max: string;
  free: boolean;
  authors: readonly string[];
  providers: readonly string[];
}

export type FilterPatch = Partial<{
  [K in keyof FilterState]: FilterState[K] extends readonly string[] ? string[] : FilterState[K];
}>;

// --- capabilities: shortcuts over the filters above (one source of truth: the URL keeps no separate list)

export const CAPABILITIES = ['tools', 'vision', 'reasoning', 'structured_outputs', 'long_context'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The supported parameter a capability needs, for those that are one. */
const CAPABILITY_PARAMS: Partial<Record<Capability, string>> = {
  tools: 'tools',
  reasoning: 'reasoning',
  structured_outputs: 'structured_outputs',
};

export function hasCapabilityFilter(state: FilterState, capability: Capability): boolean {
  if (capability === 'vision') {
    return state.input.includes('image');
  }
  if (capability === 'long_context') {
    return state.context >= LONG_CONTEXT;
  }
  return state.params.includes(CAPABILITY_PARAMS[capability] ?? capability);
}

/** The change that turns a capability filter on or off (back to the first page). */
export function toggleCapability(state: FilterState, capability: Capability, on: boolean): FilterPatch {
  if (capability === 'vision') {
    return { input: toggled(state.input, 'image', on), page: 1 };
  }
  if (capability === 'long_context') {
    if (on) {
      return { context: Math.max(state.context, LONG_CONTEXT), page: 1 };
    }
    return { context: 0, page: 1 };
  }
  return { params: toggled(state.params, CAPABILITY_PARAMS[capability] ?? capability, on), page: 1 };
}

/** A capability's count from the facets; null when the facets do not count it (long context). */
export function capabilityCount(facets: Facets | undefined, capability: Capability): number | null {
  if (facets === undefined || capability === 'long_context') {
    return null;
  }
  if (capability === 'vision') {
    return facets.input_modalities.image ?? 0;
  }
  return facets.supported_parameters[CAPABILITY_PARAMS[capability] ?? capability] ?? 0;
}

export function toggled(values: readonly string[], value: string, on: boolean): string[] {
  const without = values.filter((item) => item !== value);
  return on ? [...without, value] : without;
}

// --- prices

const PRICE = /^\d+(\.\d+)?$/;

/** A price a person typed, as the decimal string the API takes (USD per million tokens); null if not one. */
export function normalizePrice(text: string): string | null {
  const trimmed = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (trimmed === '') {
    return '';
  }
  return PRICE.test(trimmed) ? trimmed : null;
}

// --- the API's query

function known(values: readonly string[], allowed: readonly string[]): string[] {
  return values.filter((value) => allowed.includes(value));
}

function csv(values: readonly string[]): string | undefined {
  return values.length > 0 ? values.join(',') : undefined;
}

export function sortOf(state: FilterState): ModelSort {
  return isModelSort(state.sort) ? state.sort : DEFAULT_SORT;
}

export function viewOf(state: FilterState): View {
  return state.view === 'table' ? 'table' : 'cards';
}

/** The list, facets and count query for a URL state. No output modality chosen means all of them. */
export function toModelQuery(state: FilterState): ModelQuery {
  const query: ModelQuery = { sort: sortOf(state) };
  const q = state.q.trim();
  if (q !== '') {
    query.q = q;
  }
  query.input_modalities = csv(known(state.input, INPUT_MODALITIES));
  const outputs = known(state.output, OUTPUT_MODALITIES);
  query.output_modalities = outputs.length > 0 ? outputs.join(',') : 'all';
  query.supported_parameters = csv(state.params);
  query.model_authors = csv(state.authors);
  query.providers = csv(state.providers);
  if (state.context > 0) {
    query.context = Math.floor(state.context);
  }
  if (state.free) {
    query.max_price = '0';
  } else {
    const min = normalizePrice(state.min);
    const max = normalizePrice(state.max);
    if (min) query.min_price = min;
    if (max) query.max_price = max;
  }
  for (const key of Object.keys(query) as (keyof ModelQuery)[]) {
    if (query[key] === undefined) {
      delete query[key];
    }
  }
  return query;
}

export function pageOf(state: FilterState): number {
  return Number.isInteger(state.page) && state.page >= 1 ? state.page : 1;
}

export function pageQuery(state: FilterState): { offset: number; limit: number } {
  return { offset: (pageOf(state) - 1) * PAGE_SIZE, limit: PAGE_SIZE };
}

// --- what is active, and how to remove it (the chips above the results and the empty state's suggestions)

export type ActiveFilter =
  | { kind: 'q'; value: string }
  | { kind: 'input'; value: string }
  | { kind: 'output'; value: string[] }
  | { kind: 'param'; value: string }
  | { kind: 'context'; value: number }
  | { kind: 'min'; value: string }
  | { kind: 'max'; value: string }
  | { kind: 'free' }
  | { kind: 'author'; value: string }
  | { kind: 'provider'; value: string };

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

export function activeFilters(state: FilterState): ActiveFilter[] {
  const active: ActiveFilter[] = [];
  if (state.q.trim() !== '') active.push({ kind: 'q', value: state.q.trim() });
  for (const value of state.input) active.push({ kind: 'input', value });
  if (state.output.length > 0 && !sameList(state.output, FILTER_DEFAULTS.output)) {
    active.push({ kind: 'output', value: [...state.output] });
  }
  for (const value of state.params) active.push({ kind: 'param', value });
  if (state.context > 0) active.push({ kind: 'context', value: state.context });
  if (state.free) {
    active.push({ kind: 'free' });
  } else {
    if (normalizePrice(state.min)) active.push({ kind: 'min', value: normalizePrice(state.min) ?? '' });
    if (normalizePrice(state.max)) active.push({ kind: 'max', value: normalizePrice(state.max) ?? '' });
  }
  for (const value of state.authors) active.push({ kind: 'author', value });
  for (const value of state.providers) active.push({ kind: 'provider', value });
  return active;
}

export function removeFilter(state: FilterState, filter: ActiveFilter): FilterPatch {
  const patch: FilterPatch = { page: 1 };
  switch (filter.kind) {
    case 'q':
      patch.q = '';
      break;
    case 'input':
      patch.input = toggled(state.input, filter.value, false);
      break;
    case 'output':
      patch.output = [...FILTER_DEFAULTS.output];
      break;
    case 'param':
      patch.params = toggled(state.params, filter.value, false);
      break;
    case 'context':
      patch.context = 0;
      break;
    case 'min':
      patch.min = '';
      break;
    case 'max':
      patch.max = '';
      break;
    case 'free':
      patch.free = false;
      break;
    case 'author':
      patch.authors = toggled(state.authors, filter.value, false);
      break;
    case 'provider':
      patch.providers = toggled(state.providers, filter.value, false);
      break;
  }
  return patch;
}

/** Every filter and the search back to their defaults; the sort and the view stay. */
export function resetFilters(): FilterPatch {
  return {
    q: '',
    page: 1,
    input: [],
    output: [...FILTER_DEFAULTS.output],
    params: [],
    context: 0,
    min: '',
    max: '',
    free: false,
    authors: [],
    providers: [],
  };
}

/**
 * The values to list for a facet: those the facets counted (most first), then any chosen value they did not
 * count (so it can still be unchecked), each with its count (null while the facets load).
 */
export function facetOptions(
  counts: Record<string, number> | undefined,
  selected: readonly string[],
  order?: readonly string[],
): { value: string; count: number | null }[] {
  const values = order ? [...order] : Object.keys(counts ?? {});
  for (const value of selected) {
    if (!values.includes(value)) values.push(value);
  }
  return values.map((value) => ({ value, count: counts === undefined ? null : (counts[value] ?? 0) }));
}
