import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { RankBy, RankPeriod } from '../api/rankings';
import { json, rankedModel, rankings } from '../components/rankings/fixtures';
import i18n from '../i18n';
import { renderAt } from '../test/render';
import Home from './Home';

const ROUTES = [
  { path: '/', element: <Home /> },
  { path: '/models', element: <p>models page</p> },
];

const WEEK_TOKENS = rankings('tokens', 'week', [
  rankedModel(1, 'acme/big-1', 1_500_000, { share: 0.75, change_percent: -10 }),
  rankedModel(2, 'beta/mid-2', 500_000, { share: 0.25, change_percent: 5 }),
]);
const GROWTH = rankings('growth', 'week', [
  rankedModel(1, 'beta/mid-2', 500_000, { change_percent: 5 }),
  rankedModel(2, 'acme/big-1', 1_500_000, { change_percent: -10 }),
  rankedModel(3, 'gamma/new-3', 20, { change_percent: null }),
]);
const DAY_REQUESTS = rankings('requests', 'day', [rankedModel(1, 'acme/big-1', 1234)], { total: 1234 });

function server(options: { empty?: boolean; failCount?: boolean } = {}) {
  let countCalls = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      switch (url.pathname) {
        case '/api/v1/rankings': {
          const key = `${url.searchParams.get('by')}/${url.searchParams.get('period')}`;
          if (options.empty) {
            return json(200, { data: rankings(url.searchParams.get('by') as RankBy, url.searchParams.get('period') as RankPeriod, [], { total: 0 }) });
          }
          const answer = { 'tokens/week': WEEK_TOKENS, 'growth/week': GROWTH, 'requests/day': DAY_REQUESTS }[key];
          return answer ? json(200, { data: answer }) : json(404, { error: { code: 404, message: key } });
        }
        case '/api/v1/models/count':
          countCalls += 1;
          return options.failCount && countCalls === 1 ? json(500, { error: { code: 500, message: 'boom' } }) : json(200, { data: { count: 42 } });
        case '/api/v1/providers':
          return json(200, { data: [{ name: 'Acme', slug: 'acme' }, { name: 'Beta', slug: 'beta' }, { name: 'Gamma', slug: 'gamma' }] });
        case '/api/v1/models':
          return json(200, { data: [{ id: 'acme/big-1', name: 'Acme: Big One' }] });
        case '/api/auth/me':
          return json(401, { error: { code: 401, message: 'Sign in' } });
        default:
          return json(404, { error: { code: 404, message: 'Not found' } });
      }
    }),
  );
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the home page', () => {
  it('shows live figures from the API', async () => {
    server();
    renderAt('/', ROUTES);
    await waitFor(() => expect(screen.getByTestId('stat-models')).toHaveTextContent('42'));
    expect(screen.getByTestId('stat-models')).toHaveAttribute('data-value', '42');
    await waitFor(() => expect(screen.getByTestId('stat-providers')).toHaveAttribute('data-value', '3'));
    await waitFor(() => expect(screen.getByTestId('stat-tokens-week')).toHaveTextContent('2M'));
    expect(screen.getByTestId('stat-tokens-week')).toHaveAttribute('data-value', '2000000');
    await waitFor(() => expect(screen.getByTestId('stat-requests-day')).toHaveTextContent('1,234'));
    expect(screen.getByTestId('stat-requests-day')).toHaveTextContent('Requests, last 24 h');
  });

  it('lists top models and only growing or new ones as trending', async () => {
    server();
    renderAt('/', ROUTES);
    const top = await screen.findByTestId('home-top-list');
    expect([...top.querySelectorAll('li')].map((li) => li.dataset.model)).toEqual(['acme/big-1', 'beta/mid-2']);
    await waitFor(() => expect(within(top).getByRole('link', { name: 'Acme: Big One' })).toHaveAttribute('href', '/models/acme/big-1'));
    expect(top).toHaveTextContent('1.5M tokens');
    const trending = await screen.findByTestId('home-trending-list');
    expect([...trending.querySelectorAll('li')].map((li) => li.dataset.model)).toEqual(['beta/mid-2', 'gamma/new-3']);
    expect(trending).toHaveTextContent('+5%');
    expect(trending).toHaveTextContent('New');
  });

  it('jumps to the models page with the search text', async () => {
    server();
    const { router } = renderAt('/', ROUTES);
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search models' }), 'llama 3{Enter}');
    expect(await screen.findByText('models page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/models');
    expect(new URLSearchParams(router.state.location.search).get('q')).toBe('llama 3');
  });

  it('says when there is no traffic yet', async () => {
    server({ empty: true });
    renderAt('/', ROUTES);
    expect(await screen.findByTestId('home-top-empty')).toHaveTextContent('No traffic yet');
    expect(await screen.findByTestId('home-trending-empty')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('stat-tokens-week')).toHaveAttribute('data-value', '0'));
  });

  it('offers a retry when a figure fails to load', async () => {
    server({ failCount: true });
    renderAt('/', ROUTES);
    const card = screen.getByTestId('stat-models');
    await userEvent.click(await within(card).findByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(card).toHaveAttribute('data-value', '42'));
  });

  it('shows code samples for this server, in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    server();
    renderAt('/', ROUTES);
    expect(screen.getByRole('heading', { level: 2, name: '快速开始' })).toBeInTheDocument();
    expect(screen.getByTestId('base-url')).toHaveTextContent(`${window.location.origin}/v1`);
    await waitFor(() => expect(screen.getByTestId('code-curl')).toHaveTextContent('"model":"acme/big-1"'));
    expect(screen.getByTestId('code-curl')).toHaveTextContent(`curl ${window.location.origin}/v1/chat/completions`);
    await userEvent.click(screen.getByRole('tab', { name: 'Python（openai）' }));
    expect(screen.getByTestId('code-python')).toHaveTextContent(`base_url="${window.location.origin}/v1"`);
    expect(screen.getByTestId('code-python')).toHaveTextContent('from openai import OpenAI');
  });
});
