import { Anchor, SimpleGrid, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import type { Preferences } from '../../api/types';
import { formatUsd } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { SettingsSection } from './Section';

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div style={{ minWidth: 0 }}>
      <Text component="dt" size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="dd" m={0} size="sm" style={{ overflowWrap: 'anywhere' }} data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

/** The low-balance alert as it is set; it is changed on the Credits page, beside the balance it watches. */
export function NotificationsSection({ preferences }: { preferences: Preferences }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const alert = preferences.low_balance_alert;
  return (
    <SettingsSection id="notifications" title={t('settings.notifications.title')} description={t('settings.notifications.lead')} testId="settings-notifications">
      <SimpleGrid component="dl" cols={{ base: 1, sm: 3 }} spacing="sm" m={0}>
        <Fact label={t('settings.notifications.threshold')} testId="alert-threshold">
          {formatUsd(alert.threshold, locale)}
          {alert.threshold_is_default ? ` (${t('settings.notifications.default')})` : ''}
        </Fact>
        <Fact label={t('settings.notifications.email')}>
          {!alert.email_enabled ? t('settings.notifications.emailOff') : (alert.email ?? t('settings.notifications.none'))}
        </Fact>
        <Fact label={t('settings.notifications.webhook')}>{alert.webhook_url ?? t('settings.notifications.none')}</Fact>
      </SimpleGrid>
      {alert.alerted && (
        <Text size="sm" c="orange">
          {t('settings.notifications.alerted')}
        </Text>
      )}
      <Anchor component={Link} to="/credits#alerts" data-testid="alerts-link">
        {t('settings.notifications.change')}
      </Anchor>
    </SettingsSection>
  );
}
