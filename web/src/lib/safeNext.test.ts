import { describe, expect, it } from 'vitest';

import { currentPath, safeNext } from './safeNext';

describe('safeNext', () => {
  it('keeps paths on this site, with their query and fragment', () => {
    expect(safeNext('/models')).toBe('/models');
    expect(safeNext('/models/openai/gpt-4o?tab=providers#top')).toBe('/models/openai/gpt-4o?tab=providers#top');
    expect(safeNext('/rankings?period=week')).toBe('/rankings?period=week');
  });

  it('refuses other sites and tricks that lead there', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      ' /models',
      '/models\n',
      'models',
      '/%0d%0a',
    ]) {
      expect(safeNext(bad), bad).toBe(bad === '/%0d%0a' ? '/%0d%0a' : '/');
    }
  });

  it('never goes back to a sign-in page or into the API', () => {
    expect(safeNext('/signin')).toBe('/');
    expect(safeNext('/signup?next=/x')).toBe('/');
    expect(safeNext('/api/auth/me')).toBe('/');
    expect(safeNext('/v1/models')).toBe('/');
    expect(safeNext('/signing-off')).toBe('/signing-off');
  });

  it('falls back when there is nothing', () => {
    expect(safeNext(null)).toBe('/');
    expect(safeNext('', '/models')).toBe('/models');
    expect(safeNext(`/${'a'.repeat(3000)}`)).toBe('/');
  });

  it('writes the current location', () => {
    expect(currentPath({ pathname: '/models', search: '?q=x', hash: '' })).toBe('/models?q=x');
  });
});
