// The site settings form: its values as typed, what the server would refuse (checked here first, with the
// same rules), and the PATCH that saves exactly what changed. Secrets are write-only: a blank box keeps the
// stored one; clearing the SMTP username or the client id clears its secret too (they go together).
import type { SettingName, SiteSettings, SiteSettingsPatch, SiteValues } from '../../api/admin';

export type SignupMode = SiteValues['signup_mode'];
export const SIGNUP_MODES: readonly SignupMode[] = ['open', 'invite', 'closed'];

export interface SettingsForm {
  signup_mode: SignupMode;
  oidc_client_id: string;
  /** A new secret; blank keeps the stored one. */
  oidc_client_secret: string;
  oidc_discovery_url: string;
  oidc_provider_name: string;
  oidc_link_verified_email: boolean;
  smtp_host: string;
  smtp_port: string;
  smtp_username: string;
  /** A new password; blank keeps the stored one. */
  smtp_password: string;
  smtp_starttls: boolean;
  smtp_from: string;
  /** USD. */
  low_balance_threshold: string;
  /** Seconds; blank: no scheduled sync. */
  catalog_sync_interval_seconds: string;
  catalog_sync_url: string;
}

export type FormField = keyof SettingsForm;
export type FieldError =
  | 'required'
  | 'port'
  | 'usd'
  | 'interval'
  | 'url'
  | 'address'
  | 'name'
  | 'needsPassword'
  | 'needsUsername'
  | 'needsSecret'
  | 'needsClientId';

export const SECRET_FIELDS = ['oidc_client_secret', 'smtp_password'] as const;

/** The form as the values in effect (or the environment's, for a setting about to be reset) show it. */
export function formFromValues(values: SiteValues): SettingsForm {
  return {
    signup_mode: values.signup_mode,
    oidc_client_id: values.oidc_client_id ?? '',
    oidc_client_secret: '',
    oidc_discovery_url: values.oidc_discovery_url,
    oidc_provider_name: values.oidc_provider_name,
    oidc_link_verified_email: values.oidc_link_verified_email,
    smtp_host: values.smtp_host ?? '',
    smtp_port: String(values.smtp_port),
    smtp_username: values.smtp_username ?? '',
    smtp_password: '',
    smtp_starttls: values.smtp_starttls,
    smtp_from: values.smtp_from,
    low_balance_threshold: values.low_balance_threshold,
    catalog_sync_interval_seconds: values.catalog_sync_interval_seconds === null ? '' : String(values.catalog_sync_interval_seconds),
    catalog_sync_url: values.catalog_sync_url,
  };
}

const USD = /^(\d+(\.\d{0,9})?|\.\d{1,9})$/;
const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;

function isUsd(text: string): boolean {
  return USD.test(text.trim());
}

/** Whether a secret will be set once saved: typed now, else stored (unless reset or cleared with its pair). */
function secretAfterSave(
  typed: string,
  stored: boolean,
  environment: boolean,
  isReset: boolean,
  isCleared: boolean,
): boolean {
  if (typed !== '') {
    return true;
  }
  if (isReset) {
    return environment;
  }
  return stored && !isCleared;
}

/** What the server would refuse, per field. `resets` are settings about to return to the environment. */
export function validateSettings(
  form: SettingsForm,
  settings: SiteSettings,
  resets: ReadonlySet<SettingName> = new Set(),
): Partial<Record<FormField, FieldError>> {
  const errors: Partial<Record<FormField, FieldError>> = {};
  const port = form.smtp_port.trim();
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    errors.smtp_port = 'port';
  }
  if (!isUsd(form.low_balance_threshold)) {
    errors.low_balance_threshold = 'usd';
  }
  const interval = form.catalog_sync_interval_seconds.trim();
  if (interval !== '' && (!/^\d+(\.\d+)?$/.test(interval) || Number(interval) < 1)) {
    errors.catalog_sync_interval_seconds = 'interval';
  }
  for (const field of ['oidc_discovery_url', 'catalog_sync_url'] as const) {
    if (!HTTP_URL.test(form[field].trim())) {
      errors[field] = 'url';
    }
  }
  if (!form.smtp_from.includes('@') || /[\r\n]/.test(form.smtp_from)) {
    errors.smtp_from = 'address';
  }
  const name = form.oidc_provider_name.trim();
  if (name === '' || name.length > 60) {
    errors.oidc_provider_name = 'name';
  }
  const username = form.smtp_username.trim();
  const password = secretAfterSave(
    form.smtp_password,
    settings.values.smtp_password_set,
    settings.environment.smtp_password_set,
    resets.has('smtp_password'),
    username === '',
  );
  if (username !== '' && !password) {
    errors.smtp_password = 'needsPassword';
  } else if (username === '' && form.smtp_password !== '') {
    errors.smtp_username = 'needsUsername';
  }
  const clientId = form.oidc_client_id.trim();
  const secret = secretAfterSave(
    form.oidc_client_secret,
    settings.values.oidc_client_secret_set,
    settings.environment.oidc_client_secret_set,
    resets.has('oidc_client_secret'),
    clientId === '',
  );
  if (clientId !== '' && !secret) {
    errors.oidc_client_secret = 'needsSecret';
  } else if (clientId === '' && form.oidc_client_secret !== '') {
    errors.oidc_client_id = 'needsClientId';
  }
  return errors;
}

