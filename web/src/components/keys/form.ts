// The create and edit dialogs' form: its values, their checks, and the API bodies they become (an edit sends
// only what changed; a cleared field sends null, which removes the limit, expiry or restriction).
import dayjs from 'dayjs';

import type { ApiKey, KeyChange, KeyCreate, ResetPeriod } from '../../api/keys';
import { usdToNanos } from '../../lib/format';
import { parseUsdInput } from '../credits/usdInput';

export const MAX_NAME_CHARS = 200;
export const MAX_RATE = 1_000_000_000;
/** DateTimePicker's value: a local date and time. */
export const LOCAL_DATE_TIME = 'YYYY-MM-DD HH:mm:ss';

export type LimitReset = ResetPeriod | 'never';

export interface KeyFormValues {
  name: string;
  /** USD as typed; empty: no limit. */
  limit: string;
  limitReset: LimitReset;
  /** Local "2027-01-31 18:00:00"; null: never expires. */
  expiresAt: string | null;
  allowedModels: string[];
  allowedIps: string[];
  /** Empty: no limit. */
  rpm: number | string;
  tpm: number | string;
}

export type KeyFormField = 'name' | 'limit' | 'expires_at' | 'allowed_models' | 'allowed_ips' | 'rpm_limit' | 'tpm_limit';
export type KeyFormErrors = Partial<Record<KeyFormField, string>>;
/** Translation keys of the form's own checks. */
export type KeyFormProblem =
  | 'keys.form.errors.name'
  | 'keys.form.errors.limit'
  | 'keys.form.errors.expiry'
  | 'keys.form.errors.rate'
  | 'keys.form.errors.models';

export const EMPTY_FORM: KeyFormValues = {
  name: '',
  limit: '',
  limitReset: 'never',
  expiresAt: null,
  allowedModels: [],
  allowedIps: [],
  rpm: '',
  tpm: '',
};

export function formFromKey(key: ApiKey): KeyFormValues {
  return {
    name: key.name,
    limit: key.limit ?? '',
    limitReset: key.limit_reset ?? 'never',
    expiresAt: key.expires_at ? dayjs(key.expires_at).format(LOCAL_DATE_TIME) : null,
    allowedModels: [...key.allowed_models],
    allowedIps: [...key.allowed_ips],
    rpm: key.rpm_limit ?? '',
    tpm: key.tpm_limit ?? '',
  };
}

/** A local date-time from the picker as an ISO instant ("2027-01-31T17:00:00.000Z"); null when empty. */
export function expiryInstant(local: string | null): string | null {
  if (local === null || local.trim() === '') {
    return null;
  }
  const parsed = dayjs(local);
  return parsed.isValid() ? parsed.toDate().toISOString() : null;
}

function rate(value: number | string): number | null {
  if (value === '' || value === null) {
    return null;
  }
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : Number.NaN;
}

/** The form's problems by field (translation keys); empty when it can be sent. */
export function checkForm(values: KeyFormValues, now: Date = new Date()): Partial<Record<KeyFormField, KeyFormProblem>> {
  const problems: Partial<Record<KeyFormField, KeyFormProblem>> = {};
  const name = values.name.trim();
  if (name === '' || name.length > MAX_NAME_CHARS) {
    problems.name = 'keys.form.errors.name';
  }
  if (values.limit.trim() !== '' && parseUsdInput(values.limit) === null) {
    problems.limit = 'keys.form.errors.limit';
  }
  const expiry = expiryInstant(values.expiresAt);
  if (values.expiresAt !== null && values.expiresAt !== '' && (expiry === null || new Date(expiry) <= now)) {
    problems.expires_at = 'keys.form.errors.expiry';
  }
  for (const [field, value] of [
    ['rpm_limit', values.rpm],
    ['tpm_limit', values.tpm],
  ] as const) {
    const number = rate(value);
    if (number !== null && !(Number.isInteger(number) && number >= 1 && number <= MAX_RATE)) {
      problems[field] = 'keys.form.errors.rate';
    }
  }
  if (values.allowedModels.some((model) => /\s/.test(model.trim()) || model.trim() === '')) {
    problems.allowed_models = 'keys.form.errors.models';
  }
  return problems;
}

export function createBody(values: KeyFormValues): KeyCreate {
  const limit = values.limit.trim() === '' ? null : parseUsdInput(values.limit);
  return {
    name: values.name.trim(),
    limit,
    limit_reset: limit === null || values.limitReset === 'never' ? null : values.limitReset,
    expires_at: expiryInstant(values.expiresAt),
    allowed_models: values.allowedModels.map((model) => model.trim()),
    allowed_ips: values.allowedIps.map((ip) => ip.trim()),
    rpm_limit: rate(values.rpm),
    tpm_limit: rate(values.tpm),
    is_management: false,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** The PATCH body of an edit: only the fields that differ from the key. */
export function changeBody(key: ApiKey, values: KeyFormValues): KeyChange {
  const next = createBody(values);
  const change: KeyChange = {};
  if (next.name !== key.name) {
    change.name = next.name;
  }
  const limit = next.limit ?? null;
  const sameLimit = limit === null ? key.limit === null : key.limit !== null && usdToNanos(key.limit) === usdToNanos(limit);
  if (!sameLimit) {
    change.limit = limit;
  }
  const reset = next.limit_reset ?? null;
  if (reset !== key.limit_reset && (limit !== null || key.limit !== null)) {
    change.limit_reset = reset;
  }
  const expires = next.expires_at ?? null;
  const keyExpires = key.expires_at === null ? null : new Date(key.expires_at).getTime();
  // The picker keeps whole seconds: a difference below one is no change.
  if ((expires === null) !== (keyExpires === null) || (expires !== null && keyExpires !== null && Math.abs(new Date(expires).getTime() - keyExpires) >= 1000)) {
    change.expires_at = expires;
  }
  if (!sameList(next.allowed_models ?? [], key.allowed_models)) {
    change.allowed_models = next.allowed_models ?? [];
  }
  if (!sameList(next.allowed_ips ?? [], key.allowed_ips)) {
    change.allowed_ips = next.allowed_ips ?? [];
  }
  if ((next.rpm_limit ?? null) !== key.rpm_limit) {
    change.rpm_limit = next.rpm_limit ?? null;
  }
  if ((next.tpm_limit ?? null) !== key.tpm_limit) {
    change.tpm_limit = next.tpm_limit ?? null;
  }
  return change;
}

/** The API field a server refusal names, as a form field (or null for the form as a whole). */
export function formField(field: string | null): KeyFormField | null {
  const fields: readonly KeyFormField[] = ['name', 'limit', 'expires_at', 'allowed_models', 'allowed_ips', 'rpm_limit', 'tpm_limit'];
  if (field === 'limit_reset') {
    return 'limit';
  }
  return field !== null && (fields as readonly string[]).includes(field) ? (field as KeyFormField) : null;
}
