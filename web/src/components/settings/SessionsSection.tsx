import { Alert, Badge, Button, Group, Modal, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';

import { useLogoutAll, useRevokeSession, useSessions, type Session } from '../../api/settings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { formatDateTimeWithZone } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { SettingsSection } from './Section';
import { summarizeUserAgent } from './userAgent';

function SessionItem({ session }: { session: Session }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const revoke = useRevokeSession();
  const { browser, system } = summarizeUserAgent(session.user_agent);
  const device =
    browser && system
      ? t('settings.sessions.browserOn', { browser, system })
      : (browser ?? system ?? t('settings.sessions.unknownDevice'));
  return (
    <Paper component="li" withBorder radius="md" p="sm" data-testid="session" data-session={session.id} data-current={session.current || undefined}>
      <Group justify="space-between" align="flex-start" gap="sm" wrap="wrap">
        <Stack gap={2} style={{ minWidth: 0, flex: 1 }}>
          <Group gap={6}>
            <Text fw={600}>{device}</Text>
            {session.current && (
              <Badge color="teal" variant="light">
                {t('settings.sessions.current')}
              </Badge>
            )}
            <Badge variant="outline" color="gray">
              {session.method === 'google' ? t('settings.sessions.viaGoogle') : t('settings.sessions.viaPassword')}
            </Badge>
          </Group>
          <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {[session.ip, t('settings.sessions.lastUsed', { time: formatDateTimeWithZone(session.last_used_at, locale) })].filter(Boolean).join(' · ')}
          </Text>
          <Text size="xs" c="dimmed">
            {t('settings.sessions.started', { time: formatDateTimeWithZone(session.created_at, locale) })}
          </Text>
        </Stack>
        {!session.current && (
          <Button
            variant="default"
            color="red"
            size="xs"
            onClick={() => revoke.mutate(session.id)}
            loading={revoke.isPending}
            aria-label={t('settings.sessions.endLabel', { device })}
            data-testid="session-end"
          >
            {t('settings.sessions.end')}
          </Button>
        )}
      </Group>
      {revoke.isError && (
        <Text size="sm" c="red" mt={6}>
          {describeError(revoke.error, t, currentLanguage())}
        </Text>
      )}
    </Paper>
  );
}

/** Where this account is signed in; any other session can be ended, or all of them at once. */
export function SessionsSection() {
  const { t } = useTranslation();
  const sessions = useSessions();
  const logoutAll = useLogoutAll();
  const navigate = useNavigate();
  const [confirming, { open, close }] = useDisclosure(false);
  const list = sessions.data ?? [];
  return (
    <SettingsSection id="sessions" title={t('settings.sessions.title')} description={t('settings.sessions.lead')} testId="settings-sessions">
      {sessions.isError ? (
        <Alert color="red" title={t('settings.loadFailed')}>
          {describeError(sessions.error, t, currentLanguage())}
        </Alert>
      ) : sessions.isPending ? (
        <Skeleton h={80} radius="md" />
      ) : (
        <Stack component="ul" gap="xs" p={0} m={0} style={{ listStyle: 'none' }} aria-label={t('settings.sessions.title')}>
          {list.map((session) => (
            <SessionItem key={session.id} session={session} />
          ))}
        </Stack>
      )}
      <Group>
        <Button color="red" variant="light" onClick={open} data-testid="sessions-end-all">
          {t('settings.sessions.endAll')}
        </Button>
      </Group>
      <Modal opened={confirming} onClose={close} title={t('settings.sessions.endAllTitle')} centered>
        <Stack>
          <Text size="sm">{t('settings.sessions.endAllText', { count: list.length })}</Text>
          {logoutAll.isError && (
            <Text size="sm" c="red">
              {describeError(logoutAll.error, t, currentLanguage())}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('settings.cancel')}
            </Button>
            <Button
              color="red"
              loading={logoutAll.isPending}
              onClick={() => logoutAll.mutate(undefined, { onSuccess: () => void navigate('/signin', { replace: true }) })}
              data-testid="sessions-end-all-confirm"
            >
              {t('settings.sessions.endAllConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </SettingsSection>
  );
}
