// The admin pages' server state: channels and their health, catalogue models and prices, users and their
// credits, redemption codes, site settings and the audit log (all under /api/admin/, refused by the server to
// anyone who is not an administrator). Money travels as exact USD decimal strings.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api } from './client';
import { unwrap } from './errors';
import { queryKeys } from './queries';
import type { components } from './schema';

type Schemas = components['schemas'];

export type Channel = Schemas['ChannelOut'];
export type ChannelIn = Schemas['ChannelIn'];
export type ChannelPatch = Schemas['ChannelPatch'];
export type ChannelOptions = Schemas['ChannelOptions'];
export type ChannelHealth = Schemas['ChannelHealthOut'];
export type ModelHealth = Schemas['ModelHealthOut'];
export type ServedModel = Schemas['ServedModel'];
export type ProbeResult = Schemas['ProbeOut'];
export type CatalogProvider = Schemas['ProviderOut'];
export type AdminModel = Schemas['AdminModelOut'];
export type AdminModelPage = Schemas['AdminModelPage'];
export type ModelPricing = Schemas['ModelPricingOut'];
export type ModelPricingChange = Schemas['ModelPricingIn'];
export type Endpoint = Schemas['EndpointOut'];
export type EndpointChange = Schemas['EndpointPricingIn'];
export type PriceAuditEntry = Schemas['AuditOut'];
export type SyncResult = Schemas['CatalogSyncOut'];
export type AdminUser = Schemas['AdminUserOut'];
export type AdminUserPage = Schemas['AdminUserPage'];
export type UserChange = Schemas['AdminUserIn'];
export type Transaction = Schemas['TransactionOut'];
export type CodesCreated = Schemas['CodesOut'];
export type CodesRequest = Schemas['CodesIn'];
export type CodeBatch = Schemas['CodeBatchOut'];
export type CodeBatchPage = Schemas['CodeBatchPage'];
export type CodeUse = Schemas['CodeUseOut'];
export type SiteSettings = Schemas['SiteSettingsOut'];
export type SiteValues = Schemas['SiteValues'];
export type SiteSettingsPatch = Schemas['SiteSettingsPatch'];
export type SettingName = NonNullable<SiteSettingsPatch['reset']>[number];
export type AuditEntry = Schemas['AuditEntryOut'];
export type AuditPage = Schemas['AuditPage'];
export type Role = 'user' | 'admin' | 'root';

export const ADMIN_PAGE_SIZE = 50;

export const adminKeys = {
  all: ['admin'] as const,
  channels: ['admin', 'channels'] as const,
  providers: ['admin', 'providers'] as const,
  models: (search: string, status: string, offset: number) => ['admin', 'models', 'list', search, status, offset] as const,
  modelList: ['admin', 'models', 'list'] as const,
  model: (id: string) => ['admin', 'models', 'one', id] as const,
  markup: ['admin', 'markup'] as const,
  priceAudit: ['admin', 'price-audit'] as const,
  users: (search: string, cursor: string | null) => ['admin', 'users', search, cursor] as const,
  userList: ['admin', 'users'] as const,
  admins: ['admin', 'admins'] as const,
  codes: (cursor: string | null) => ['admin', 'codes', 'list', cursor] as const,
  codeList: ['admin', 'codes', 'list'] as const,
  codeBatch: (batch: string) => ['admin', 'codes', 'batch', batch] as const,
  settings: ['admin', 'settings'] as const,
  audit: (route: string, actor: number | null, cursor: number | null) => ['admin', 'audit', route, actor, cursor] as const,
  auditList: ['admin', 'audit'] as const,
};

/** "author/slug" as the admin model routes take it. */
export function modelPathParams(id: string): { author: string; slug: string } {
  const at = id.indexOf('/');
  return at < 0 ? { author: id, slug: '' } : { author: id.slice(0, at), slug: id.slice(at + 1) };
}

// --- Channels

export function useChannels() {
  return useQuery<Channel[]>({
    queryKey: adminKeys.channels,
    queryFn: () => unwrap(api.GET('/api/admin/channels')),
    // Health changes with traffic: refresh while the page is open.
    refetchInterval: 15_000,
    staleTime: 5_000,
  });
}

export function useCatalogProviders() {
  return useQuery<CatalogProvider[]>({
    queryKey: adminKeys.providers,
    queryFn: () => unwrap(api.GET('/api/admin/providers')),
    staleTime: 5 * 60_000,
  });
}

function useAdminInvalidate() {
  const client = useQueryClient();
  return (...keys: readonly (readonly unknown[])[]) => Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}

