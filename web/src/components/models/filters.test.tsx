import { describe, expect, it } from 'vitest';

import {
  activeFilters,
  capabilityCount,
  facetOptions,
  FILTER_DEFAULTS,
  hasCapabilityFilter,
  normalizePrice,
  pageQuery,
  removeFilter,
  resetFilters,
  toggleCapability,
  toModelQuery,
  type FilterState,
} from './filters';

const state = (patch: Partial<FilterState> = {}): FilterState => ({ ...FILTER_DEFAULTS, ...patch });

describe('toModelQuery', () => {
  it('sends nothing but the default sort and text output for the default view', () => {
    expect(toModelQuery(state())).toEqual({ sort: 'most-popular', output_modalities: 'text' });
  });

  it('maps every filter to the API parameter it stands for', () => {
    expect(
      toModelQuery(
        state({
          q: '  llama ',
          sort: 'pricing-low-to-high',
          input: ['image', 'file'],
          output: ['text', 'image'],
          params: ['tools', 'reasoning'],
          context: 128_000,
          min: '0.5',
          max: '10',
          authors: ['meta-llama', 'acme'],
          providers: ['groq'],
        }),
      ),
    ).toEqual({
      q: 'llama',
      sort: 'pricing-low-to-high',
      input_modalities: 'image,file',
      output_modalities: 'text,image',
      supported_parameters: 'tools,reasoning',
      context: 128000,
      min_price: '0.5',
      max_price: '10',
      model_authors: 'meta-llama,acme',
      providers: 'groq',
    });
  });

  it('asks for every output when none is checked, and drops values the API would refuse', () => {
    expect(toModelQuery(state({ output: [] })).output_modalities).toBe('all');
    expect(toModelQuery(state({ input: ['image', 'smell'], output: ['nonsense'] }))).toMatchObject({
      input_modalities: 'image',
      output_modalities: 'all',
    });
  });

  it('makes "free" a maximum price of zero, whatever the range says', () => {
    const query = toModelQuery(state({ free: true, min: '1', max: '5' }));
    expect(query.max_price).toBe('0');
    expect(query.min_price).toBeUndefined();
  });

  it('ignores a price that is not one, and an unknown sort', () => {
    const query = toModelQuery(state({ min: 'abc', max: '$2', sort: 'cheapest' }));
    expect(query.min_price).toBeUndefined();
    expect(query.max_price).toBe('2');
    expect(query.sort).toBe('most-popular');
  });

  it('pages by 24', () => {
    expect(pageQuery(state({ page: 3 }))).toEqual({ offset: 48, limit: 24 });
    expect(pageQuery(state({ page: -1 }))).toEqual({ offset: 0, limit: 24 });
  });
});

describe('capabilities', () => {
  it('are shortcuts over the URL filters', () => {
    const s = state({ input: ['file'], params: ['tools'], context: 32_000 });
    expect(hasCapabilityFilter(s, 'tools')).toBe(true);
    expect(hasCapabilityFilter(s, 'vision')).toBe(false);
    expect(toggleCapability(s, 'vision', true)).toEqual({ input: ['file', 'image'], page: 1 });
    expect(toggleCapability(s, 'tools', false)).toEqual({ params: [], page: 1 });
    expect(toggleCapability(s, 'structured_outputs', true)).toEqual({ params: ['tools', 'structured_outputs'], page: 1 });
    expect(toggleCapability(s, 'long_context', true)).toEqual({ context: 128_000, page: 1 });
    expect(toggleCapability(state({ context: 1_000_000 }), 'long_context', true)).toEqual({ context: 1_000_000, page: 1 });
    expect(hasCapabilityFilter(state({ context: 200_000 }), 'long_context')).toBe(true);
    expect(toggleCapability(state({ context: 200_000 }), 'long_context', false)).toEqual({ context: 0, page: 1 });
  });

  it('take their counts from the facets', () => {
    const facets = {
      input_modalities: { text: 9, image: 4 },
      output_modalities: { text: 9 },
      supported_parameters: { tools: 6, structured_outputs: 2 },
      model_authors: {},
      providers: {},
      free: 1,
      total: 9,
    };
    expect(capabilityCount(facets, 'vision')).toBe(4);
    expect(capabilityCount(facets, 'tools')).toBe(6);
    expect(capabilityCount(facets, 'reasoning')).toBe(0);
    expect(capabilityCount(facets, 'long_context')).toBeNull();
    expect(capabilityCount(undefined, 'tools')).toBeNull();
  });
});

describe('active filters', () => {
  it('are listed, and each removal is undone alone, back to page 1', () => {
    const s = state({
      q: 'gpt',
      input: ['image'],
      output: ['image'],
      params: ['tools'],
      context: 64_000,
      min: '1',
      authors: ['acme', 'bolt'],
      providers: ['groq'],
      page: 3,
    });
    const filters = activeFilters(s);
    expect(filters.map((filter) => filter.kind)).toEqual(['q', 'input', 'output', 'param', 'context', 'min', 'author', 'author', 'provider']);
    expect(removeFilter(s, filters[0]!)).toEqual({ page: 1, q: '' });
    expect(removeFilter(s, filters[2]!)).toEqual({ page: 1, output: ['text'] });
    expect(removeFilter(s, filters[7]!)).toEqual({ page: 1, authors: ['acme'] });
  });

  it('leave out the defaults, and the price range while "free" is on', () => {
    expect(activeFilters(state())).toEqual([]);
    expect(activeFilters(state({ free: true, min: '1', max: '2' }))).toEqual([{ kind: 'free' }]);
    expect(activeFilters(state({ output: [] }))).toEqual([]);
  });

  it('reset all at once, keeping the sort and the view', () => {
    const patch = resetFilters();
    expect(patch).not.toHaveProperty('sort');
    expect(patch).not.toHaveProperty('view');
    expect(activeFilters(state({ ...patch, sort: 'newest', view: 'table' } as Partial<FilterState>))).toEqual([]);
  });
});

describe('facetOptions', () => {
  it('lists counted values, then chosen ones the facets left out (with 0)', () => {
    expect(facetOptions({ acme: 3, bolt: 1 }, ['zeta'])).toEqual([
      { value: 'acme', count: 3 },
      { value: 'bolt', count: 1 },
      { value: 'zeta', count: 0 },
    ]);
    expect(facetOptions(undefined, [], ['text', 'image'])).toEqual([
      { value: 'text', count: null },
      { value: 'image', count: null },
    ]);
  });
});

describe('normalizePrice', () => {
  it('takes what people type', () => {
    expect(normalizePrice(' 0.5 ')).toBe('0.5');
    expect(normalizePrice('$1,000')).toBe('1000');
    expect(normalizePrice('')).toBe('');
    expect(normalizePrice('-1')).toBeNull();
    expect(normalizePrice('1e3')).toBeNull();
  });
});
