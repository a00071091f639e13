// Server answers the admin components' tests start from (shapes as the API sends them).
import type { Channel, SiteSettings, SiteValues } from '../../api/admin';

export const environmentValues: SiteValues = {
  signup_mode: 'open',
  oidc_enabled: false,
  oidc_client_id: null,
  oidc_client_secret_set: false,
  oidc_discovery_url: 'https://accounts.google.com/.well-known/openid-configuration',
  oidc_provider_name: 'Google',
  oidc_link_verified_email: false,
  smtp_enabled: false,
  smtp_host: null,
  smtp_port: 25,
  smtp_username: null,
  smtp_password_set: false,
  smtp_starttls: false,
  smtp_from: 'Modelyard <alerts@localhost>',
  low_balance_threshold: '1',
  catalog_sync_interval_seconds: null,
  catalog_sync_url: 'https://openrouter.ai/api/v1/models?output_modalities=all',
};

export function siteSettings(values: Partial<SiteValues> = {}, sources: Record<string, 'site' | 'environment'> = {}): SiteSettings {
  return {
    values: { ...environmentValues, ...values },
    environment: environmentValues,
    sources,
    problem: null,
    restart_required: [],
  };
}

export function channel(overrides: Partial<Channel> = {}): Channel {
  return {
    id: 1,
    name: 'fake',
    provider: 'openai',
    base_url: 'http://127.0.0.1:9/v1',
    is_enabled: true,
    priority: 0,
    weight: 100,
    key_count: 2,
    models: [{ slug: 'acme/fast-1', upstream_name: 'fast-1' }],
    options: { quantization: 'fp8', timeout_seconds: 30, headers: { 'X-Team': '***' } },
    provider_slug: null,
    health: { status: 'healthy', breaker: 'closed', requests_30m: 10, error_rate_30m: 0.1, latency_p50_ms: 420, models: [] },
    ...overrides,
  };
}
