import { Alert, Button, Container, Group, Modal, Paper, Stack, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { usePageTitle } from '../../hooks/usePageTitle';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';

/** An admin page: its title, one line on what it is for, actions beside the title, then its sections. */
export function AdminPage({ title, lead, actions, children, testId }: { title: string; lead: string; actions?: ReactNode; children: ReactNode; testId: string }) {
  usePageTitle(title);
  return (
    <Container size="xl" px={0} data-testid={testId}>
      <Stack gap="lg">
        <Group justify="space-between" align="flex-end" gap="sm">
          <div style={{ minWidth: 0, flex: '1 1 320px' }}>
            <Title order={1} mb={4}>
              {title}
            </Title>
            <Text c="dimmed" size="sm" maw={760}>
              {lead}
            </Text>
          </div>
          {actions !== undefined && (
            <Group gap="xs" wrap="wrap">
              {actions}
            </Group>
          )}
        </Group>
        {children}
      </Stack>
    </Container>
  );
}

/** Badges in table cells show their whole word: the table scrolls sideways rather than cut it. */
export const WHOLE_BADGE = { label: { overflow: 'visible' } } as const;

/** A titled panel of an admin page. */
export function AdminSection({ title, description, actions, children, testId }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string }) {
  const titleId = useId();
  return (
    <Paper component="section" withBorder radius="md" p={{ base: 'sm', sm: 'md' }} aria-labelledby={titleId} data-testid={testId}>
      <Group justify="space-between" align="flex-start" gap="sm" mb="sm">
        <div style={{ minWidth: 0, flex: '1 1 240px' }}>
          <Title order={2} size="h4" id={titleId}>
            {title}
          </Title>
          {description !== undefined && (
            <Text size="sm" c="dimmed" mt={2}>
              {description}
            </Text>
          )}
        </div>
        {actions}
      </Group>
      <Stack gap="sm">{children}</Stack>
    </Paper>
  );
}

/** A failed call, in words the admin can act on, with a retry. */
export function QueryError({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" title={title ?? t('admin.common.loadFailed')} role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{describeError(error, t, currentLanguage())}</Text>
        {onRetry !== undefined && (
          <Button size="xs" variant="default" onClick={onRetry}>
            {t('admin.common.retry')}
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

/** A refusal or failure of a change, shown where the change was asked for. */
export function ErrorText({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error === null || error === undefined) {
    return null;
  }
  return (
    <Alert color="red" variant="light" role="alert" p="xs">
      <Text size="sm">{describeError(error, t, currentLanguage())}</Text>
    </Alert>
  );
}

/** A dialog that fills a phone's screen. */
export function AdminModal({ opened, onClose, title, children, size = 'lg', testId }: { opened: boolean; onClose: () => void; title: string; children: ReactNode; size?: string; testId?: string }) {
  const phone = useMediaQuery('(max-width: 48em)');
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{title}</Text>} size={size} fullScreen={phone === true} centered>
      {opened && <div data-testid={testId}>{children}</div>}
    </Modal>
  );
}

/** Asks before a change that cannot be undone or that touches many things at once. */
export function ConfirmDialog({
  opened,
  title,
  message,
  confirmLabel,
  danger = false,
  busy = false,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{title}</Text>} centered>
      {opened && (
        <Stack gap="md" data-testid="confirm-dialog">
        <Text size="sm">{message}</Text>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose} disabled={busy}>
            {t('admin.common.cancel')}
          </Button>
          <Button color={danger ? 'red' : undefined} onClick={onConfirm} loading={busy} data-testid="confirm">
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
      )}
    </Modal>
  );
}

/** Previous and next page buttons for cursor or offset paging. */
export function Pager({ hasPrevious, hasNext, onPrevious, onNext, busy = false }: { hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void; busy?: boolean }) {
  const { t } = useTranslation();
  if (!hasPrevious && !hasNext) {
    return null;
  }
  return (
    <Group component="nav" aria-label={t('admin.common.pages')} justify="flex-end" gap="xs">
      <Button variant="default" size="xs" onClick={onPrevious} disabled={!hasPrevious || busy}>
        {t('admin.common.previous')}
      </Button>
      <Button variant="default" size="xs" onClick={onNext} disabled={!hasNext || busy} data-testid="next-page">
        {t('admin.common.next')}
      </Button>
    </Group>
  );
}
