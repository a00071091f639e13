import { afterEach, describe, expect, it, vi } from 'vitest';

import { api, readCookie } from './client';
import { ApiError, NetworkError, parseRetryAfter, unwrap } from './errors';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the API client', () => {
  it('sends the CSRF cookie back in a header on changes only, with cookies included', async () => {
    document.cookie = 'my_csrf=abc123; path=/';
    const seen: Request[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (request: Request) => {
        seen.push(request);
        return json(200, { ok: true });
      }),
    );
    await api.GET('/api/auth/me');
    await api.PATCH('/api/user/preferences', { body: { language: 'zh-CN' } });
    expect(seen[0]?.headers.get('X-CSRF-Token')).toBeNull();
    expect(seen[0]?.credentials).toBe('include');
    expect(seen[1]?.method).toBe('PATCH');
    expect(seen[1]?.headers.get('X-CSRF-Token')).toBe('abc123');
  });

  it('refreshes an expired session once and tries again with the new CSRF token', async () => {
    document.cookie = 'my_csrf=old; path=/';
    const calls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: Request | string, init?: RequestInit) => {
        const request = input instanceof Request ? input : new Request(new URL(input, window.location.origin), init);
        const path = new URL(request.url).pathname;
        calls.push(`${request.method} ${path} ${request.headers.get('X-CSRF-Token') ?? '-'}`);
        if (path === '/api/auth/refresh') {
          document.cookie = 'my_csrf=new; path=/';
          return json(200, {});
        }
        return calls.length === 1 ? json(401, { error: { code: 401, message: 'expired' } }) : json(200, { theme: 'dark' });
      }),
    );
    const result = await unwrap(api.PATCH('/api/user/preferences', { body: { theme: 'dark' } }));
    expect(result).toEqual({ theme: 'dark' });
    expect(calls).toEqual([
      'PATCH /api/user/preferences old',
      'POST /api/auth/refresh old',
      'PATCH /api/user/preferences new',
    ]);
  });

  it('does not refresh without a session, nor for a wrong password', async () => {
    const fetch = vi.fn(async () => json(401, { error: { code: 401, message: 'Wrong email or password' } }));
    vi.stubGlobal('fetch', fetch);
    await expect(unwrap(api.GET('/api/auth/me'))).rejects.toBeInstanceOf(ApiError);
    document.cookie = 'my_csrf=x; path=/';
    await expect(unwrap(api.POST('/api/auth/login', { body: { email: 'a@b.co', password: 'p' } }))).rejects.toMatchObject({
      status: 401,
      message: 'Wrong email or password',
    });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("turns the API's error shape into an ApiError with metadata and Retry-After", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json(
          429,
          { error: { code: 429, message: 'Too many failed sign-ins; try again later', metadata: { error_type: 'rate_limit_exceeded' } } },
          { 'Retry-After': '900' },
        ),
      ),
    );
    const error = await unwrap(api.POST('/api/auth/login', { body: { email: 'a@b.co', password: 'p' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 900, metadata: { error_type: 'rate_limit_exceeded' } });
  });

  it('reports an unreachable server as a NetworkError', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    await expect(unwrap(api.GET('/api/auth/me'))).rejects.toBeInstanceOf(NetworkError);
  });
});

describe('helpers', () => {
  it('read cookies by exact name', () => {
    expect(readCookie('my_csrf', 'a=1; my_csrf=x%3Dy; my_csrf_other=z')).toBe('x=y');
    expect(readCookie('missing', 'a=1')).toBeNull();
  });

  it('parse Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
