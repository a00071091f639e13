// Playground: chat with any model this account reaches, streamed through the session (no API key in the page),
// with each answer's cost, latency and time to first token; several conversations kept in this browser.
import { Alert, Anchor, Badge, Button, Collapse, Grid, Group, Modal, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { useCatalogModels, type CatalogModel } from '../../api/catalog';
import { sendChat, useAfterAnswer, useBalance, type ChatRequest } from '../../api/playground';
import { useMe, usePreferences } from '../../api/queries';
import { Composer } from '../../components/playground/Composer';
import { ConversationList } from '../../components/playground/ConversationList';
import { apiMessages, exportDocument, newId, titleFrom, type ChatMessage, type Conversation } from '../../components/playground/conversations';
import { answerError, streamAnswerError } from '../../components/playground/errors';
import { MessageList } from '../../components/playground/MessageList';
import { ModelPicker } from '../../components/playground/ModelPicker';
import { ParametersPanel, type Parameters } from '../../components/playground/ParametersPanel';
import { useConversations } from '../../components/playground/useConversations';
import { useLocale } from '../../components/rankings/metric';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatUsd, usdNumberToDecimal } from '../../lib/format';

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function chatModels(models: CatalogModel[] | undefined): CatalogModel[] {
  return (models ?? [])
    .filter((model) => model.architecture.output_modalities.includes('text'))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export default function PlaygroundPage() {
  const { t } = useTranslation();
  usePageTitle(t('playground.title'));
  const me = useMe();
  const userId = me.data?.id ?? 0;
  const locale = useLocale();
  const catalog = useCatalogModels();
  const preferences = usePreferences(userId !== 0);
  const balance = useBalance();
  const afterAnswer = useAfterAnswer();
  const chats = useConversations(userId);
  const { active, create, update, select, remove, store } = chats;
  const [busy, setBusy] = useState(false);
  const [showParams, { toggle: toggleParams }] = useDisclosure(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  const models = useMemo(() => chatModels(catalog.data), [catalog.data]);
  const served = useMemo(() => new Set(models.map((model) => model.id)), [models]);
  const preferred = preferences.data?.default_model;
  const defaultModel = preferred && served.has(preferred) ? preferred : (models[0]?.id ?? null);
  const model = active?.model && served.has(active.model) ? active.model : defaultModel;

  // Leaving the page stops an answer still streaming (the server charges what was produced).
  useEffect(() => () => controller.current?.abort(), []);

  const patchAnswer = useCallback(
    (conversationId: string, messageId: string, patch: Partial<ChatMessage>) =>
      update(conversationId, (conversation) => ({
        ...conversation,
        updatedAt: new Date().toISOString(),
        messages: conversation.messages.map((message) => (message.id === messageId ? { ...message, ...patch } : message)),
      })),
    [update],
  );

  const send = async (text: string) => {
    if (model === null || busy) {
      return;
    }
    const conversation: Conversation = active ?? create(model);
    const question: ChatMessage = { id: newId(), role: 'user', content: text, state: 'done' };
    const answer: ChatMessage = { id: newId(), role: 'assistant', content: '', state: 'streaming', meta: { model } };
    update(conversation.id, (current) => ({
      ...current,
      model,
      title: current.title || titleFrom(text),
      messages: [...current.messages, question, answer],
      updatedAt: new Date().toISOString(),
    }));
    const request: ChatRequest = {
      model,
      messages: apiMessages({ system: conversation.system, messages: [...conversation.messages, question] }),
      stream: conversation.stream,
      ...(conversation.temperature !== null ? { temperature: conversation.temperature } : {}),
      ...(conversation.maxTokens !== null ? { max_tokens: conversation.maxTokens } : {}),
    };
    const abort = new AbortController();
    controller.current = abort;
    setBusy(true);
    try {
      const result = await sendChat(request, {
        signal: abort.signal,
        onProgress: (progress) => patchAnswer(conversation.id, answer.id, { content: progress.content, reasoning: progress.reasoning || undefined }),
      });
      const cost = typeof result.usage?.cost === 'number' ? usdNumberToDecimal(result.usage.cost) : null;
      patchAnswer(conversation.id, answer.id, {
        content: result.content,
        reasoning: result.reasoning || undefined,
        state: result.stopped ? 'stopped' : result.streamError ? 'error' : 'done',
        error: result.streamError ? streamAnswerError(result.streamError) : undefined,
        meta: {
          generationId: result.generationId,
          model: result.model ?? model,
          provider: result.provider,
          promptTokens: result.usage?.prompt_tokens ?? null,
          completionTokens: result.usage?.completion_tokens ?? null,
          cost,
          latencyMs: result.latencyMs,
          ttftMs: result.ttftMs,
          finishReason: result.finishReason,
        },
      });
    } catch (error) {
      patchAnswer(conversation.id, answer.id, { state: 'error', error: answerError(error) });
    } finally {
      controller.current = null;
      setBusy(false);
      afterAnswer();
    }
  };

  const setParameters = (patch: Partial<Parameters>) => {
    const target = active ?? create(model);
    update(target.id, (conversation) => ({ ...conversation, ...patch }));
  };
  const setModel = (next: string) => {
    const target = active ?? create(next);
    update(target.id, (conversation) => ({ ...conversation, model: next }));
  };
  const exportConversations = (all: boolean) => {
    const list = all ? store.conversations : active ? [active] : [];
    const day = new Date().toISOString().slice(0, 10);
    download(all ? `modelyard-playground-${day}.json` : `modelyard-chat-${day}-${list[0]?.id.slice(0, 8) ?? 'empty'}.json`, exportDocument(list));
  };

  const parameters: Parameters = {
    system: active?.system ?? '',
    temperature: active?.temperature ?? null,
    maxTokens: active?.maxTokens ?? null,
    stream: active?.stream ?? true,
  };
  return (
    <Stack gap="lg" data-testid="playground-page">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <div>
          <Title order={1}>{t('playground.title')}</Title>
          <Text c="dimmed" size="sm" maw={680}>
            {t('playground.lead')}
          </Text>
        </div>
        <Badge
          size="lg"
          variant="light"
          color={balance.data && Number(balance.data.available) <= 0 ? 'red' : 'indigo'}
          data-testid="playground-balance"
          data-value={balance.data?.available}
          component={Link}
          to="/credits"
          style={{ cursor: 'pointer', textTransform: 'none' }}
        >
          {balance.data ? t('playground.balance', { value: formatUsd(balance.data.available, locale) }) : t('playground.balanceLoading')}
        </Badge>
      </Group>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 3 }}>
          <ConversationList
            conversations={store.conversations}
            activeId={active?.id ?? null}
            busy={busy}
            onSelect={select}
            onNew={() => create(model)}
            onDelete={setDeleting}
            onExport={exportConversations}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 9 }}>
          <Paper withBorder radius="md" p={{ base: 'sm', sm: 'md' }}>
            <Stack gap="md">
              {catalog.isPending ? (
                <Skeleton h={60} radius="md" />
              ) : models.length === 0 ? (
                <Alert color="yellow" title={t('playground.noModels')} data-testid="no-models">
                  <Anchor component={Link} to="/models">
                    {t('playground.browseModels')}
                  </Anchor>
                </Alert>
              ) : (
                <ModelPicker
                  models={models}
                  value={model}
                  onChange={setModel}
                  disabled={busy}
                  aside={
                    <Button variant="default" onClick={toggleParams} aria-expanded={showParams} aria-controls="playground-parameters" data-testid="toggle-parameters">
                      {showParams ? t('playground.params.hide') : t('playground.params.show')}
                    </Button>
                  }
                />
              )}
              <Collapse expanded={showParams} id="playground-parameters">
                <ParametersPanel value={parameters} onChange={setParameters} disabled={busy} />
              </Collapse>
              <MessageList messages={active?.messages ?? []} busy={busy} />
              <Composer busy={busy} disabled={model === null} onSend={(text) => void send(text)} onStop={() => controller.current?.abort()} />
              <Text size="xs" c="dimmed">
                {t('playground.privacy')}
              </Text>
            </Stack>
          </Paper>
        </Grid.Col>
      </Grid>
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title={t('playground.conversations.deleteTitle')} centered>
        <Stack>
          <Text size="sm">{t('playground.conversations.deleteText')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              {t('playground.cancel')}
            </Button>
            <Button
              color="red"
              onClick={() => {
                if (deleting !== null) remove(deleting);
                setDeleting(null);
              }}
              data-testid="conversation-delete-confirm"
            >
              {t('playground.conversations.delete')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
