import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import i18n from '../i18n';
import { renderAt } from '../test/render';
import ModelDetail from './ModelDetail';
import Models from './Models';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function model(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    canonical_slug: id,
    owned_by: id.split('/')[0],
    name: `Model ${id}`,
    created: 1_767_225_600,
    description: `About ${id}.`,
    context_length: 131_072,
    architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other' },
    pricing: { prompt: '0.00000045', completion: '0.0000015' },
    top_provider: { context_length: 131_072, max_completion_tokens: 8_192, is_moderated: false },
    supported_parameters: ['tools', 'temperature'],
    links: {},
    ...extra,
  };
}

const MODELS = [
  model('acme/fast-1'),
  model('bolt/free', { pricing: { prompt: '0', completion: '0' }, supported_parameters: [] }),
];
const FACETS = {
  input_modalities: { text: 2, image: 0 },
  output_modalities: { text: 2, image: 1 },
  supported_parameters: { tools: 1, temperature: 1 },
  model_authors: { acme: 1, bolt: 1 },
  providers: { groq: 2 },
  free: 1,
  total: 2,
};

type Handler = (url: URL) => Response | Promise<Response>;

function server(routes: Record<string, Handler> = {}) {
  const calls: URL[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      calls.push(url);
      const handler = routes[url.pathname];
      if (handler) return handler(url);
      if (url.pathname === '/api/v1/models') return json(200, { data: MODELS, total_count: MODELS.length, links: { next: null } });
      if (url.pathname === '/api/v1/models/facets') return json(200, { data: FACETS });
      if (url.pathname === '/api/v1/models/count') return json(200, { data: { count: 1 } });
      return json(404, { error: { code: 404, message: 'Not found' } });
    }),
  );
  return {
    calls,
    last: (path: string) => [...calls].reverse().find((url) => url.pathname === path),
  };
}

