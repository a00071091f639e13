// Keys and answers for the keys and credits tests.
import type { ApiKey } from '../../api/keys';

export function apiKey(id: number, overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id,
    user_id: 1,
    name: `key-${id}`,
    label: `sk-my-v1-ab${id}...wxyz`,
    hash: null,
    status: 'active',
    disabled: false,
    is_management: false,
    is_playground: false,
    created_at: '2026-11-01T10:00:00Z',
    expires_at: null,
    last_used_at: null,
    limit: null,
    limit_reset: null,
    limit_remaining: null,
    usage: { total: '0', daily: '0', weekly: '0', monthly: '0' },
    allowed_models: [],
    allowed_ips: [],
    rpm_limit: null,
    tpm_limit: null,
    ...overrides,
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}
