import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { RankBy, RankPeriod } from '../api/rankings';
import { json, rankedModel, rankings } from '../components/rankings/fixtures';
import i18n from '../i18n';
import { renderAt } from '../test/render';
import Rankings from './Rankings';

// jsdom has no layout for the charts to measure: they are the browser tests' business.
vi.mock('../components/rankings/TrendChart', () => ({ default: () => <div data-testid="trend-chart" /> }));
vi.mock('../components/rankings/ShareChart', () => ({ default: () => <div data-testid="share-chart" /> }));

const ROUTES = [{ path: '/rankings', element: <Rankings /> }];

/** Answers GET /api/v1/rankings with a model per measure and period ("by-period/model"), records the asks. */
function server(options: { empty?: boolean; fail?: number } = {}) {
  const asked: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname === '/api/v1/rankings') {
        const by = (url.searchParams.get('by') ?? 'tokens') as RankBy;
        const period = (url.searchParams.get('period') ?? 'week') as RankPeriod;
        asked.push(`${by}/${period}`);
        if (options.fail !== undefined && asked.length <= options.fail) {
          return json(503, { error: { code: 503, message: 'Try again' } });
        }
        const models = options.empty
          ? []
          : [
              rankedModel(1, `${by}-${period}/first`, by === 'spend' ? '12.5' : 3000, { share: 0.75, change_percent: 50 }),
              rankedModel(2, `${by}-${period}/second`, by === 'spend' ? '4.1' : 1000, { share: 0.25 }),
            ];
        return json(200, { data: rankings(by, period, models) });
      }
      if (url.pathname === '/api/v1/models') {
        return json(200, { data: [] });
      }
      return json(404, { error: { code: 404, message: 'Not found' } });
    }),
  );
  return asked;
}

function leaderboardModels(): string[] {
  return screen.getAllByTestId('leaderboard-row').map((row) => row.getAttribute('data-model') ?? '');
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the rankings page', () => {
  it('reads the measure and period from the URL', async () => {
    const asked = server();
    renderAt('/rankings?by=spend&period=month', ROUTES);
    await waitFor(() => expect(leaderboardModels()).toEqual(['spend-month/first', 'spend-month/second']));
    expect(asked).toContain('spend/month');
    expect(screen.getByRole('radio', { name: 'Spend' })).toBeChecked();
    expect(screen.getByRole('radio', { name: '30 days' })).toBeChecked();
    expect(within(screen.getAllByTestId('leaderboard-row')[0]!).getByTestId('value')).toHaveTextContent('$12.50');
  });

  it('puts what is picked in the URL, and follows the URL back', async () => {
    server();
    const { router } = renderAt('/rankings', ROUTES);
    await waitFor(() => expect(leaderboardModels()[0]).toBe('tokens-week/first'));
    expect(router.state.location.search).toBe('');
    await userEvent.click(screen.getByRole('radio', { name: 'Requests' }));
    await waitFor(() => expect(leaderboardModels()[0]).toBe('requests-week/first'));
    expect(router.state.location.search).toBe('?by=requests');
    await userEvent.click(screen.getByRole('radio', { name: '24 hours' }));
    await waitFor(() => expect(leaderboardModels()[0]).toBe('requests-day/first'));
    expect(new URLSearchParams(router.state.location.search).get('period')).toBe('day');
    expect(new URLSearchParams(router.state.location.search).get('by')).toBe('requests');
    await router.navigate(-1);
    await waitFor(() => expect(leaderboardModels()[0]).toBe('requests-week/first'));
    expect(screen.getByRole('radio', { name: '7 days' })).toBeChecked();
    await router.navigate(-1);
    await waitFor(() => expect(leaderboardModels()[0]).toBe('tokens-week/first'));
    expect(screen.getByRole('radio', { name: 'Tokens' })).toBeChecked();
  });

  it('falls back to tokens over a week for values it does not know', async () => {
    const asked = server();
    renderAt('/rankings?by=vibes&period=decade', ROUTES);
    await waitFor(() => expect(leaderboardModels()[0]).toBe('tokens-week/first'));
    expect(asked).toEqual(['tokens/week']);
  });

  it('says when there is no traffic yet', async () => {
    server({ empty: true });
    renderAt('/rankings', ROUTES);
    expect(await screen.findByTestId('rankings-empty')).toHaveTextContent('No traffic in this period');
  });

  it('shows an error with a retry that asks again', async () => {
    const asked = server({ fail: 1 });
    renderAt('/rankings', ROUTES);
    const alert = await screen.findByTestId('rankings-error');
    expect(alert).toHaveTextContent('Could not load the rankings');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(leaderboardModels()[0]).toBe('tokens-week/first'));
    expect(asked.length).toBeGreaterThan(1);
  });

  it('is in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    server();
    renderAt('/rankings?by=growth', ROUTES);
    expect(await screen.findByRole('heading', { level: 1, name: '排行榜' })).toBeInTheDocument();
    await waitFor(() => expect(leaderboardModels()[0]).toBe('growth-week/first'));
    expect(screen.getByRole('radio', { name: '增长' })).toBeChecked();
    expect(within(screen.getAllByTestId('leaderboard-row')[0]!).getByTestId('change')).toHaveTextContent('较上一周期增长 50%');
  });
});
