import { Alert, Anchor, Box, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { formatDuration, formatLatencyMs, formatNumber, formatUsd } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import type { AnswerError, ChatMessage } from './conversations';

function ErrorNotice({ error }: { error: AnswerError }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const title = t(`playground.errors.${error.kind}`);
  return (
    <Alert color={error.kind === 'rateLimit' ? 'orange' : 'red'} title={title} mt="xs" data-testid="answer-error" data-kind={error.kind} data-status={error.status}>
      <Stack gap={4}>
        {error.kind === 'network' ? (
          <Text size="sm">{t('errors.network')}</Text>
        ) : (
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {error.message}
          </Text>
        )}
        {error.kind === 'credits' && (
          <Anchor component={Link} to="/credits" size="sm" fw={600}>
            {t('playground.errors.addCredits')}
          </Anchor>
        )}
        {error.kind === 'rateLimit' && (
          <Text size="sm">
            {error.retryAfterSeconds ? t('playground.errors.retryIn', { wait: formatDuration(error.retryAfterSeconds, locale) }) : t('playground.errors.retryLater')}
          </Text>
        )}
        {error.kind === 'model' && (
          <Text size="xs" c="dimmed">
            {error.provider ? t('playground.errors.fromProvider', { provider: error.provider, status: error.status }) : t('playground.errors.status', { status: error.status })}{' '}
            {t('playground.errors.tryAnother')}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

function AnswerFacts({ message }: { message: ChatMessage }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const meta = message.meta;
  if (meta === undefined) {
    return null;
  }
  const parts: string[] = [];
  if (meta.model) parts.push(meta.provider ? `${meta.model} · ${meta.provider}` : meta.model);
  if (meta.latencyMs !== null && meta.latencyMs !== undefined) parts.push(t('playground.answer.latency', { value: formatLatencyMs(meta.latencyMs, locale) }));
  if (meta.ttftMs !== null && meta.ttftMs !== undefined) parts.push(t('playground.answer.ttft', { value: formatLatencyMs(meta.ttftMs, locale) }));
  if (meta.promptTokens !== null && meta.promptTokens !== undefined && meta.completionTokens !== null && meta.completionTokens !== undefined) {
    parts.push(t('playground.answer.tokens', { input: formatNumber(meta.promptTokens, locale), output: formatNumber(meta.completionTokens, locale) }));
  }
  return (
    <Group gap="xs" mt={6} wrap="wrap" data-testid="answer-facts">
      {meta.cost !== null && meta.cost !== undefined && (
        <Text size="xs" fw={700} data-testid="answer-cost" data-value={meta.cost}>
          {t('playground.answer.cost', { value: formatUsd(meta.cost, locale) })}
        </Text>
      )}
      <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }} data-testid="answer-timing">
        {parts.join(' · ')}
      </Text>
      {meta.generationId && (
        <Anchor component={Link} to={`/activity?generation=${encodeURIComponent(meta.generationId)}`} size="xs" data-testid="answer-activity">
          {t('playground.answer.inActivity')}
        </Anchor>
      )}
    </Group>
  );
}

function Bubble({ message }: { message: ChatMessage }) {
  const { t } = useTranslation();
  const user = message.role === 'user';
  return (
    <Box
      component="li"
      style={{ alignSelf: user ? 'flex-end' : 'stretch', maxWidth: user ? 'min(85%, 680px)' : '100%', minWidth: 0 }}
      data-testid={user ? 'message-user' : 'message-assistant'}
      data-state={message.state}
    >
      <Paper
        radius="md"
        p="sm"
        withBorder={!user}
        bg={user ? 'var(--mantine-primary-color-light)' : undefined}
        aria-label={user ? t('playground.you') : t('playground.assistant')}
      >
        {message.reasoning && (
          <Text size="xs" c="dimmed" fs="italic" mb={6} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {message.reasoning}
          </Text>
        )}
        {message.content !== '' ? (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="message-text">
            {message.content}
          </Text>
        ) : message.state === 'streaming' ? (
          <Group gap={6}>
            <Loader size={14} type="dots" />
            <Text size="sm" c="dimmed">
              {t('playground.waiting')}
            </Text>
          </Group>
        ) : null}
        {message.state === 'stopped' && (
          <Text size="xs" c="orange" mt={4} data-testid="answer-stopped">
            {t('playground.answer.stopped')}
          </Text>
        )}
        {message.error && <ErrorNotice error={message.error} />}
        {!user && <AnswerFacts message={message} />}
      </Paper>
    </Box>
  );
}

/** The conversation, newest at the bottom, kept in view while an answer streams in. */
export function MessageList({ messages, busy }: { messages: ChatMessage[]; busy: boolean }) {
  const { t } = useTranslation();
  const end = useRef<HTMLDivElement>(null);
  const last = messages[messages.length - 1];
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [messages.length, last?.content.length, last?.state]);
  if (messages.length === 0) {
    return (
      <Text c="dimmed" size="sm" ta="center" py="xl" data-testid="conversation-empty">
        {t('playground.empty')}
      </Text>
    );
  }
  return (
    <Box>
      <Stack component="ol" gap="sm" p={0} m={0} style={{ listStyle: 'none' }} role="log" aria-label={t('playground.conversation')} aria-busy={busy} data-testid="messages">
        {messages.map((message) => (
          <Bubble key={message.id} message={message} />
        ))}
      </Stack>
      <div ref={end} />
    </Box>
  );
}
