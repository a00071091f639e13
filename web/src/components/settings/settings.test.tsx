import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Profile } from '../../api/settings';
import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import { GoogleSection } from './GoogleSection';
import { summarizeUserAgent } from './userAgent';

const PROFILE: Profile = {
  id: 1,
  email: 'ada@example.com',
  display_name: 'Ada',
  avatar_url: null,
  role: 'user',
  has_password: true,
  google_linked: false,
  created_at: '2026-11-01T00:00:00Z',
};

function serve(routes: Record<string, unknown>) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input as Request;
    const path = `${request.method} ${new URL(request.url).pathname}`;
    if (!(path in routes)) {
      return new Response(JSON.stringify({ error: { code: 404, message: 'not here' } }), { status: 404 });
    }
    const body = routes[path];
    return body === null ? new Response(null, { status: 204 }) : new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
}

const OPTIONS = { signup_mode: 'open', password_min_length: 10, oidc_provider_name: 'Google' };

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the linked Google account', () => {
  it('is not offered where Google sign-in is off', async () => {
    const fetchMock = serve({ 'GET /api/auth/options': { ...OPTIONS, oidc_enabled: false } });
    renderAt('/', [{ path: '/', element: <GoogleSection profile={PROFILE} /> }]);
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.queryByTestId('settings-google')).toBeNull();
  });

  it('links and unlinks where it is on', async () => {
    serve({ 'GET /api/auth/options': { ...OPTIONS, oidc_enabled: true } });
    const first = renderAt('/', [{ path: '/', element: <GoogleSection profile={PROFILE} /> }]);
    expect(await screen.findByTestId('google-status')).toHaveTextContent('Not linked');
    expect(screen.getByRole('button', { name: 'Link a Google account' })).toBeEnabled();
    first.unmount();

    const fetchMock = serve({ 'GET /api/auth/options': { ...OPTIONS, oidc_enabled: true }, 'DELETE /api/auth/google/link': null });
    renderAt('/', [{ path: '/', element: <GoogleSection profile={{ ...PROFILE, google_linked: true }} /> }]);
    expect(await screen.findByTestId('google-status')).toHaveTextContent('Linked');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Unlink Google' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === 'DELETE')).toBe(true));
  });

  it('cannot be unlinked from an account without a password', async () => {
    serve({ 'GET /api/auth/options': { ...OPTIONS, oidc_enabled: true } });
    renderAt('/', [{ path: '/', element: <GoogleSection profile={{ ...PROFILE, google_linked: true, has_password: false }} /> }]);
    expect(await screen.findByRole('button', { name: 'Unlink Google' })).toBeDisabled();
    expect(screen.getByText(/Set a password before unlinking Google/)).toBeInTheDocument();
  });
});

describe('a session\'s device', () => {
  it('is named by browser and system', () => {
    expect(
      summarizeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'),
    ).toEqual({ browser: 'Chrome', system: 'Linux' });
    expect(summarizeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1')).toEqual({
      browser: 'Safari',
      system: 'iOS',
    });
    expect(summarizeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0')).toEqual({
      browser: 'Edge',
      system: 'Windows',
    });
    expect(summarizeUserAgent('python-httpx/0.27.0')).toEqual({ browser: 'Python', system: null });
    expect(summarizeUserAgent(null)).toEqual({ browser: null, system: null });
  });
});
