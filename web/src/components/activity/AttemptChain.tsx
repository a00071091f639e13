// Every upstream call of one request, in the order the router tried them: each failed attempt fell back to the
// next; the last one answered (or the request failed).
import { Badge, Box, Group, Paper, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Attempt } from '../../api/activity';
import { formatLatencyMs } from '../../lib/format';
import { useLocale } from '../rankings/metric';

export type AttemptOutcome = 'answered' | 'failed' | 'noAnswer';

export function attemptOutcome(attempt: Partial<Pick<Attempt, 'status' | 'error'>>): AttemptOutcome {
  const status = attempt.status;
  if (status === null || status === undefined) {
    return 'noAnswer';
  }
  return status >= 200 && status < 300 && !attempt.error ? 'answered' : 'failed';
}

const COLOR: Record<AttemptOutcome, string> = { answered: 'teal', failed: 'red', noAnswer: 'orange' };

export function AttemptChain({ attempts }: { attempts: Attempt[] }) {
  const { t } = useTranslation();
  const locale = useLocale();
  if (attempts.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="attempts-empty">
        {t('activity.attempts.none')}
      </Text>
    );
  }
  return (
    <Stack component="ol" gap={0} p={0} m={0} style={{ listStyle: 'none' }} data-testid="attempt-chain" aria-label={t('activity.attempts.title')}>
      {attempts.map((attempt, index) => {
        const outcome = attemptOutcome(attempt);
        const last = index === attempts.length - 1;
        return (
          <Box component="li" key={index} data-testid="attempt" data-outcome={outcome}>
            <Paper withBorder radius="md" p="sm">
              <Group justify="space-between" gap="xs" wrap="wrap">
                <Text size="sm" fw={700}>
                  {t('activity.attempts.step', { number: index + 1 })} · {attempt.channel ?? attempt.provider ?? t('activity.attempts.unknownProvider')}
                </Text>
                <Badge color={COLOR[outcome]} variant="light">
                  {attempt.status === null || attempt.status === undefined
                    ? t('activity.attempts.noAnswer')
                    : t(`activity.attempts.${outcome === 'answered' ? 'answered' : 'failed'}`, { status: attempt.status })}
                </Badge>
              </Group>
              <Text size="xs" c="dimmed" mt={4} style={{ overflowWrap: 'anywhere' }}>
                {[
                  attempt.model,
                  attempt.provider && attempt.provider !== attempt.channel ? attempt.provider : null,
                  attempt.latency_ms === null || attempt.latency_ms === undefined ? null : formatLatencyMs(attempt.latency_ms, locale),
                ]
                  .filter((part): part is string => Boolean(part))
                  .join(' · ')}
              </Text>
              {attempt.error && (
                <Text size="sm" c="red" mt={4} style={{ overflowWrap: 'anywhere' }} data-testid="attempt-error">
                  {attempt.error}
                </Text>
              )}
            </Paper>
            {!last && (
              <Text size="xs" c="dimmed" ta="center" py={4} aria-hidden="true">
                ↓ {t('activity.attempts.fellBack')}
              </Text>
            )}
          </Box>
        );
      })}
    </Stack>
  );
}