function nullable(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

/** The PATCH body saving what differs from the values in effect; empty when nothing does. */
export function settingsPatch(form: SettingsForm, settings: SiteSettings, resets: ReadonlySet<SettingName> = new Set()): SiteSettingsPatch {
  const now = settings.values;
  const patch: SiteSettingsPatch = {};
  const set = (name: SettingName, value: string | number | boolean | null, current: unknown) => {
    if (!resets.has(name) && value !== current) {
      (patch as Record<string, unknown>)[name] = value;
    }
  };
  set('signup_mode', form.signup_mode, now.signup_mode);
  set('oidc_client_id', nullable(form.oidc_client_id), now.oidc_client_id);
  set('oidc_discovery_url', form.oidc_discovery_url.trim(), now.oidc_discovery_url);
  set('oidc_provider_name', form.oidc_provider_name.trim(), now.oidc_provider_name);
  set('oidc_link_verified_email', form.oidc_link_verified_email, now.oidc_link_verified_email);
  set('smtp_host', nullable(form.smtp_host), now.smtp_host);
  set('smtp_port', Number(form.smtp_port.trim()), now.smtp_port);
  set('smtp_username', nullable(form.smtp_username), now.smtp_username);
  set('smtp_starttls', form.smtp_starttls, now.smtp_starttls);
  set('smtp_from', form.smtp_from.trim(), now.smtp_from);
  const threshold = form.low_balance_threshold.trim();
  if (!resets.has('low_balance_threshold') && isUsd(threshold) && !sameUsd(threshold, now.low_balance_threshold)) {
    patch.low_balance_threshold = threshold;
  }
  const interval = form.catalog_sync_interval_seconds.trim();
  set('catalog_sync_interval_seconds', interval === '' ? null : Number(interval), now.catalog_sync_interval_seconds);
  set('catalog_sync_url', form.catalog_sync_url.trim(), now.catalog_sync_url);
  // Secrets: a typed one is sent; clearing the name it belongs to clears it too.
  if (!resets.has('smtp_password')) {
    if (form.smtp_password !== '') {
      patch.smtp_password = form.smtp_password;
    } else if (nullable(form.smtp_username) === null && now.smtp_password_set) {
      patch.smtp_password = null;
    }
  }
  if (!resets.has('oidc_client_secret')) {
    if (form.oidc_client_secret !== '') {
      patch.oidc_client_secret = form.oidc_client_secret;
    } else if (nullable(form.oidc_client_id) === null && now.oidc_client_secret_set) {
      patch.oidc_client_secret = null;
    }
  }
  if (resets.size > 0) {
    patch.reset = [...resets];
  }
  return patch;
}

function sameUsd(a: string, b: string): boolean {
  const normalize = (value: string) => {
    const [whole = '0', fraction = ''] = value.replace(/^\./, '0.').split('.');
    return `${whole.replace(/^0+(?=\d)/, '')}.${fraction.replace(/0+$/, '')}`;
  };
  return normalize(a) === normalize(b);
}

export function isEmptyPatch(patch: SiteSettingsPatch): boolean {
  return Object.keys(patch).length === 0;
}

/** The settings whose form fields map to one API setting each (secrets included). */
export const FIELD_SETTING: Record<FormField, SettingName> = {
  signup_mode: 'signup_mode',
  oidc_client_id: 'oidc_client_id',
  oidc_client_secret: 'oidc_client_secret',
  oidc_discovery_url: 'oidc_discovery_url',
  oidc_provider_name: 'oidc_provider_name',
  oidc_link_verified_email: 'oidc_link_verified_email',
  smtp_host: 'smtp_host',
  smtp_port: 'smtp_port',
  smtp_username: 'smtp_username',
  smtp_password: 'smtp_password',
  smtp_starttls: 'smtp_starttls',
  smtp_from: 'smtp_from',
  low_balance_threshold: 'low_balance_threshold',
  catalog_sync_interval_seconds: 'catalog_sync_interval_seconds',
  catalog_sync_url: 'catalog_sync_url',
};

/** The form field a value about to be reset shows: the environment's. */
export function withResets(form: SettingsForm, settings: SiteSettings, resets: ReadonlySet<SettingName>): SettingsForm {
  const environment = formFromValues(settings.environment);
  const next = { ...form };
  for (const [field, setting] of Object.entries(FIELD_SETTING) as [FormField, SettingName][]) {
    if (resets.has(setting)) {
      (next as Record<FormField, unknown>)[field] = environment[field];
    }
  }
  return next;
}
