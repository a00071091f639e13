// What to tell a person about a failed call, in their language where the failure is a known one, else in
// the server's words (its messages say what to do).
import type { TFunction } from 'i18next';

import { ApiError, NetworkError } from '../api/errors';
import { formatDuration, type Locale } from './format';

export type ErrorContext = 'signin' | 'signup' | 'other';

export function describeError(error: unknown, t: TFunction, locale: Locale, context: ErrorContext = 'other'): string {
  if (error instanceof NetworkError) {
    return t('errors.network');
  }
  if (!(error instanceof ApiError)) {
    return t('errors.unknown', { status: error instanceof Error ? error.message : '?' });
  }
  if (error.status === 429) {
    const wait = error.retryAfterSeconds;
    if (context === 'other') {
      return wait === null ? error.message : t('errors.rateLimited', { wait: formatDuration(wait, locale) });
    }
    return wait === null ? t('auth.errors.rateLimitedSoon') : t('auth.errors.rateLimited', { wait: formatDuration(wait, locale) });
  }
  if (context === 'signin' && error.status === 401) {
    return t('auth.errors.wrongCredentials');
  }
  if (context === 'signup' && error.status === 409 && error.field === 'email') {
    return t('auth.errors.emailTaken');
  }
  if (context === 'signup' && error.status === 403 && error.field === null) {
    return t('auth.errors.signupClosed');
  }
  if (error.status >= 500) {
    return t('errors.unknown', { status: error.status });
  }
  return error.message;
}
