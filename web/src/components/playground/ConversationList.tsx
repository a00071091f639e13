import { Button, Group, NavLink, ScrollArea, Select, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { formatDateTime } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import type { Conversation } from './conversations';

export interface ConversationListProps {
  conversations: Conversation[];
  activeId: string | null;
  busy: boolean;
  onSelect: (id: string) => void;
  onNew: () => void;
  onDelete: (id: string) => void;
  onExport: (all: boolean) => void;
}

/** The conversations kept in this browser: a list beside the chat on wide screens, a menu above it on phones. */
export function ConversationList({ conversations, activeId, busy, onSelect, onNew, onDelete, onExport }: ConversationListProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const title = (conversation: Conversation) => conversation.title || t('playground.conversations.untitled');
  const sorted = [...conversations].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const actions = (
    <Group gap="xs" wrap="wrap">
      <Button size="xs" onClick={onNew} disabled={busy} data-testid="conversation-new">
        {t('playground.conversations.new')}
      </Button>
      <Button size="xs" variant="default" onClick={() => onExport(false)} disabled={activeId === null} data-testid="conversation-export">
        {t('playground.conversations.export')}
      </Button>
      <Button size="xs" variant="default" onClick={() => onExport(true)} disabled={conversations.length === 0} data-testid="conversation-export-all">
        {t('playground.conversations.exportAll')}
      </Button>
      <Button
        size="xs"
        variant="subtle"
        color="red"
        onClick={() => activeId !== null && onDelete(activeId)}
        disabled={activeId === null || busy}
        data-testid="conversation-delete"
      >
        {t('playground.conversations.delete')}
      </Button>
    </Group>
  );
  return (
    <Stack gap="sm" component="section" aria-label={t('playground.conversations.title')}>
      <Stack gap={6} hiddenFrom="md">
        <Select
          label={t('playground.conversations.title')}
          data={sorted.map((conversation) => ({ value: conversation.id, label: title(conversation) }))}
          value={activeId}
          onChange={(id) => id && onSelect(id)}
          allowDeselect={false}
          disabled={busy}
          placeholder={t('playground.conversations.none')}
        />
        {actions}
      </Stack>
      <Stack gap="sm" visibleFrom="md">
        <Text size="sm" fw={700}>
          {t('playground.conversations.title')}
        </Text>
        {actions}
        <ScrollArea.Autosize mah={520} type="auto">
          <Stack gap={2} component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
            {sorted.length === 0 && (
              // Inside the list, as its one item: a <ul> may hold only <li> (axe: "list").
              <Text size="sm" c="dimmed" component="li">
                {t('playground.conversations.none')}
              </Text>
            )}
            {sorted.map((conversation) => (
              <li key={conversation.id}>
                <NavLink
                  component="button"
                  label={title(conversation)}
                  description={formatDateTime(conversation.updatedAt, locale)}
                  active={conversation.id === activeId}
                  aria-current={conversation.id === activeId ? 'true' : undefined}
                  onClick={() => onSelect(conversation.id)}
                  disabled={busy && conversation.id !== activeId}
                  data-testid="conversation-item"
                  styles={{ label: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } }}
                />
              </li>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Stack>
    </Stack>
  );
}
