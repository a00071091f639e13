import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ApiKey } from '../../api/keys';
import { apiKey, json } from '../../components/keys/fixtures';
import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import Keys from './Keys';

vi.mock('../../components/keys/KeyUsageChart', () => ({ default: () => <div data-testid="key-usage-chart" /> }));

const ROUTES = [
  { path: '/keys', element: <Keys /> },
  { path: '/activity', element: <p>activity page</p> },
];
const SECRET = 'sk-my-v1-0123456789abcdef0123456789abcdef';

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** The keys API over an in-memory list; records every change. */
function server(initial: ApiKey[]) {
  let keys = [...initial];
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const method = input.method.toUpperCase();
      const body = method === 'GET' || method === 'DELETE' ? undefined : await input.json();
      if (method !== 'GET') {
        calls.push({ method, path: url.pathname, body });
      }
      const match = /^\/api\/keys\/(\d+)$/.exec(url.pathname);
      if (url.pathname === '/api/keys' && method === 'GET') {
        return json(200, keys);
      }
      if (url.pathname === '/api/keys' && method === 'POST') {
        const made = apiKey(100, { name: (body as { name: string }).name, label: 'sk-my-v1-012...cdef' });
        keys = [made, ...keys];
        return json(201, { ...made, key: SECRET });
      }
      if (match && method === 'PATCH') {
        const id = Number(match[1]);
        const change = body as { disabled?: boolean };
        keys = keys.map((key) =>
          key.id === id && change.disabled !== undefined ? { ...key, disabled: change.disabled, status: change.disabled ? 'disabled' : 'active' } : key,
        );
        return json(200, keys.find((key) => key.id === id));
      }
      if (match && method === 'DELETE') {
        keys = keys.filter((key) => key.id !== Number(match[1]));
        return json(204, null);
      }
      if (url.pathname === '/api/activity/stats') {
        return json(200, {
          since: '2026-11-01T00:00:00+00:00',
          until: '2026-12-01T00:00:00+00:00',
          bucket: 'day',
          totals: { requests: 3, tokens: 1200, spend: '0.25' },
          series: [],
        });
      }
      if (url.pathname === '/api/v1/models') {
        return json(200, { data: [{ id: 'acme/fast-1', name: 'Acme: Fast' }] });
      }
      return json(404, { error: { code: 404, message: 'Not found' } });
    }),
  );
  return calls;
}

const PLAYGROUND = apiKey(1, { name: 'Playground (web)', is_playground: true });
const LIMITED = apiKey(2, {
  name: 'ci',
  limit: '5',
  limit_reset: 'daily',
  limit_remaining: '3.75',
  usage: { total: '9', daily: '1.25', weekly: '2', monthly: '4' },
  last_used_at: '2026-11-30T12:00:00Z',
});