const ROUTES = [
  { path: '/models', element: <Models /> },
  { path: '/models/:author/:slug', element: <ModelDetail /> },
];

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the models page', () => {
  it('sends the filters, sort and page of its URL to the API', async () => {
    const api = server();
    renderAt('/models?q=llama&params=tools&input=image&context=32000&free=1&authors=acme&sort=newest&page=2&output=', ROUTES);
    await waitFor(() => expect(api.last('/api/v1/models')).toBeDefined());
    const list = Object.fromEntries(api.last('/api/v1/models')!.searchParams);
    expect(list).toEqual({
      q: 'llama',
      sort: 'newest',
      input_modalities: 'image',
      output_modalities: 'all',
      supported_parameters: 'tools',
      model_authors: 'acme',
      context: '32000',
      max_price: '0',
      offset: '24',
      limit: '24',
    });
    await waitFor(() => expect(api.last('/api/v1/models/facets')).toBeDefined());
    const facets = Object.fromEntries(api.last('/api/v1/models/facets')!.searchParams);
    expect(facets).not.toHaveProperty('sort');
    expect(facets).not.toHaveProperty('offset');
    expect(facets.q).toBe('llama');
    expect(screen.getByLabelText('Search models')).toHaveValue('llama');
    expect(screen.getByLabelText('Sort models')).toHaveValue('newest');
  });

  it('shows cards with prices per million tokens, and counts next to the filters', async () => {
    server();
    renderAt('/models', ROUTES);
    const cards = await screen.findAllByTestId('model-card');
    expect(cards).toHaveLength(2);
    expect(within(cards[0]!).getByTestId('price-summary')).toHaveTextContent('$0.45 /M input · $1.50 /M output');
    expect(within(cards[0]!).getByText('131.1K context')).toBeInTheDocument();
    expect(within(cards[1]!).getByText('Free')).toBeInTheDocument();
    expect(screen.getByTestId('models-count')).toHaveTextContent('2 models');
    expect(await screen.findByRole('checkbox', { name: 'Tools (1)' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'acme (1)' })).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Input modalities' })).getByRole('checkbox', { name: 'Text (2)' })).not.toBeChecked();
    expect(within(screen.getByRole('region', { name: 'Output modalities' })).getByRole('checkbox', { name: 'Text (2)' })).toBeChecked();
    // A value no model has cannot be chosen.
    expect(screen.getByRole('checkbox', { name: 'Image (0)' })).toBeDisabled();
  });

  it('formats prices for Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    server();
    renderAt('/models', ROUTES);
    const cards = await screen.findAllByTestId('model-card');
    expect(within(cards[0]!).getByTestId('price-summary')).toHaveTextContent('US$0.45 /百万输入 · US$1.50 /百万输出');
    expect(screen.getByTestId('models-count')).toHaveTextContent('2 个模型');
  });

  it('puts a filter in the URL and goes back to the first page', async () => {
    const api = server();
    const { router } = renderAt('/models?page=2&view=table', ROUTES);
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Tools (1)' }));
    await waitFor(() => expect(router.state.location.search).toBe('?view=table&params=tools'));
    await waitFor(() => expect(api.last('/api/v1/models')!.searchParams.get('supported_parameters')).toBe('tools'));
    expect(api.last('/api/v1/models')!.searchParams.get('offset')).toBe('0');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Long context (128K+) (1)' }));
    await waitFor(() => expect(router.state.location.search).toBe('?view=table&params=tools&context=128000'));
    expect(screen.getByTestId('active-filters')).toHaveTextContent('Context ≥ 128K');
  });

  it('debounces the search into the URL', async () => {
    const api = server();
    const { router } = renderAt('/models', ROUTES);
    await screen.findAllByTestId('model-card');
    await userEvent.type(screen.getByLabelText('Search models'), 'fast');
    expect(router.state.location.search).toBe('');
    await waitFor(() => expect(router.state.location.search).toBe('?q=fast'));
    await waitFor(() => expect(api.last('/api/v1/models')!.searchParams.get('q')).toBe('fast'));
    // Every keystroke did not ask the server.
    expect(api.calls.filter((url) => url.pathname === '/api/v1/models' && url.searchParams.has('q'))).toHaveLength(1);
  });

  it('takes a prompt-price range in USD per million tokens, and "free" as a maximum of zero', async () => {
    const api = server();
    const { router } = renderAt('/models', ROUTES);
    await screen.findAllByTestId('model-card');
    await userEvent.type(screen.getByLabelText('Max'), '2.5');
    await userEvent.tab();
    await waitFor(() => expect(router.state.location.search).toBe('?max=2.5'));
    await waitFor(() => expect(api.last('/api/v1/models')!.searchParams.get('max_price')).toBe('2.5'));
    expect(screen.getByTestId('active-filters')).toHaveTextContent('Prompt ≤ $2.50/M');
    await userEvent.type(screen.getByLabelText('Min'), 'abc');
    expect(await screen.findByText('Enter a price such as 0.5')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('switch', { name: 'Free models only (1)' }));
    await waitFor(() => expect(api.last('/api/v1/models')!.searchParams.get('max_price')).toBe('0'));
    expect(screen.getByLabelText('Max')).toBeDisabled();
  });

  it('switches to the table and back through the URL', async () => {
    server();
    const { router } = renderAt('/models', ROUTES);
    await screen.findAllByTestId('model-card');
    await userEvent.click(screen.getByLabelText('Table'));
    await waitFor(() => expect(router.state.location.search).toBe('?view=table'));
    const table = await screen.findByTestId('model-table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByText('$1.50')).toBeInTheDocument();
    await act(() => router.navigate(-1));
    expect(await screen.findAllByTestId('model-card')).toHaveLength(2);
  });

  it('suggests which filter to remove when nothing matches', async () => {
    server({
      '/api/v1/models': () => json(200, { data: [], total_count: 0, links: { next: null } }),
      '/api/v1/models/count': (url) => json(200, { data: { count: url.searchParams.has('model_authors') ? 0 : 3 } }),
    });
    const { router } = renderAt('/models?authors=zeta&free=1', ROUTES);
    const empty = await screen.findByTestId('models-empty');
    expect(within(empty).getByText('No models match')).toBeInTheDocument();
    // Removing the author leaves 3 models, removing "free" leaves none: the author comes first.
    await waitFor(() =>
      expect(within(empty).getAllByRole('button', { name: /^Remove filter/ }).map((button) => button.getAttribute('aria-label'))).toEqual([
        'Remove filter: Author: zeta (3 models)',
        'Remove filter: Free only (0 models)',
      ]),
    );
    await userEvent.click(within(empty).getByRole('button', { name: 'Remove filter: Author: zeta (3 models)' }));
    await waitFor(() => expect(router.state.location.search).toBe('?free=1'));
  });

  it('says what went wrong and retries', async () => {
    let fail = true;
    server({
      '/api/v1/models': () =>
        fail
          ? json(503, { error: { code: 503, message: 'Service unavailable' } })
          : json(200, { data: MODELS, total_count: 2, links: { next: null } }),
    });
    renderAt('/models', ROUTES);
    const alert = await screen.findByTestId('models-error');
    expect(alert).toHaveTextContent('The models could not be loaded');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('model-card')).toHaveLength(2);
  });
});

