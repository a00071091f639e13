import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import i18n from '../i18n';
import { renderAt } from '../test/render';
import SignIn from './SignIn';
import SignUp from './SignUp';

const USER = { id: 7, email: 'ann@example.com', display_name: null, role: 'user', has_password: true, google_linked: false };
type Handler = (request: Request) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function server(routes: Record<string, Handler>, options = { oidc: false, mode: 'open' }) {
  const seen: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const path = new URL(input.url).pathname;
      const text = input.method === 'GET' ? '' : await input.clone().text();
      seen.push({ method: input.method, path, body: text ? JSON.parse(text) : null });
      const handler = routes[`${input.method} ${path}`];
      if (handler) {
        return handler(input);
      }
      if (path === '/api/auth/me') {
        return json(401, { error: { code: 401, message: 'Sign in' } });
      }
      if (path === '/api/auth/options') {
        return json(200, {
          signup_mode: options.mode,
          password_min_length: 10,
          oidc_enabled: options.oidc,
          oidc_provider_name: 'Google',
        });
      }
      return json(404, { error: { code: 404, message: 'Not found' } });
    }),
  );
  return seen;
}

const ROUTES = [
  { path: '/signin', element: <SignIn /> },
  { path: '/signup', element: <SignUp /> },
  { path: '/rankings', element: <p>rankings page</p> },
  { path: '/', element: <p>home page</p> },
];

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('sign-in', () => {
  it('signs in and goes back to the page named by next', async () => {
    const seen = server({ 'POST /api/auth/login': () => json(200, { user: USER, access_token: 'x' }) });
    const { router } = renderAt('/signin?next=%2Frankings', ROUTES);
    await userEvent.type(await screen.findByLabelText(/email/i), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/password/i, { selector: 'input' }), 'correct-horse-battery');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('rankings page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/rankings');
    expect(seen.find((call) => call.path === '/api/auth/login')?.body).toEqual({
      email: 'ann@example.com',
      password: 'correct-horse-battery',
    });
  });

  it('never follows next to another site', async () => {
    server({ 'POST /api/auth/login': () => json(200, { user: USER }) });
    const { router } = renderAt('/signin?next=https%3A%2F%2Fevil.example%2F', ROUTES);
    await userEvent.type(await screen.findByLabelText(/email/i), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/password/i, { selector: 'input' }), 'correct-horse-battery');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('home page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/');
  });

  it('checks the fields before asking the server', async () => {
    const seen = server({});
    renderAt('/signin', ROUTES);
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Enter your email address.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(seen.some((call) => call.path === '/api/auth/login')).toBe(false);
  });

  it('says when the email or password is wrong', async () => {
    server({ 'POST /api/auth/login': () => json(401, { error: { code: 401, message: 'Wrong email or password' } }) });
    renderAt('/signin', ROUTES);
    await userEvent.type(await screen.findByLabelText(/email/i), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/password/i, { selector: 'input' }), 'nope-nope-nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
  });

  it('says how long to wait when rate limited, in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    server({
      'POST /api/auth/login': () =>
        json(429, { error: { code: 429, message: 'Too many failed sign-ins; try again later' } }, { 'Retry-After': '900' }),
    });
    renderAt('/signin', ROUTES);
    await userEvent.type(await screen.findByLabelText(/邮箱/), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/密码/, { selector: 'input' }), 'nope-nope-nope');
    await userEvent.click(screen.getByRole('button', { name: '登录' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('尝试次数过多\uff0c请在 15分钟后重试。');
  });

  it('offers Google only when the server has it', async () => {
    server({}, { oidc: true, mode: 'open' });
    renderAt('/signin?next=%2Frankings', ROUTES);
    const button = await screen.findByRole('link', { name: 'Continue with Google' });
    expect(button).toHaveAttribute('href', '/api/auth/google?next=%2Frankings');
  });

  it('has no Google button when the server has none', async () => {
    const seen = server({});
    renderAt('/signin', ROUTES);
    await screen.findByRole('button', { name: 'Sign in' });
    await waitFor(() => expect(seen.some((call) => call.path === '/api/auth/options')).toBe(true));
    expect(screen.queryByText(/Continue with/)).toBeNull();
  });
});

describe('sign-up', () => {
  it('creates the account in the page language and goes back', async () => {
    await i18n.changeLanguage('zh-CN');
    const seen = server({
      'POST /api/auth/signup': () => {
        document.cookie = 'my_csrf=fresh; path=/';
        return json(201, { user: USER });
      },
      'PATCH /api/user/preferences': () => json(200, { language: 'zh-CN', theme: 'system' }),
    });
    const { router } = renderAt('/signup?next=%2Frankings', ROUTES);
    await userEvent.type(await screen.findByLabelText(/邮箱/), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/^密码/, { selector: 'input' }), 'correct-horse-battery');
    await userEvent.click(screen.getByRole('button', { name: '创建账户' }));
    expect(await screen.findByText('rankings page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/rankings');
    expect(seen.find((call) => call.path === '/api/auth/signup')?.body).toMatchObject({ email: 'ann@example.com' });
    expect(seen.find((call) => call.method === 'PATCH')?.body).toEqual({ language: 'zh-CN' });
  });

  it('shows a password rule from the server at the password field', async () => {
    server({
      'POST /api/auth/signup': () =>
        json(400, { error: { code: 400, message: 'password must use at least 4 different characters', metadata: { field: 'password' } } }),
    });
    renderAt('/signup', ROUTES);
    await userEvent.type(await screen.findByLabelText(/email/i), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/^password/i, { selector: 'input' }), 'aaaaaaaaaaaa');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('password must use at least 4 different characters')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says when the email is taken', async () => {
    server({
      'POST /api/auth/signup': () =>
        json(409, { error: { code: 409, message: 'a user with email ann@example.com already exists', metadata: { field: 'email' } } }),
    });
    renderAt('/signup', ROUTES);
    await userEvent.type(await screen.findByLabelText(/email/i), 'ann@example.com');
    await userEvent.type(screen.getByLabelText(/^password/i, { selector: 'input' }), 'correct-horse-battery');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('An account with this email already exists');
  });

  it('asks for an invite code when sign-up needs one, and says when it is closed', async () => {
    server({}, { oidc: false, mode: 'invite' });
    const first = renderAt('/signup', ROUTES);
    expect(await screen.findByLabelText(/invite code/i)).toBeInTheDocument();
    first.unmount();
    server({}, { oidc: false, mode: 'closed' });
    renderAt('/signup', ROUTES);
    expect(await screen.findByText(/Sign-up is closed on this server/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Create account' })).toBeNull();
  });
});