function card(name: string): HTMLElement {
  const found = screen.getAllByTestId('key-card').find((element) => element.getAttribute('data-key-name') === name);
  if (!found) {
    throw new Error(`no card for ${name}`);
  }
  return found;
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the API keys page', () => {
  it('lists keys with their use against the limit, and labels the playground key', async () => {
    server([PLAYGROUND, LIMITED]);
    renderAt('/keys', ROUTES);
    await screen.findAllByTestId('key-card');
    const playground = card('Playground (web)');
    expect(within(playground).getByTestId('key-playground')).toHaveTextContent('Playground');
    expect(within(playground).getByTestId('key-playground-note')).toHaveTextContent('It has no secret to show.');
    expect(within(playground).queryByTestId('key-delete')).toBeNull();
    expect(within(playground).getByTestId('key-limit')).toHaveTextContent('No credit limit');

    const ci = card('ci');
    expect(within(ci).getByTestId('key-usage-today')).toHaveTextContent('$1.25');
    expect(within(ci).getByTestId('key-usage-week')).toHaveTextContent('$2.00');
    expect(within(ci).getByTestId('key-usage-month')).toHaveTextContent('$4.00');
    expect(within(ci).getByTestId('key-limit')).toHaveTextContent('Limit $5.00 per day');
    expect(within(ci).getByTestId('key-limit')).toHaveTextContent('$1.25 of $5.00 used');
    expect(within(ci).getByTestId('key-limit')).toHaveTextContent('$3.75 left for new requests');
    const bar = within(ci).getByRole('progressbar');
    expect(bar).toHaveAttribute('aria-valuenow', '25');
    expect(bar).toHaveAccessibleName('25% of the limit used: $1.25 of $5.00 per day');
    expect(within(ci).getByTestId('key-last-used')).toHaveTextContent('2026');
    expect(within(ci).getByTestId('key-expires')).toHaveTextContent('Never');
    expect(within(ci).getByTestId('key-activity')).toHaveAttribute('href', '/activity?key_id=2');
  });

  it('shows a new key once, with a copy button and a warning, and never again', async () => {
    const calls = server([PLAYGROUND]);
    const user = userEvent.setup();
    renderAt('/keys', ROUTES);
    await screen.findAllByTestId('key-card');
    await user.click(screen.getByTestId('create-key'));
    const dialog = await screen.findByRole('dialog', { name: 'Create an API key' });
    await user.type(within(dialog).getByLabelText(/^Name/), 'laptop');
    await user.type(within(dialog).getByLabelText('Credit limit (USD)'), '2.5');
    await user.click(within(dialog).getByTestId('key-submit'));

    const shown = await screen.findByRole('dialog', { name: 'Your new API key' });
    expect(within(shown).getByTestId('created-key')).toHaveValue(SECRET);
    expect(within(shown).getByRole('alert')).toHaveTextContent('This is the only time the key is shown.');
    expect(within(shown).getByRole('button', { name: 'Copy the key' })).toBeInTheDocument();
    // Only the explicit button closes it while the key is on screen.
    expect(within(shown).queryByRole('button', { name: /close/i, hidden: false })).toHaveTextContent('I have stored it, close');
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/keys',
        body: {
          name: 'laptop',
          limit: '2.5',
          limit_reset: null,
          expires_at: null,
          allowed_models: [],
          allowed_ips: [],
          rpm_limit: null,
          tpm_limit: null,
          is_management: false,
        },
      },
    ]);

    await user.click(within(shown).getByTestId('created-key-done'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.body).not.toHaveTextContent(SECRET);
    expect(await screen.findByText('laptop')).toBeInTheDocument();
    // Opening the dialog again starts afresh: the secret is gone for good.
    await user.click(screen.getByTestId('create-key'));
    const again = await screen.findByRole('dialog', { name: 'Create an API key' });
    expect(within(again).getByLabelText(/^Name/)).toHaveValue('');
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('refuses to create a key without a name, naming the field', async () => {
    const calls = server([]);
    const user = userEvent.setup();
    renderAt('/keys', ROUTES);
    expect(await screen.findByTestId('keys-empty')).toBeInTheDocument();
    await user.click(screen.getByTestId('create-key'));
    const dialog = await screen.findByRole('dialog', { name: 'Create an API key' });
    await user.type(within(dialog).getByLabelText('Requests per minute'), '0');
    await user.click(within(dialog).getByTestId('key-submit'));
    expect(await within(dialog).findByText('Give the key a name (up to 200 characters).')).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it('disables, enables and, after asking, deletes a key', async () => {
    const calls = server([LIMITED]);
    const user = userEvent.setup();
    renderAt('/keys', ROUTES);
    await screen.findAllByTestId('key-card');
    await user.click(within(card('ci')).getByTestId('key-toggle'));
    await waitFor(() => expect(within(card('ci')).getByTestId('key-status')).toHaveTextContent('Disabled'));
    expect(within(card('ci')).getByTestId('key-toggle')).toHaveTextContent('Enable');
    await user.click(within(card('ci')).getByTestId('key-toggle'));
    await waitFor(() => expect(within(card('ci')).getByTestId('key-status')).toHaveTextContent('Active'));

    await user.click(within(card('ci')).getByTestId('key-delete'));
    const confirm = await screen.findByRole('dialog', { name: 'Delete this key?' });
    expect(confirm).toHaveTextContent('Delete "ci" (sk-my-v1-ab2...wxyz)?');
    await user.click(within(confirm).getByTestId('delete-key-confirm'));
    await waitFor(() => expect(screen.queryAllByTestId('key-card')).toHaveLength(0));
    expect(calls.map((call) => `${call.method} ${call.path} ${JSON.stringify(call.body ?? null)}`)).toEqual([
      'PATCH /api/keys/2 {"disabled":true}',
      'PATCH /api/keys/2 {"disabled":false}',
      'DELETE /api/keys/2 null',
    ]);
  });

  it('edits only what changed', async () => {
    const calls = server([LIMITED]);
    const user = userEvent.setup();
    renderAt('/keys', ROUTES);
    await screen.findAllByTestId('key-card');
    await user.click(within(card('ci')).getByTestId('key-edit'));
    const dialog = await screen.findByRole('dialog', { name: 'Edit key' });
    const limit = within(dialog).getByLabelText('Credit limit (USD)');
    expect(limit).toHaveValue('5');
    await user.clear(limit);
    await user.type(limit, '10');
    await user.type(within(dialog).getByLabelText('Tokens per minute'), '5000');
    await user.click(within(dialog).getByTestId('key-submit'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls).toEqual([{ method: 'PATCH', path: '/api/keys/2', body: { limit: '10', tpm_limit: 5000 } }]);
  });

  it('opens a key usage chart on demand', async () => {
    server([LIMITED]);
    const user = userEvent.setup();
    renderAt('/keys', ROUTES);
    await screen.findAllByTestId('key-card');
    const toggle = within(card('ci')).getByTestId('key-usage-toggle');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(await screen.findByTestId('key-usage')).toHaveTextContent('Last 30 days: 3 requests, 1,200 tokens, $0.25.');
  });
});