export function useCreateChannel() {
  const invalidate = useAdminInvalidate();
  return useMutation<Channel, Error, ChannelIn>({
    mutationFn: (body) => unwrap(api.POST('/api/admin/channels', { body })),
    onSuccess: () => invalidate(adminKeys.channels, adminKeys.modelList),
  });
}

export function useUpdateChannel() {
  const invalidate = useAdminInvalidate();
  return useMutation<Channel, Error, { id: number; body: ChannelPatch }>({
    mutationFn: ({ id, body }) => unwrap(api.PATCH('/api/admin/channels/{channel_id}', { params: { path: { channel_id: id } }, body })),
    onSuccess: () => invalidate(adminKeys.channels, adminKeys.modelList),
  });
}

export function useDeleteChannel() {
  const invalidate = useAdminInvalidate();
  return useMutation<void, Error, number>({
    mutationFn: async (id) => {
      await unwrap(api.DELETE('/api/admin/channels/{channel_id}', { params: { path: { channel_id: id } } }));
    },
    onSuccess: () => invalidate(adminKeys.channels, adminKeys.modelList),
  });
}

/** Probes one channel with one of its models (its first when `model` is null). */
export function testChannel(id: number, model: string | null): Promise<ProbeResult> {
  return unwrap(
    api.POST('/api/admin/channels/{channel_id}/test', { params: { path: { channel_id: id } }, body: model ? { model } : null }),
  );
}

// --- Models and prices

