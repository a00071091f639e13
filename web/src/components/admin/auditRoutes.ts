// The admin operations that change something (and so appear in the audit log), by their route template as
// the server records it, with the name each is shown under.

export const AUDITED_ROUTES = {
  '/api/admin/channels': 'channels',
  '/api/admin/channels/{channel_id}': 'channel',
  '/api/admin/channels/{channel_id}/test': 'channelTest',
  '/api/admin/models/{author}/{slug}': 'model',
  '/api/admin/models/{author}/{slug}/endpoints/{channel_id}': 'endpoint',
  '/api/admin/pricing/markup': 'markup',
  '/api/admin/catalog/sync': 'sync',
  '/api/admin/providers': 'providers',
  '/api/admin/providers/{slug}': 'provider',
  '/api/admin/users/{user_id}': 'user',
  '/api/admin/users/{user_id}/credits': 'credits',
  '/api/admin/invites': 'invites',
  '/api/admin/codes': 'codes',
  '/api/admin/settings': 'settings',
} as const;

export type AuditedRoute = keyof typeof AUDITED_ROUTES;
export type RouteName = (typeof AUDITED_ROUTES)[AuditedRoute];

export function routeName(route: string): RouteName | null {
  return (AUDITED_ROUTES as Record<string, RouteName>)[route] ?? null;
}

/** An audit row's body as readable JSON (secrets were replaced by the server before it was stored). */
export function bodyText(body: unknown): string {
  return body === null || body === undefined ? '' : JSON.stringify(body, null, 2);
}

/** A short summary of a body for the table: its top-level fields, e.g. "amount: 10, note: refund". */
export function bodySummary(body: unknown, max = 80): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return body === null || body === undefined ? '' : String(JSON.stringify(body)).slice(0, max);
  }
  const parts = Object.entries(body as Record<string, unknown>).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `${key}: ${text}`;
  });
  const summary = parts.join(', ');
  return summary.length > max ? `${summary.slice(0, max - 1)}…` : summary;
}
