// URL search parameters as the single source of truth for a page's filters, sort, page number and tab: a
// reload, the back button and a shared link all show the same view.
//
//   const [state, setState] = useUrlState({ q: '', sort: 'popular', page: 1, free: false, input: [] as string[] });
//   setState({ q: 'llama', page: 1 }, { replace: true });   // while typing: no history entry per key
//
// The type of each default decides how its parameter is read: number, boolean ("1"/"true"), string, or string[]
// (comma-separated). A value equal to its default is left out of the URL; parameters not named are kept.
import { useCallback, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router';

export type UrlValue = string | number | boolean | readonly string[];
export type UrlStateShape = Record<string, UrlValue>;
export interface SetUrlStateOptions {
  /** Replace the current history entry instead of adding one (typing in a search box). */
  replace?: boolean;
}
type Widen<T> = { [K in keyof T]: T[K] extends string ? string : T[K] extends number ? number : T[K] extends boolean ? boolean : T[K] };

function parse(raw: string | null, fallback: UrlValue): UrlValue {
  if (raw === null) {
    return fallback;
  }
  if (typeof fallback === 'number') {
    const value = Number(raw);
    return raw.trim() !== '' && Number.isFinite(value) ? value : fallback;
  }
  if (typeof fallback === 'boolean') {
    if (raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    return fallback;
  }
  if (Array.isArray(fallback)) {
    return raw === '' ? [] : raw.split(',').filter((item) => item !== '');
  }
  return raw;
}

function serialize(value: UrlValue): string {
  if (Array.isArray(value)) {
    return value.join(',');
  }
  if (typeof value === 'boolean') {
    return value ? '1' : '0';
  }
  return String(value);
}

function same(a: UrlValue, b: UrlValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => item === b[i]);
  }
  return a === b;
}

export function readUrlState<T extends UrlStateShape>(params: URLSearchParams, defaults: T): Widen<T> {
  const state: Record<string, UrlValue> = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    state[name] = parse(params.get(name), fallback);
  }
  return state as Widen<T>;
}

export function writeUrlState<T extends UrlStateShape>(params: URLSearchParams, defaults: T, patch: Partial<Widen<T>>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(patch) as [string, UrlValue | undefined][]) {
    const fallback = defaults[name];
    if (value === undefined || (fallback !== undefined && same(value, fallback))) {
      next.delete(name);
    } else {
      next.set(name, serialize(value));
    }
  }
  return next;
}

export function useUrlState<T extends UrlStateShape>(
  defaults: T,
): [Widen<T>, (patch: Partial<Widen<T>>, options?: SetUrlStateOptions) => void] {
  const [params, setParams] = useSearchParams();
  // Callers pass a literal; its content, not its identity, is what matters.
  const key = JSON.stringify(defaults);
  const stableDefaults = useMemo(() => JSON.parse(key) as T, [key]);
  const state = useMemo(() => readUrlState(params, stableDefaults), [params, stableDefaults]);
  // The parameters as last written: two updates in one event both apply (the router's own value only
  // changes at the next render).
  const latest = useRef(params);
  latest.current = params;
  const setState = useCallback(
    (patch: Partial<Widen<T>>, options: SetUrlStateOptions = {}) => {
      const next = writeUrlState(latest.current, stableDefaults, patch);
      latest.current = next;
      setParams(next, { replace: options.replace ?? false });
    },
    [setParams, stableDefaults],
  );
  return [state, setState];
}
