// TanStack Query hooks over the API client: what components call to read and change server state.
import { QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api } from './client';
import { ApiError, unwrap } from './errors';
import type { Language, LoginBody, Preferences, PreferencesChange, SignInOptions, SignupBody, User } from './types';

export const queryKeys = {
  me: ['auth', 'me'] as const,
  signInOptions: ['auth', 'options'] as const,
  preferences: ['user', 'preferences'] as const,
};

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx answer will not change by asking again; a 5xx or a network failure might.
        retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
      },
    },
  });
}

/** The signed-in user, or null when nobody is (a 401 is an answer here, not an error). */
export function useMe() {
  return useQuery<User | null>({
    queryKey: queryKeys.me,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/auth/me'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          return null;
        }
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** How one signs in and up on this server: sign-up mode, password rules, whether Google sign-in is on. */
export function useSignInOptions() {
  return useQuery<SignInOptions>({
    queryKey: queryKeys.signInOptions,
    queryFn: () => unwrap(api.GET('/api/auth/options')),
    staleTime: Infinity,
  });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation<User, Error, LoginBody>({
    mutationFn: async (body) => (await unwrap(api.POST('/api/auth/login', { body }))).user,
    onSuccess: (user) => signedIn(client, user),
  });
}

export interface SignupVariables {
  body: SignupBody;
  /** The language the account starts with: the one the page was shown in. */
  language?: Language;
}

export function useSignup() {
  const client = useQueryClient();
  return useMutation<User, Error, SignupVariables>({
    mutationFn: async ({ body, language }) => {
      const { user } = await unwrap(api.POST('/api/auth/signup', { body }));
      if (language !== undefined) {
        // Saved before the app reads the account's preferences, which would otherwise switch a Chinese page
        // to the account's default (English). Failing here must not fail the sign-up.
        await unwrap(api.PATCH('/api/user/preferences', { body: { language } })).catch(() => undefined);
      }
      return user;
    },
    onSuccess: (user) => signedIn(client, user),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation<void, Error, void>({
    mutationFn: async () => {
      try {
        await unwrap(api.POST('/api/auth/logout'));
      } catch (error) {
        // Already signed out (an expired session): the outcome the user asked for.
        if (!(error instanceof ApiError && error.status === 401)) {
          throw error;
        }
      }
    },
    onSuccess: () => {
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
      client.setQueryData(queryKeys.me, null);
    },
  });
}

function signedIn(client: QueryClient, user: User): void {
  // Whatever was cached belonged to nobody or to someone else.
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
  client.setQueryData(queryKeys.me, user);
}

export function usePreferences(enabled: boolean) {
  return useQuery<Preferences>({
    queryKey: queryKeys.preferences,
    queryFn: () => unwrap(api.GET('/api/user/preferences')),
    enabled,
  });
}

export function useUpdatePreferences() {
  const client = useQueryClient();
  return useMutation<Preferences, Error, PreferencesChange>({
    mutationFn: (body) => unwrap(api.PATCH('/api/user/preferences', { body })),
    onSuccess: (preferences) => client.setQueryData(queryKeys.preferences, preferences),
  });
}
