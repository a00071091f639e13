import { Alert, Button, Paper, Stack, Text, TextInput } from '@mantine/core';
import type { TFunction } from 'i18next';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useRedeem } from '../../api/credits';
import { ApiError } from '../../api/errors';
import { describeError } from '../../lib/describeError';
import { formatDuration, formatUsd, type Locale } from '../../lib/format';
import { useLocale } from '../rankings/metric';

export const MAX_CODE_CHARS = 64;

/** What to tell someone whose code was refused: the server's answers in their language. */
export function redeemErrorMessage(error: unknown, t: TFunction, locale: Locale): string {
  if (error instanceof ApiError) {
    if (error.status === 409) {
      return t('credits.redeem.errors.alreadyRedeemed');
    }
    if (error.status === 400) {
      return t('credits.redeem.errors.invalid');
    }
    if (error.status === 429) {
      return error.retryAfterSeconds === null
        ? t('credits.redeem.errors.tooManySoon')
        : t('credits.redeem.errors.tooMany', { wait: formatDuration(error.retryAfterSeconds, locale) });
    }
  }
  return describeError(error, t, locale);
}

/** Seconds until `until` (ms), counted down once a second; 0 once it has passed. */
function useSecondsLeft(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) {
      return undefined;
    }
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

/** A redemption code's form: the credit it adds, or why it was refused (and, after too many wrong codes,
 * how long to wait, with the button off until then). */
export function RedeemCard() {
  const { t } = useTranslation();
  const locale = useLocale();
  const redeem = useRedeem();
  const [code, setCode] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const secondsLeft = useSecondsLeft(blockedUntil);
  const blocked = secondsLeft > 0;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = code.trim();
    if (value === '') {
      setInvalid(t('credits.redeem.errors.required'));
      return;
    }
    setInvalid(null);
    redeem.mutate(value, {
      onSuccess: () => setCode(''),
      onError: (error) => {
        if (error instanceof ApiError && error.status === 429) {
          setBlockedUntil(Date.now() + (error.retryAfterSeconds ?? 60) * 1000);
        }
      },
    });
  };

  const error = redeem.error;
  const rateLimited = error instanceof ApiError && error.status === 429;
  return (
    <Paper component="section" withBorder radius="md" p="md" aria-labelledby="redeem-title" h="100%">
      <Text id="redeem-title" component="h2" fz="h4" fw={700}>
        {t('credits.redeem.title')}
      </Text>
      <Text size="sm" c="dimmed" mt={2} mb="sm">
        {t('credits.redeem.lead')}
      </Text>
      <form onSubmit={submit} noValidate aria-label={t('credits.redeem.title')}>
        <Stack gap="sm">
          <TextInput
            label={t('credits.redeem.code')}
            placeholder="MY-XXXX-XXXX-XXXX-XXXX"
            value={code}
            onChange={(event) => setCode(event.currentTarget.value)}
            maxLength={MAX_CODE_CHARS}
            autoComplete="off"
            spellCheck={false}
            error={invalid}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            data-testid="redeem-code"
          />
          <Button type="submit" loading={redeem.isPending} disabled={blocked} data-testid="redeem-submit">
            {blocked ? t('credits.redeem.wait', { wait: formatDuration(secondsLeft, locale) }) : t('credits.redeem.submit')}
          </Button>
          <div aria-live="polite">
            {redeem.isSuccess && (
              <Alert color="teal" title={t('credits.redeem.done')} data-testid="redeem-success">
                {t('credits.redeem.added', {
                  amount: formatUsd(redeem.data.amount, locale),
                  balance: formatUsd(redeem.data.balance, locale),
                })}
              </Alert>
            )}
            {error !== null && (
              <Alert color={rateLimited ? 'orange' : 'red'} title={t('credits.redeem.refused')} data-testid="redeem-error">
                {!rateLimited
                  ? redeemErrorMessage(error, t, locale)
                  : blocked
                    ? t('credits.redeem.errors.tooMany', { wait: formatDuration(secondsLeft, locale) })
                    : t('credits.redeem.errors.tryAgainNow')}
              </Alert>
            )}
          </div>
        </Stack>
      </form>
    </Paper>
  );
}
