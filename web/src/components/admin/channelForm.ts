// The channel form: every field of a channel as typed, what the server would refuse, and the body that
// creates it or the PATCH that saves exactly what changed. Keys are write-only: the form never holds a stored
// key; a blank key box keeps the stored ones. Header values come back masked, so headers are replaced only
// when typed again (or removed on purpose).
import type { Channel, ChannelIn, ChannelOptions, ChannelPatch, ServedModel } from '../../api/admin';

export const PROVIDER_TYPES = ['openai', 'azure', 'anthropic', 'gemini'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
export const QUANTIZATIONS = ['int4', 'int8', 'fp4', 'fp6', 'fp8', 'fp16', 'bf16', 'fp32', 'unknown'] as const;
export const MIN_PROBE_INTERVAL_SECONDS = 5;
export const MAX_KEYS = 32;

export interface ModelRow {
  slug: string;
  /** Blank: the part of the slug after its author. */
  upstream_name: string;
}

export interface ChannelForm {
  name: string;
  provider: ProviderType;
  base_url: string;
  /** One key per line; blank when editing keeps the stored keys. */
  keys: string;
  models: ModelRow[];
  priority: string;
  weight: string;
  provider_slug: string | null;
  quantization: string | null;
  max_concurrency: string;
  timeout_seconds: string;
  first_byte_timeout_seconds: string;
  probe_enabled: boolean;
  probe_interval_seconds: string;
  probe_timeout_seconds: string;
  no_training: boolean;
  zdr: boolean;
  api_version: string;
  anthropic_version: string;
  stream_options: boolean;
  /** "Name: value" per line; blank when editing keeps the stored headers (unless clear_headers). */
  headers: string;
  clear_headers: boolean;
}

export type ChannelField = keyof ChannelForm | `models.${number}`;
export type ChannelError =
  | 'required'
  | 'url'
  | 'keys'
  | 'tooManyKeys'
  | 'models'
  | 'duplicate'
  | 'integer'
  | 'positiveInteger'
  | 'positive'
  | 'probeInterval'
  | 'headers';

const DEFAULTS = { probe_enabled: true, no_training: false, zdr: false, stream_options: true } as const;
type FlagOption = keyof typeof DEFAULTS;
const NUMBER_OPTIONS = [
  'max_concurrency',
  'timeout_seconds',
  'first_byte_timeout_seconds',
  'probe_interval_seconds',
  'probe_timeout_seconds',
] as const;

export function emptyChannelForm(): ChannelForm {
  return {
    name: '',
    provider: 'openai',
    base_url: '',
    keys: '',
    models: [{ slug: '', upstream_name: '' }],
    priority: '0',
    weight: '100',
    provider_slug: null,
    quantization: null,
    max_concurrency: '',
    timeout_seconds: '',
    first_byte_timeout_seconds: '',
    probe_enabled: true,
    probe_interval_seconds: '',
    probe_timeout_seconds: '',
    no_training: false,
    zdr: false,
    api_version: '',
    anthropic_version: '',
    stream_options: true,
    headers: '',
    clear_headers: false,
  };
}

function text(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : '';
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

export function formFromChannel(channel: Channel): ChannelForm {
  const options = channel.options;
  return {
    name: channel.name,
    provider: (PROVIDER_TYPES as readonly string[]).includes(channel.provider) ? (channel.provider as ProviderType) : 'openai',
    base_url: channel.base_url,
    keys: '',
    models: channel.models.map((m) => ({ slug: m.slug, upstream_name: m.upstream_name ?? '' })),
    priority: String(channel.priority),
    weight: String(channel.weight),
    provider_slug: channel.provider_slug,
    quantization: typeof options.quantization === 'string' ? options.quantization : null,
    max_concurrency: text(options.max_concurrency),
    timeout_seconds: text(options.timeout_seconds),
    first_byte_timeout_seconds: text(options.first_byte_timeout_seconds),
    probe_enabled: flag(options.probe_enabled, DEFAULTS.probe_enabled),
    probe_interval_seconds: text(options.probe_interval_seconds),
    probe_timeout_seconds: text(options.probe_timeout_seconds),
    no_training: flag(options.no_training, DEFAULTS.no_training),
    zdr: flag(options.zdr, DEFAULTS.zdr),
    api_version: text(options.api_version),
    anthropic_version: text(options.anthropic_version),
    stream_options: flag(options.stream_options, DEFAULTS.stream_options),
    headers: '',
    clear_headers: false,
  };
}

/** The stored headers' names (their values are never shown). */
export function storedHeaderNames(channel: Channel | null): string[] {
  const headers = channel?.options.headers;
  return headers && typeof headers === 'object' ? Object.keys(headers as Record<string, unknown>) : [];
}

export function parseKeys(value: string): string[] {
  return value
    .split('\n')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

export function parseHeaders(value: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const line of value.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const at = line.indexOf(':');
    const name = at < 0 ? '' : line.slice(0, at).trim();
    if (name === '' || /\s/.test(name)) {
      return null;
    }
    headers[name] = line.slice(at + 1).trim();
  }
  return headers;
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;
const INTEGER = /^-?\d+$/;
const NUMBER = /^\d+(\.\d+)?$|^\.\d+$/;

export function validateChannel(form: ChannelForm, editing: boolean): Partial<Record<ChannelField, ChannelError>> {
  const errors: Partial<Record<ChannelField, ChannelError>> = {};
  if (form.name.trim() === '') {
    errors.name = 'required';
  }
  if (!HTTP_URL.test(form.base_url.trim())) {
    errors.base_url = 'url';
  }
  const keys = parseKeys(form.keys);
  if (keys.length === 0 && !editing) {
    errors.keys = 'required';
  } else if (keys.some((key) => /\s/.test(key))) {
    errors.keys = 'keys';
  } else if (keys.length > MAX_KEYS) {
    errors.keys = 'tooManyKeys';
  }
  const filled = form.models.filter((row) => row.slug.trim() !== '' || row.upstream_name.trim() !== '');
  if (filled.length === 0) {
    errors.models = 'models';
  }
  const seen = new Set<string>();
  form.models.forEach((row, index) => {
    const slug = row.slug.trim();
    if (slug === '' && row.upstream_name.trim() !== '') {
      errors[`models.${index}`] = 'required';
    } else if (slug !== '' && seen.has(slug)) {
      errors[`models.${index}`] = 'duplicate';
    }
    seen.add(slug);
  });
  if (!INTEGER.test(form.priority.trim())) {
    errors.priority = 'integer';
  }
  if (!/^\d+$/.test(form.weight.trim()) || Number(form.weight) < 1) {
    errors.weight = 'positiveInteger';
  }
  const concurrency = form.max_concurrency.trim();
  if (concurrency !== '' && (!/^\d+$/.test(concurrency) || Number(concurrency) < 1)) {
    errors.max_concurrency = 'positiveInteger';
  }
  for (const field of ['timeout_seconds', 'first_byte_timeout_seconds', 'probe_timeout_seconds'] as const) {
    const value = form[field].trim();
    if (value !== '' && (!NUMBER.test(value) || Number(value) <= 0)) {
      errors[field] = 'positive';
    }
  }
  const interval = form.probe_interval_seconds.trim();
  if (interval !== '' && (!NUMBER.test(interval) || Number(interval) < MIN_PROBE_INTERVAL_SECONDS)) {
    errors.probe_interval_seconds = 'probeInterval';
  }
  if (parseHeaders(form.headers) === null) {
    errors.headers = 'headers';
  }
  return errors;
}

function servedModels(rows: readonly ModelRow[]): ServedModel[] {
  return rows
    .filter((row) => row.slug.trim() !== '')
    .map((row) => ({ slug: row.slug.trim(), upstream_name: row.upstream_name.trim() === '' ? null : row.upstream_name.trim() }));
}

function numberOrNull(value: string): number | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : Number(trimmed);
}

/** The options the form sets, by their API names (null: not set, i.e. the default). */
function formOptions(form: ChannelForm): Record<string, unknown> {
  const options: Record<string, unknown> = {
    quantization: form.quantization,
    probe_enabled: form.probe_enabled === DEFAULTS.probe_enabled ? null : form.probe_enabled,
    no_training: form.no_training === DEFAULTS.no_training ? null : form.no_training,
    zdr: form.zdr === DEFAULTS.zdr ? null : form.zdr,
    // Provider-specific options: only the provider's own are kept.
    stream_options: form.provider !== 'openai' || form.stream_options === DEFAULTS.stream_options ? null : form.stream_options,
    api_version: form.provider === 'azure' ? form.api_version.trim() || null : null,
    anthropic_version: form.provider === 'anthropic' ? form.anthropic_version.trim() || null : null,
  };
  for (const field of NUMBER_OPTIONS) {
    const value = numberOrNull(form[field]);
    options[field] = value !== null && field === 'max_concurrency' ? Math.trunc(value) : value;
  }
  return options;
}

export function createBody(form: ChannelForm): ChannelIn {
  const keys = parseKeys(form.keys);
  const options = Object.fromEntries(Object.entries(formOptions(form)).filter(([, value]) => value !== null)) as ChannelOptions;
  const headers = parseHeaders(form.headers);
  if (headers && Object.keys(headers).length > 0) {
    options.headers = headers;
  }
  return {
    name: form.name.trim(),
    provider: form.provider,
    base_url: form.base_url.trim(),
    ...(keys.length === 1 ? { api_key: keys[0] } : { api_keys: keys }),
    models: servedModels(form.models),
    priority: Number(form.priority.trim()),
    weight: Number(form.weight.trim()),
    provider_slug: form.provider_slug,
    options,
  };
}

function sameModels(a: readonly ServedModel[], b: readonly ServedModel[]): boolean {
  return a.length === b.length && a.every((m, i) => m.slug === b[i]?.slug && (m.upstream_name ?? null) === (b[i]?.upstream_name ?? null));
}

/** The PATCH saving what differs from `channel`; empty when nothing does. */
export function patchBody(channel: Channel, form: ChannelForm): ChannelPatch {
  const patch: ChannelPatch = {};
  if (form.name.trim() !== channel.name) patch.name = form.name.trim();
  if (form.base_url.trim() !== channel.base_url) patch.base_url = form.base_url.trim();
  const keys = parseKeys(form.keys);
  if (keys.length > 0) patch.api_keys = keys;
  const models = servedModels(form.models);
  // An upstream name left blank is the server's default: compare against what it stored.
  const storedDefaults = channel.models.map((m) => ({ slug: m.slug, upstream_name: m.upstream_name === defaultUpstream(m.slug) ? null : m.upstream_name }));
  const typedDefaults = models.map((m) => ({ slug: m.slug, upstream_name: m.upstream_name === defaultUpstream(m.slug) ? null : m.upstream_name }));
  if (!sameModels(storedDefaults, typedDefaults)) patch.models = models;
  if (Number(form.priority.trim()) !== channel.priority) patch.priority = Number(form.priority.trim());
  if (Number(form.weight.trim()) !== channel.weight) patch.weight = Number(form.weight.trim());
  if (form.provider_slug !== channel.provider_slug) patch.provider_slug = form.provider_slug;
  const stored = channel.options;
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(formOptions(form))) {
    const before = stored[name] ?? null;
    const unchanged =
      before === value ||
      (name in DEFAULTS && (before ?? DEFAULTS[name as FlagOption]) === (value ?? DEFAULTS[name as FlagOption])) ||
      (typeof before === 'number' && typeof value === 'number' && before === value);
    if (!unchanged) {
      options[name] = value;
    }
  }
  const headers = parseHeaders(form.headers);
  if (form.clear_headers) {
    options.headers = null;
  } else if (headers && Object.keys(headers).length > 0) {
    options.headers = headers;
  }
  if (Object.keys(options).length > 0) patch.options = options as ChannelOptions;
  return patch;
}

export function defaultUpstream(slug: string): string {
  const at = slug.indexOf('/');
  return at < 0 ? slug : slug.slice(at + 1);
}
