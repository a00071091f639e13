// Where to go after signing in or up: a path on this site only (never another site: an open redirect), and
// never back to a sign-in page or into the API.

const AUTH_PAGES = ['/signin', '/signup'];
const API_PREFIXES = ['/api', '/v1', '/docs', '/redoc', '/openapi.json'];
const MAX_LENGTH = 2000;

export function safeNext(value: string | null | undefined, fallback = '/'): string {
  if (!value || value.length > MAX_LENGTH) {
    return fallback;
  }
  // Only a path: not "//host", not "/\\host" (browsers read it as //host), no scheme, no control characters.
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\u0000-\u0020\u007f]/.test(value)) {
    return fallback;
  }
  let url: URL;
  try {
    url = new URL(value, 'http://same.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://same.invalid') {
    return fallback;
  }
  const path = url.pathname;
  const inside = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (AUTH_PAGES.some(inside) || API_PREFIXES.some(inside)) {
    return fallback;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The current page as a `next` value. */
export function currentPath(location: { pathname: string; search: string; hash?: string }): string {
  return `${location.pathname}${location.search}${location.hash ?? ''}`;
}
