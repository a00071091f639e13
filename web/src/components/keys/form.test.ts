import { describe, expect, it } from 'vitest';

import { apiKey } from './fixtures';
import { changeBody, checkForm, createBody, EMPTY_FORM, expiryInstant, formField, formFromKey } from './form';

describe('the key form', () => {
  it('turns into a create body: empty fields are no limits', () => {
    expect(createBody({ ...EMPTY_FORM, name: '  laptop ' })).toEqual({
      name: 'laptop',
      limit: null,
      limit_reset: null,
      expires_at: null,
      allowed_models: [],
      allowed_ips: [],
      rpm_limit: null,
      tpm_limit: null,
      is_management: false,
    });
    const body = createBody({
      ...EMPTY_FORM,
      name: 'ci',
      limit: '$2.50',
      limitReset: 'weekly',
      expiresAt: '2099-01-31 18:00:00',
      allowedModels: ['openai/*'],
      allowedIps: ['10.0.0.0/8'],
      rpm: 60,
      tpm: '100000',
    });
    expect(body).toMatchObject({ limit: '2.50', limit_reset: 'weekly', allowed_models: ['openai/*'], rpm_limit: 60, tpm_limit: 100000 });
    // The picker's local time, sent as the instant it is.
    expect(body.expires_at).toBe(new Date(2099, 0, 31, 18, 0, 0).toISOString());
    // A reset period without a limit means nothing.
    expect(createBody({ ...EMPTY_FORM, name: 'x', limitReset: 'daily' }).limit_reset).toBeNull();
  });

  it('checks what the server would refuse', () => {
    const now = new Date(2026, 10, 30, 12, 0, 0);
    expect(checkForm({ ...EMPTY_FORM, name: 'ok' }, now)).toEqual({});
    expect(
      checkForm({ ...EMPTY_FORM, name: ' ', limit: '1.0000000001', expiresAt: '2026-11-29 12:00:00', rpm: 1.5, tpm: 0, allowedModels: ['open ai'] }, now),
    ).toEqual({
      name: 'keys.form.errors.name',
      limit: 'keys.form.errors.limit',
      expires_at: 'keys.form.errors.expiry',
      rpm_limit: 'keys.form.errors.rate',
      tpm_limit: 'keys.form.errors.rate',
      allowed_models: 'keys.form.errors.models',
    });
    expect(checkForm({ ...EMPTY_FORM, name: 'x', limit: '-1' }, now).limit).toBe('keys.form.errors.limit');
  });

  it('sends only what an edit changed, and null for what it cleared', () => {
    const key = apiKey(3, {
      name: 'server',
      limit: '5',
      limit_reset: 'daily',
      expires_at: '2099-01-01T00:00:00Z',
      allowed_models: ['openai/*'],
      allowed_ips: ['127.0.0.1'],
      rpm_limit: 10,
      tpm_limit: null,
    });
    const form = formFromKey(key);
    expect(changeBody(key, form)).toEqual({});
    // "5.00" is the same limit as "5".
    expect(changeBody(key, { ...form, limit: '5.00' })).toEqual({});
    expect(changeBody(key, { ...form, limit: '7.5', limitReset: 'monthly' })).toEqual({ limit: '7.5', limit_reset: 'monthly' });
    expect(changeBody(key, { ...form, limit: '' })).toEqual({ limit: null, limit_reset: null });
    expect(changeBody(key, { ...form, expiresAt: null, allowedModels: [], rpm: '', tpm: 500 })).toEqual({
      expires_at: null,
      allowed_models: [],
      rpm_limit: null,
      tpm_limit: 500,
    });
    expect(changeBody(key, { ...form, name: 'renamed', allowedIps: ['127.0.0.1', '10.0.0.1'] })).toEqual({
      name: 'renamed',
      allowed_ips: ['127.0.0.1', '10.0.0.1'],
    });
  });

  it('reads the picker value and the fields the server names', () => {
    expect(expiryInstant(null)).toBeNull();
    expect(expiryInstant('')).toBeNull();
    expect(expiryInstant('not a date')).toBeNull();
    expect(formField('allowed_ips')).toBe('allowed_ips');
    expect(formField('limit_reset')).toBe('limit');
    expect(formField('is_management')).toBeNull();
    expect(formField(null)).toBeNull();
  });
});
