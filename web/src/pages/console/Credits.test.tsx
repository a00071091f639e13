import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { json } from '../../components/keys/fixtures';
import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import Credits from './Credits';

// jsdom has no layout for the charts to measure: they are the browser tests' business.
vi.mock('../../components/credits/SpendChart', () => ({ default: () => <div data-testid="spend-chart" /> }));

const ROUTES = [{ path: '/credits', element: <Credits /> }];

function transaction(id: number, type: string, amount: string) {
  return { id, type, amount, balance_after: '10', reference: type === 'redemption' ? 'code:4' : null, note: null, generation_id: null, created_at: '2026-11-30T12:00:00Z' };
}

interface Options {
  redeem?: () => Response;
}

/** The credit APIs; records each transactions query and redemption. */
function server(options: Options = {}) {
  const asked: URLSearchParams[] = [];
  const redeemed: unknown[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      switch (url.pathname) {
        case '/api/balance':
          return json(200, { balance: '12.5', held: '0.25', available: '12.25', spent_today: '0.0042', spent_this_month: '3' });
        case '/api/balance/transactions': {
          asked.push(url.searchParams);
          const cursor = url.searchParams.get('cursor');
          return cursor === null
            ? json(200, { data: [transaction(9, 'topup', '5'), transaction(8, 'usage', '-0.0012')], next_cursor: '8' })
            : json(200, { data: [transaction(7, 'redemption', '2.5')], next_cursor: null });
        }
        case '/api/balance/redeem':
          redeemed.push(await input.json());
          return options.redeem ? options.redeem() : json(200, { amount: '2.5', balance: '15' });
        case '/api/balance/alerts':
          return json(200, {
            threshold: '1',
            threshold_is_default: true,
            email: null,
            email_enabled: false,
            webhook_url: null,
            webhook_secret: 'whsec',
            alerted: false,
          });
        case '/api/activity/stats':
          return json(200, { since: '2026-11-01T00:00:00+00:00', until: '2026-12-01T00:00:00+00:00', bucket: 'day', totals: {}, series: [], groups: [] });
        case '/api/v1/models':
          return json(200, { data: [] });
        default:
          return json(404, { error: { code: 404, message: 'Not found' } });
      }
    }),
  );
  return { asked, redeemed };
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the credits page', () => {
  it('shows the balance figures as the API gives them', async () => {
    server();
    renderAt('/credits', ROUTES);
    expect(await screen.findByText('$12.50')).toBeInTheDocument();
    expect(screen.getByTestId('balance-available')).toHaveAttribute('data-value', '12.25');
    expect(screen.getByTestId('balance-held')).toHaveTextContent('$0.25');
    expect(screen.getByTestId('balance-spent-today')).toHaveTextContent('$0.0042');
    expect(screen.getByTestId('balance-spent-today')).toHaveTextContent('Spent today (UTC)');
    expect(screen.getByTestId('utc-note')).toHaveTextContent(/UTC/);
    expect(await screen.findByTestId('spend-empty')).toBeInTheDocument();
  });

  it('keeps the type filter and the page in the URL', async () => {
    const { asked } = server();
    const user = userEvent.setup();
    const { router } = renderAt('/credits', ROUTES);
    const rows = await screen.findAllByTestId('transaction-row');
    expect(rows.map((row) => row.getAttribute('data-type'))).toEqual(['topup', 'usage']);
    expect(rows[1]).toHaveTextContent('-$0.0012');
    expect(rows[0]).toHaveTextContent('+$5.00');

    await user.click(screen.getByTestId('transactions-next'));
    await waitFor(() => expect(router.state.location.search).toBe('?cursors=8'));
    expect(await screen.findByText('Redemption code #4')).toBeInTheDocument();
    expect(screen.getByTestId('transactions-page')).toHaveTextContent('Page 2');
    expect(asked.at(-1)?.get('cursor')).toBe('8');
    await user.click(screen.getByTestId('transactions-previous'));
    await waitFor(() => expect(router.state.location.search).toBe(''));

    await user.click(screen.getByRole('combobox', { name: 'Type' }));
    await user.click(await screen.findByRole('option', { name: 'Refund', hidden: true }));
    await waitFor(() => expect(router.state.location.search).toBe('?type=refund'));
    await waitFor(() => expect(asked.at(-1)?.get('type')).toBe('refund'));
    expect(asked.at(-1)?.get('limit')).toBe('25');
  });

  it('starts from the filters in the URL and asks for whole local days', async () => {
    const { asked } = server();
    renderAt('/credits?type=topup,usage&from=2026-11-01&to=2026-11-15', ROUTES);
    await screen.findAllByTestId('transaction-row');
    const query = asked.at(-1);
    expect(query?.get('type')).toBe('topup,usage');
    expect(query?.get('since')).toBe(new Date(2026, 10, 1).toISOString());
    expect(query?.get('until')).toBe(new Date(2026, 10, 16).toISOString());
    expect(screen.getByTestId('transactions-clear')).toBeInTheDocument();
  });

  it('redeems a code and says what it added', async () => {
    const { redeemed } = server();
    const user = userEvent.setup();
    renderAt('/credits', ROUTES);
    await user.type(screen.getByLabelText('Redemption code'), ' MY-AAAA-BBBB ');
    await user.click(screen.getByTestId('redeem-submit'));
    expect(await screen.findByTestId('redeem-success')).toHaveTextContent('Added $2.50. Your balance is now $15.00.');
    expect(redeemed).toEqual([{ code: 'MY-AAAA-BBBB' }]);
  });

  it.each([
    [400, 'This code is not valid: it is unknown, expired or already used up.'],
    [409, 'You have already redeemed this code.'],
  ])('explains a refused code (%i)', async (status, message) => {
    server({ redeem: () => json(status, { error: { code: status, message: 'server words' } }) });
    const user = userEvent.setup();
    renderAt('/credits', ROUTES);
    await user.type(screen.getByLabelText('Redemption code'), 'MY-WRONG');
    await user.click(screen.getByTestId('redeem-submit'));
    expect(await screen.findByTestId('redeem-error')).toHaveTextContent(message);
  });

  it('after too many wrong codes, says how long to wait and keeps the button off', async () => {
    server({ redeem: () => json(429, { error: { code: 429, message: 'Too many invalid codes' } }, { 'Retry-After': '120' }) });
    const user = userEvent.setup();
    renderAt('/credits', ROUTES);
    await user.type(screen.getByLabelText('Redemption code'), 'MY-WRONG');
    await user.click(screen.getByTestId('redeem-submit'));
    expect(await screen.findByTestId('redeem-error')).toHaveTextContent('Too many wrong codes. Try again in 2 minutes.');
    expect(screen.getByTestId('redeem-submit')).toBeDisabled();
    expect(screen.getByTestId('redeem-submit')).toHaveTextContent('Try again in 2 minutes');
  });

  it('asks for a code before sending', async () => {
    const { redeemed } = server();
    const user = userEvent.setup();
    renderAt('/credits', ROUTES);
    await user.click(screen.getByTestId('redeem-submit'));
    expect(await screen.findByText('Enter a code.')).toBeInTheDocument();
    expect(redeemed).toEqual([]);
  });

  it('shows the alert settings and the server has no email', async () => {
    server();
    renderAt('/credits', ROUTES);
    const state = await screen.findByTestId('alerts-state');
    expect(state).toHaveTextContent('On, below $1.00');
    const form = screen.getByRole('form', { name: 'Low-balance alert' });
    expect(within(form).getByText('This server does not send email; use a webhook instead.')).toBeInTheDocument();
  });
});
