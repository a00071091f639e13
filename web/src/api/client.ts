// The one way the web app reaches the server: an openapi-fetch client typed from the API's OpenAPI document.
// Sessions live in httpOnly cookies the browser sends by itself; no token is ever read or kept by this code.
// A change (POST, PUT, PATCH, DELETE) echoes the readable CSRF cookie in a header (double submit), and a 401
// on a session that can be refreshed refreshes it once and tries again.
import createClient from 'openapi-fetch';

import type { paths } from './schema';

export const CSRF_COOKIE = 'my_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REFRESH_PATH = '/api/auth/refresh';
// A 401 from these means "wrong credentials" or "no session", never "refresh and try again".
const NO_REFRESH = new Set(['/api/auth/login', '/api/auth/signup', REFRESH_PATH]);

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      return decodeURIComponent(rest.join('='));
    }
  }
  return null;
}

function withCsrf(request: Request): Request {
  if (UNSAFE_METHODS.has(request.method.toUpperCase())) {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) {
      request.headers.set(CSRF_HEADER, csrf);
    }
  }
  return request;
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, whatever the number of requests that found their access token expired. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch(REFRESH_PATH, {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json', [CSRF_HEADER]: readCookie(CSRF_COOKIE) ?? '' },
        body: '{}',
      });
      return response.ok;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function apiFetch(request: Request): Promise<Response> {
  const again = request.clone();
  const response = await fetch(withCsrf(request));
  const path = new URL(request.url).pathname;
  // No CSRF cookie: this browser has no session, so there is nothing to refresh.
  if (response.status !== 401 || NO_REFRESH.has(path) || readCookie(CSRF_COOKIE) === null) {
    return response;
  }
  if (!(await refreshSession())) {
    return response;
  }
  // The refresh set a new CSRF cookie: read it again.
  return fetch(withCsrf(again));
}

export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  credentials: 'include',
  fetch: apiFetch,
});
