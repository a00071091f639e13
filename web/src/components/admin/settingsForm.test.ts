import { describe, expect, it } from 'vitest';

import { siteSettings } from './fixtures';
import { formFromValues, settingsPatch, validateSettings, withResets } from './settingsForm';

describe('site settings form', () => {
  const settings = siteSettings();
  const form = formFromValues(settings.values);

  it('starts from the values in effect and sends nothing unchanged', () => {
    expect(form.smtp_port).toBe('25');
    expect(form.catalog_sync_interval_seconds).toBe('');
    expect(validateSettings(form, settings)).toEqual({});
    expect(settingsPatch(form, settings)).toEqual({});
  });

  it('sends what changed, in the API types', () => {
    const patch = settingsPatch(
      { ...form, signup_mode: 'closed', smtp_port: '587', catalog_sync_interval_seconds: '3600', low_balance_threshold: '2.50' },
      settings,
    );
    expect(patch).toEqual({ signup_mode: 'closed', smtp_port: 587, catalog_sync_interval_seconds: 3600, low_balance_threshold: '2.50' });
    // The same amount written another way is no change.
    expect(settingsPatch({ ...form, low_balance_threshold: '1.00' }, settings)).toEqual({});
  });

  it('refuses what the server would', () => {
    const errors = validateSettings(
      {
        ...form,
        smtp_port: '70000',
        low_balance_threshold: '-1',
        catalog_sync_interval_seconds: '0.5',
        catalog_sync_url: 'ftp://example.com',
        smtp_from: 'nobody',
        oidc_provider_name: ' ',
      },
      settings,
    );
    expect(errors).toEqual({
      smtp_port: 'port',
      low_balance_threshold: 'usd',
      catalog_sync_interval_seconds: 'interval',
      catalog_sync_url: 'url',
      smtp_from: 'address',
      oidc_provider_name: 'name',
    });
    expect(validateSettings({ ...form, low_balance_threshold: '1.0000000001' }, settings)).toEqual({ low_balance_threshold: 'usd' });
  });

  it('pairs SMTP usernames with passwords and client ids with secrets', () => {
    expect(validateSettings({ ...form, smtp_username: 'mailer' }, settings)).toEqual({ smtp_password: 'needsPassword' });
    expect(validateSettings({ ...form, smtp_username: 'mailer', smtp_password: 'pw' }, settings)).toEqual({});
    expect(validateSettings({ ...form, smtp_password: 'pw' }, settings)).toEqual({ smtp_username: 'needsUsername' });
    expect(validateSettings({ ...form, oidc_client_id: 'abc' }, settings)).toEqual({ oidc_client_secret: 'needsSecret' });
    const stored = siteSettings({ oidc_client_id: 'abc', oidc_client_secret_set: true });
    // A stored secret counts: the id alone may change.
    expect(validateSettings({ ...formFromValues(stored.values), oidc_client_id: 'xyz' }, stored)).toEqual({});
  });

  it('keeps stored secrets unless a new one is typed, and clears them with their pair', () => {
    const stored = siteSettings({ smtp_host: 'mail', smtp_username: 'mailer', smtp_password_set: true, oidc_client_id: 'abc', oidc_client_secret_set: true });
    const current = formFromValues(stored.values);
    expect(current.smtp_password).toBe('');
    expect(settingsPatch(current, stored)).toEqual({});
    expect(settingsPatch({ ...current, smtp_password: ' spaced pw ' }, stored)).toEqual({ smtp_password: ' spaced pw ' });
    expect(settingsPatch({ ...current, smtp_username: '', oidc_client_id: '' }, stored)).toEqual({
      smtp_username: null,
      smtp_password: null,
      oidc_client_id: null,
      oidc_client_secret: null,
    });
  });

  it('returns settings to the environment with a reset, showing its value', () => {
    const changed = siteSettings({ signup_mode: 'closed', low_balance_threshold: '5' }, { signup_mode: 'site', low_balance_threshold: 'site' });
    const current = formFromValues(changed.values);
    const resets = new Set(['signup_mode'] as const);
    expect(withResets(current, changed, resets).signup_mode).toBe('open');
    expect(settingsPatch(withResets(current, changed, resets), changed, resets)).toEqual({ reset: ['signup_mode'] });
  });
});