describe('the model page', () => {
  const detail = model('acme/fast-1', {
    pricing: {
      prompt: '0.000003',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      input_cache_write: '0.00000375',
      internal_reasoning: '0.000015',
      request: '0.0002',
      image: '0.0048',
    },
    architecture: { input_modalities: ['text', 'image'], output_modalities: ['text'] },
    supported_parameters: ['tools', 'reasoning', 'structured_outputs'],
  });
  const endpoint = {
    name: 'Groq: x',
    model_id: 'acme/fast-1',
    model_name: 'x',
    provider_name: 'Groq',
    tag: 'groq/fp8',
    context_length: 131_072,
    max_completion_tokens: 8_192,
    pricing: { prompt: '0.000003', completion: '0.000015' },
    quantization: 'fp8',
    supported_parameters: [],
    status: -1,
    uptime_last_5m: 99.5,
    uptime_last_30m: 100,
    uptime_last_1d: null,
    latency_last_30m: { p50: 1234, p75: 1500, p90: 2000, p99: 3000 },
    throughput_last_30m: { p50: 87.4, p75: 80, p90: 70, p99: 60 },
  };

  function detailServer() {
    return server({
      '/api/v1/models/acme/fast-1': () => json(200, { data: detail }),
      '/api/v1/models/acme/fast-1/endpoints': () =>
        json(200, { data: { id: 'acme/fast-1', name: 'x', created: 0, architecture: {}, endpoints: [endpoint] } }),
      '/api/v1/models/acme/fast-1/stats': () => json(200, { data: { model: 'acme/fast-1', since: '', until: '', providers: [] } }),
    });
  }

  it('shows every price in USD per million tokens, per request and per image', async () => {
    detailServer();
    renderAt('/models/acme/fast-1', ROUTES);
    expect(await screen.findByRole('heading', { level: 1, name: 'Model acme/fast-1' })).toBeInTheDocument();
    expect(screen.getByTestId('stat-context')).toHaveTextContent('131.1K tokens');
    expect(screen.getByTestId('stat-max-output')).toHaveTextContent('8.2K tokens');
    expect(screen.getByTestId('stat-input-price')).toHaveTextContent('$3.00');
    const table = screen.getByTestId('pricing-table');
    const price = (key: string) => table.querySelector(`tr[data-price="${key}"] td:last-child`)?.textContent;
    expect(price('prompt')).toBe('$3.00');
    expect(price('completion')).toBe('$15.00');
    expect(price('input_cache_read')).toBe('$0.30');
    expect(price('input_cache_write')).toBe('$3.75');
    expect(price('internal_reasoning')).toBe('$15.00');
    expect(price('request')).toBe('$0.0002');
    expect(price('image')).toBe('$0.0048');
    for (const badge of ['Tools', 'Vision', 'Reasoning', 'Structured outputs', 'Long context (128K+)']) {
      expect(screen.getByText(badge)).toBeInTheDocument();
    }
  });

  it('keeps its tab in the URL, and lists providers with their speed and uptime', async () => {
    detailServer();
    const { router } = renderAt('/models/acme/fast-1', ROUTES);
    await userEvent.click(await screen.findByRole('tab', { name: /Providers/ }));
    await waitFor(() => expect(router.state.location.search).toBe('?tab=providers'));
    const row = await screen.findByTestId('provider-row');
    expect(row).toHaveTextContent('Groq');
    expect(row).toHaveTextContent('groq/fp8');
    expect(row).toHaveTextContent('$3.00');
    expect(row).toHaveTextContent('1.2 s');
    expect(row).toHaveTextContent('87 tok/s');
    expect(row).toHaveTextContent('99.5%');
    expect(row).toHaveTextContent('100%');
    expect(row).toHaveTextContent('Paused');
  });

  it('gives code samples against this server, with a copy button', async () => {
    detailServer();
    renderAt('/models/acme/fast-1?tab=api', ROUTES);
    const sample = await screen.findByTestId('code-sample');
    expect(sample).toHaveTextContent(`curl ${window.location.origin}/v1/chat/completions`);
    expect(sample).toHaveTextContent('"model": "acme/fast-1"');
    expect(screen.getByTestId('copy-button')).toHaveTextContent('Copy');
    await userEvent.click(screen.getByLabelText('Python'));
    expect(await screen.findByTestId('code-sample')).toHaveTextContent(`base_url="${window.location.origin}/v1"`);
  });

  it('says when nobody used the model', async () => {
    detailServer();
    renderAt('/models/acme/fast-1?tab=usage', ROUTES);
    expect(await screen.findByTestId('usage-empty')).toHaveTextContent('Nobody has used this model here in the last 30 days.');
  });

  it('says a model does not exist, with a way back', async () => {
    server();
    renderAt('/models/nobody/nothing', ROUTES);
    expect(await screen.findByRole('heading', { level: 1, name: 'Model not found' })).toBeInTheDocument();
    expect(screen.getByTestId('model-not-found')).toHaveTextContent('nobody/nothing');
    expect(screen.getByRole('link', { name: 'Browse all models' })).toHaveAttribute('href', '/models');
  });
});
