// The Settings page's server state: the profile (name, email, avatar, password), the account's sessions, the
// linked Google account, and the account's theme applied to the app (its language is applied by
// hooks/useLanguage.ts). Preferences themselves are read and changed through queries.ts.
import { useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';

import { api } from './client';
import { ApiError, unwrap } from './errors';
import { queryKeys, useMe, usePreferences, useUpdatePreferences } from './queries';
import type { components } from './schema';
import type { Theme, User } from './types';

type Schemas = components['schemas'];
export type Profile = Schemas['ProfileOut'];
export type ProfileChange = Schemas['ProfileIn'];
export type Session = Schemas['SessionOut'];

export const settingsKeys = {
  // Under "user", not "auth": signing in or out as someone else drops them (queries.ts keeps "auth" ones).
  profile: ['user', 'profile'] as const,
  sessions: ['user', 'sessions'] as const,
};

export function useProfile() {
  return useQuery<Profile>({
    queryKey: settingsKeys.profile,
    queryFn: () => unwrap(api.GET('/api/user/profile')),
  });
}

export function useUpdateProfile() {
  const client = useQueryClient();
  return useMutation<Profile, Error, ProfileChange>({
    mutationFn: (body) => unwrap(api.PATCH('/api/user/profile', { body })),
    onSuccess: (profile, body) => {
      client.setQueryData(settingsKeys.profile, profile);
      client.setQueryData<User | null>(queryKeys.me, (me) =>
        me ? { ...me, email: profile.email, display_name: profile.display_name, has_password: profile.has_password } : me,
      );
      if (body.password !== undefined) {
        // A new password signs every other session out.
        void client.invalidateQueries({ queryKey: settingsKeys.sessions });
      }
    },
  });
}

export function useSessions() {
  return useQuery<Session[]>({
    queryKey: settingsKeys.sessions,
    queryFn: () => unwrap(api.GET('/api/auth/sessions')),
  });
}

export function useRevokeSession() {
  const client = useQueryClient();
  return useMutation<void, Error, string>({
    mutationFn: async (id) => {
      await unwrap(api.DELETE('/api/auth/sessions/{session_id}', { params: { path: { session_id: id } } }));
    },
    onSuccess: (_, id) => {
      client.setQueryData<Session[]>(settingsKeys.sessions, (sessions) => sessions?.filter((session) => session.id !== id));
      void client.invalidateQueries({ queryKey: settingsKeys.sessions });
    },
  });
}

/** Ends every session of the account, this one included: the browser is signed out afterwards. */
export function useLogoutAll() {
  const client = useQueryClient();
  return useMutation<number, Error, void>({
    mutationFn: async () => (await unwrap(api.POST('/api/auth/logout-all'))).ended ?? 0,
    onSuccess: () => {
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
      client.setQueryData(queryKeys.me, null);
    },
  });
}

/** Starts linking a Google account: answers the provider's page to send the browser to. */
export function useStartGoogleLink() {
  return useMutation<string, Error, string>({
    mutationFn: async (next) => (await unwrap(api.POST('/api/auth/google/link', { body: { next } }))).url,
  });
}

export function useUnlinkGoogle() {
  const client = useQueryClient();
  return useMutation<void, Error, void>({
    mutationFn: async () => {
      await unwrap(api.DELETE('/api/auth/google/link'));
    },
    onSuccess: () => {
      client.setQueryData<Profile>(settingsKeys.profile, (profile) => (profile ? { ...profile, google_linked: false } : profile));
      client.setQueryData<User | null>(queryKeys.me, (me) => (me ? { ...me, google_linked: false } : me));
      void client.invalidateQueries({ queryKey: settingsKeys.profile });
    },
  });
}

export function themeToScheme(theme: Theme): MantineColorScheme {
  return theme === 'system' ? 'auto' : theme;
}

export function schemeToTheme(scheme: MantineColorScheme): Theme {
  return scheme === 'auto' ? 'system' : scheme;
}

/** Switches the app's color scheme now and, for a signed-in user, saves it to the account. */
export function useChangeTheme(): (theme: Theme) => void {
  const { setColorScheme } = useMantineColorScheme();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const { mutate } = useUpdatePreferences();
  return useCallback(
    (theme: Theme) => {
      setColorScheme(themeToScheme(theme));
      if (signedIn) {
        mutate({ theme });
      }
    },
    [setColorScheme, signedIn, mutate],
  );
}

/** Once per sign-in, an account that chose light or dark gets it in this browser too ("system", the default,
 * leaves this browser's own choice alone). */
export function useAccountTheme(): void {
  const me = useMe();
  const userId = me.data?.id ?? null;
  const preferences = usePreferences(userId !== null);
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const appliedFor = useRef<number | null>(null);
  const saved = preferences.data?.theme;
  useEffect(() => {
    if (userId === null) {
      appliedFor.current = null;
      return;
    }
    if (saved !== undefined && appliedFor.current !== userId) {
      appliedFor.current = userId;
      if (saved !== 'system' && themeToScheme(saved) !== colorScheme) {
        setColorScheme(themeToScheme(saved));
      }
    }
  }, [userId, saved, colorScheme, setColorScheme]);
}

/** Whether an error means the session is gone (signed out elsewhere). */
export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
