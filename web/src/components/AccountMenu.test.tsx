import { describe, expect, it } from 'vitest';

import { initials, signInLink } from './AccountMenu';

describe('the sign-in link', () => {
  it('comes back to the page it was followed from', () => {
    expect(signInLink({ pathname: '/models', search: '?q=llama', hash: '' })).toBe('/signin?next=%2Fmodels%3Fq%3Dllama');
  });

  it('keeps where a sign-in page was going to send the user', () => {
    expect(signInLink({ pathname: '/signup', search: '?next=%2Frankings' })).toBe('/signin?next=%2Frankings');
    expect(signInLink({ pathname: '/signin', search: '' })).toBe('/signin');
  });
});

describe('initials', () => {
  it('come from the name, else the email', () => {
    expect(initials({ display_name: 'Ann Lee', email: 'x@example.com' })).toBe('AL');
    expect(initials({ display_name: null, email: 'ann.lee@example.com' })).toBe('AL');
    expect(initials({ display_name: '  ', email: 'bo@example.com' })).toBe('BE');
  });
});