export function useAdminModels(search: string, status: string, offset: number) {
  return useQuery<AdminModelPage>({
    queryKey: adminKeys.models(search, status, offset),
    queryFn: () =>
      unwrap(
        api.GET('/api/admin/models', {
          params: {
            query: {
              search: search || undefined,
              status: status as 'all' | 'listed' | 'hidden',
              offset,
              limit: ADMIN_PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useAdminModel(id: string | null) {
  return useQuery<ModelPricing>({
    queryKey: adminKeys.model(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/admin/models/{author}/{slug}', { params: { path: modelPathParams(id ?? '') } })),
    enabled: id !== null && id !== '',
  });
}

export function useUpdateModel() {
  const invalidate = useAdminInvalidate();
  const client = useQueryClient();
  return useMutation<ModelPricing, Error, { id: string; body: ModelPricingChange }>({
    mutationFn: ({ id, body }) => unwrap(api.PATCH('/api/admin/models/{author}/{slug}', { params: { path: modelPathParams(id) }, body })),
    onSuccess: (model) => {
      client.setQueryData(adminKeys.model(model.id), model);
      return invalidate(adminKeys.modelList, adminKeys.priceAudit, ['catalog']);
    },
  });
}

export function useUpdateEndpoint() {
  const invalidate = useAdminInvalidate();
  return useMutation<unknown, Error, { id: string; channelId: number; body: EndpointChange }>({
    mutationFn: ({ id, channelId, body }) =>
      unwrap(
        api.PATCH('/api/admin/models/{author}/{slug}/endpoints/{channel_id}', {
          params: { path: { ...modelPathParams(id), channel_id: channelId } },
          body,
        }),
      ),
    onSuccess: (_data, { id }) => invalidate(adminKeys.model(id), adminKeys.priceAudit),
  });
}

export function useGlobalMarkup() {
  return useQuery<string>({
    queryKey: adminKeys.markup,
    queryFn: async () => (await unwrap(api.GET('/api/admin/pricing/markup'))).percent,
  });
}

export function useSetGlobalMarkup() {
  const client = useQueryClient();
  return useMutation<string, Error, string>({
    mutationFn: async (percent) => (await unwrap(api.PUT('/api/admin/pricing/markup', { body: { percent } }))).percent,
    onSuccess: (percent) => {
      client.setQueryData(adminKeys.markup, percent);
      return Promise.all([
        client.invalidateQueries({ queryKey: adminKeys.priceAudit }),
        client.invalidateQueries({ queryKey: ['admin', 'models', 'one'] }),
      ]);
    },
  });
}

export function usePriceAudit(enabled: boolean) {
  return useQuery<PriceAuditEntry[]>({
    queryKey: adminKeys.priceAudit,
    queryFn: () => unwrap(api.GET('/api/admin/pricing/audit', { params: { query: { limit: 100 } } })),
    enabled,
  });
}

export interface SyncRequest {
  url?: string;
  dryRun: boolean;
  force: boolean;
  confirm: boolean;
}

export function useCatalogSync() {
  const invalidate = useAdminInvalidate();
  return useMutation<SyncResult, Error, SyncRequest>({
    mutationFn: ({ url, dryRun, force, confirm }) =>
      unwrap(api.POST('/api/admin/catalog/sync', { body: { url: url || null, dry_run: dryRun, force, confirm } })),
    onSuccess: (result) => (result.applied ? invalidate(adminKeys.modelList, adminKeys.priceAudit, ['catalog']) : undefined),
  });
}

// --- Users

export function useAdminUsers(search: string, cursor: string | null) {
  return useQuery<AdminUserPage>({
    queryKey: adminKeys.users(search, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/admin/users', {
          params: { query: { search: search || undefined, cursor: cursor ?? undefined, limit: ADMIN_PAGE_SIZE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** Administrators and roots (the audit log's actors). */
export function useAdministrators() {
  return useQuery<AdminUser[]>({
    queryKey: adminKeys.admins,
    queryFn: async () => (await unwrap(api.GET('/api/admin/users', { params: { query: { role: ['admin', 'root'], limit: 200 } } }))).data,
    staleTime: 5 * 60_000,
  });
}

export function useUpdateUser() {
  const invalidate = useAdminInvalidate();
  return useMutation<AdminUser, Error, { id: number; body: UserChange }>({
    mutationFn: ({ id, body }) => unwrap(api.PATCH('/api/admin/users/{user_id}', { params: { path: { user_id: id } }, body })),
    onSuccess: () => invalidate(adminKeys.userList, adminKeys.admins),
  });
}

export interface Adjustment {
  userId: number;
  /** USD, signed: "10", "-2.50". */
  amount: string;
  note: string;
  /** The same key for every retry of one adjustment: the server applies it once. */
  idempotencyKey: string;
}

export function useAdjustBalance() {
  const invalidate = useAdminInvalidate();
  return useMutation<Transaction, Error, Adjustment>({
    mutationFn: ({ userId, amount, note, idempotencyKey }) =>
      unwrap(
        api.POST('/api/admin/users/{user_id}/credits', {
          params: { path: { user_id: userId }, header: { 'idempotency-key': idempotencyKey } },
          body: { amount, note: note.trim() === '' ? null : note.trim() },
        }),
      ),
    onSuccess: () => invalidate(adminKeys.userList, adminKeys.auditList),
  });
}

/** A fresh idempotency key (one per adjustment the admin starts). */
export function newIdempotencyKey(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ?? `adj-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// --- Redemption codes

export function useCodeBatches(cursor: string | null) {
  return useQuery<CodeBatchPage>({
    queryKey: adminKeys.codes(cursor),
    queryFn: () => unwrap(api.GET('/api/admin/codes', { params: { query: { before: cursor ?? undefined, limit: ADMIN_PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
}

export function useCodeBatch(batch: string | null) {
  return useQuery<CodeUse[]>({
    queryKey: adminKeys.codeBatch(batch ?? ''),
    queryFn: () => unwrap(api.GET('/api/admin/codes/{batch}', { params: { path: { batch: batch ?? '' } } })),
    enabled: batch !== null,
  });
}

export function useCreateCodes() {
  const invalidate = useAdminInvalidate();
  return useMutation<CodesCreated, Error, CodesRequest>({
    mutationFn: (body) => unwrap(api.POST('/api/admin/codes', { body })),
    onSuccess: () => invalidate(adminKeys.codeList),
  });
}

// --- Site settings

export function useSiteSettings() {
  return useQuery<SiteSettings>({
    queryKey: adminKeys.settings,
    queryFn: () => unwrap(api.GET('/api/admin/settings')),
  });
}

export function useUpdateSiteSettings() {
  const client = useQueryClient();
  return useMutation<SiteSettings, Error, SiteSettingsPatch>({
    mutationFn: (body) => unwrap(api.PATCH('/api/admin/settings', { body })),
    onSuccess: (settings) => {
      client.setQueryData(adminKeys.settings, settings);
      // The sign-in and sign-up pages read these (sign-up mode, Google on or off).
      return Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.signInOptions }),
        client.invalidateQueries({ queryKey: adminKeys.auditList }),
      ]);
    },
  });
}

// --- Audit log

export function useAuditLog(route: string, actor: number | null, cursor: number | null) {
  return useQuery<AuditPage>({
    queryKey: adminKeys.audit(route, actor, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/admin/audit', {
          params: {
            query: { route: route || undefined, actor_user_id: actor ?? undefined, cursor: cursor ?? undefined, limit: ADMIN_PAGE_SIZE },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}
