import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createMemoryRouter, RouterProvider, useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';

import { readUrlState, useUrlState, writeUrlState } from './useUrlState';

const DEFAULTS = { q: '', sort: 'popular', page: 1, free: false, input: [] as string[] };

function setup(url: string) {
  let location = { pathname: '', search: '' };
  let result: ReturnType<typeof useUrlState<typeof DEFAULTS>> | undefined;
  function Probe() {
    result = useUrlState(DEFAULTS);
    const current = useLocation();
    location = { pathname: current.pathname, search: current.search };
    return null;
  }
  const router = createMemoryRouter([{ path: '*', element: <Probe /> }], { initialEntries: [url] });
  renderHook(() => null, { wrapper: ({ children }: { children: ReactNode }) => <><RouterProvider router={router} />{children}</> });
  return {
    router,
    state: () => result![0],
    set: (...args: Parameters<NonNullable<typeof result>[1]>) => act(() => result![1](...args)),
    setter: () => result![1],
    location: () => location,
  };
}

describe('useUrlState', () => {
  it('reads typed values from the URL, defaults for the rest', () => {
    const view = setup('/models?q=llama&page=3&free=1&input=text,image&other=x');
    expect(view.state()).toEqual({ q: 'llama', sort: 'popular', page: 3, free: true, input: ['text', 'image'] });
  });

  it('ignores values that do not parse', () => {
    const view = setup('/models?page=abc&free=maybe');
    expect(view.state().page).toBe(1);
    expect(view.state().free).toBe(false);
  });

  it('writes changes to the URL, leaves defaults out and keeps unrelated parameters', () => {
    const view = setup('/models?other=x&page=2');
    view.set({ q: 'gpt', page: 1 });
    expect(view.location().search).toBe('?other=x&q=gpt');
    expect(view.state()).toMatchObject({ q: 'gpt', page: 1 });
    view.set({ input: ['image', 'audio'], free: true });
    expect(new URLSearchParams(view.location().search).get('input')).toBe('image,audio');
    expect(view.state().free).toBe(true);
  });

  it('applies two updates made in one event', () => {
    const view = setup('/models');
    const set = view.setter();
    act(() => {
      // One event, two calls: the second must not undo the first.
      set({ sort: 'price' });
      set({ page: 4 });
    });
    expect(view.state()).toMatchObject({ sort: 'price', page: 4 });
    expect(view.location().search).toBe('?sort=price&page=4');
  });

  it('adds history entries unless told to replace', () => {
    const view = setup('/models');
    view.set({ page: 2 });
    view.set({ q: 'a' }, { replace: true });
    act(() => {
      void view.router.navigate(-1);
    });
    expect(view.location().search).toBe('');
  });
});

describe('readUrlState / writeUrlState', () => {
  it('round-trip', () => {
    const params = writeUrlState(new URLSearchParams(), DEFAULTS, { q: 'a b', page: 2, input: ['x'] });
    expect(params.toString()).toBe('q=a+b&page=2&input=x');
    expect(readUrlState(params, DEFAULTS)).toEqual({ q: 'a b', sort: 'popular', page: 2, free: false, input: ['x'] });
  });
});
