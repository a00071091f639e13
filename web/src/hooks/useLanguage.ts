import { useCallback, useEffect, useRef } from 'react';

import { useMe, usePreferences, useUpdatePreferences } from '../api/queries';
import { applyLanguage, currentLanguage, type Language } from '../i18n';

/** Switches the language; a signed-in user's choice is saved to the account too. */
export function useChangeLanguage(): (language: Language) => void {
  const me = useMe();
  const update = useUpdatePreferences();
  const signedIn = Boolean(me.data);
  const { mutate } = update;
  return useCallback(
    (language: Language) => {
      void applyLanguage(language);
      if (signedIn) {
        mutate({ language });
      }
    },
    [signedIn, mutate],
  );
}

/** Once per sign-in, the account's saved language replaces this browser's. */
export function useAccountLanguage(): void {
  const me = useMe();
  const userId = me.data?.id ?? null;
  const preferences = usePreferences(userId !== null);
  const appliedFor = useRef<number | null>(null);
  const saved = preferences.data?.language;
  useEffect(() => {
    if (userId === null) {
      appliedFor.current = null;
      return;
    }
    if (saved !== undefined && appliedFor.current !== userId) {
      appliedFor.current = userId;
      if (saved !== currentLanguage()) {
        void applyLanguage(saved);
      }
    }
  }, [userId, saved]);
}
