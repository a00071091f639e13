import { Badge, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { ChannelHealth } from '../../../api/admin';
import { formatDuration } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { WHOLE_BADGE } from '../AdminPage';

const COLOR: Record<ChannelHealth['status'], string> = {
  healthy: 'green',
  degraded: 'yellow',
  down: 'red',
  unknown: 'gray',
  disabled: 'gray',
};

/** A channel's health in a word, with its circuit breaker when it is not closed. */
export function HealthBadge({ health }: { health: ChannelHealth }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const retry = Math.max(0, ...health.models.map((m) => m.retry_in_seconds));
  return (
    <Stack gap={2} align="flex-start">
      <Badge color={COLOR[health.status]} variant={health.status === 'disabled' ? 'outline' : 'light'} styles={WHOLE_BADGE} data-testid="health-status">
        {t(`admin.channels.status.${health.status}`)}
      </Badge>
      {health.breaker !== 'closed' && (
        <Text size="xs" c={health.breaker === 'open' ? 'red' : 'yellow.8'}>
          {t(`admin.channels.breaker.${health.breaker}`)}
          {health.breaker === 'open' && retry > 0 ? ` · ${t('admin.channels.retryIn', { wait: formatDuration(retry, locale) })}` : ''}
        </Text>
      )}
    </Stack>
  );
}
