// The API keys page's server state: the caller's keys (GET /api/keys), creating one (its secret is in that
// answer only), changing, enabling, disabling and deleting one, and a key's spend per UTC day.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api } from './client';
import { type ActivityStats, fetchDailyStats } from './credits';
import { unwrap } from './errors';
import type { components } from './schema';

type Schemas = components['schemas'];

export type ApiKey = Schemas['KeyOut'];
export type CreatedKey = Schemas['KeyCreatedOut'];
export type KeyCreate = Schemas['KeyIn'];
export type KeyChange = Schemas['KeyPatch'];
export type ResetPeriod = NonNullable<ApiKey['limit_reset']>;
export type KeyStatus = ApiKey['status'];
export const RESET_PERIODS: readonly ResetPeriod[] = ['daily', 'weekly', 'monthly'];

export const keyQueryKeys = {
  all: ['keys'] as const,
  list: ['keys', 'list'] as const,
  usage: (id: number, days: number) => ['keys', 'usage', id, days] as const,
};

export function useKeys() {
  return useQuery<ApiKey[]>({
    queryKey: keyQueryKeys.list,
    queryFn: () => unwrap(api.GET('/api/keys')),
  });
}

export function useCreateKey() {
  const client = useQueryClient();
  return useMutation<CreatedKey, Error, KeyCreate>({
    mutationFn: (body) => unwrap(api.POST('/api/keys', { body })),
    // The list is read again; the created key's secret lives only in the dialog that shows it.
    onSuccess: () => client.invalidateQueries({ queryKey: keyQueryKeys.list }),
  });
}

export function useUpdateKey() {
  const client = useQueryClient();
  return useMutation<ApiKey, Error, { id: number; change: KeyChange }>({
    mutationFn: ({ id, change }) => unwrap(api.PATCH('/api/keys/{key_id}', { params: { path: { key_id: id } }, body: change })),
    onSuccess: (key) => {
      client.setQueryData<ApiKey[]>(keyQueryKeys.list, (keys) => keys?.map((item) => (item.id === key.id ? key : item)));
      void client.invalidateQueries({ queryKey: keyQueryKeys.list });
    },
  });
}

export function useDeleteKey() {
  const client = useQueryClient();
  return useMutation<void, Error, number>({
    mutationFn: async (id) => {
      await unwrap(api.DELETE('/api/keys/{key_id}', { params: { path: { key_id: id } } }));
    },
    onSuccess: (_, id) => {
      client.setQueryData<ApiKey[]>(keyQueryKeys.list, (keys) => keys?.filter((item) => item.id !== id));
      void client.invalidateQueries({ queryKey: keyQueryKeys.list });
    },
  });
}

/** One key's requests, tokens and spend per UTC day over the last `days` days. */
export function useKeyUsage(id: number, days: number, enabled: boolean) {
  return useQuery<ActivityStats>({
    queryKey: keyQueryKeys.usage(id, days),
    queryFn: () => fetchDailyStats({ days, key_id: id }),
    enabled,
    staleTime: 60_000,
  });
}
