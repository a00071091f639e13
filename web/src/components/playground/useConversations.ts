// The conversations of one account in this browser: read once, written back whenever they change (except
// while an answer streams in: the finished answer is written once).
import { useCallback, useEffect, useState } from 'react';

import { loadStore, newConversation, saveStore, type Conversation, type ConversationStore } from './conversations';

export interface Conversations {
  store: ConversationStore;
  active: Conversation | null;
  select: (id: string) => void;
  create: (model: string | null) => Conversation;
  update: (id: string, change: (conversation: Conversation) => Conversation) => void;
  remove: (id: string) => void;
}

export function useConversations(userId: number): Conversations {
  const [store, setStore] = useState<ConversationStore>(() => loadStore(userId));
  useEffect(() => setStore(loadStore(userId)), [userId]);
  const streaming = store.conversations.some((conversation) => conversation.messages.some((message) => message.state === 'streaming'));
  useEffect(() => {
    if (!streaming) {
      saveStore(userId, store);
    }
  }, [userId, store, streaming]);

  const select = useCallback((id: string) => setStore((current) => ({ ...current, activeId: id })), []);
  const create = useCallback((model: string | null) => {
    const conversation = newConversation(model);
    setStore((current) => ({ ...current, activeId: conversation.id, conversations: [conversation, ...current.conversations] }));
    return conversation;
  }, []);
  const update = useCallback((id: string, change: (conversation: Conversation) => Conversation) => {
    setStore((current) => ({
      ...current,
      conversations: current.conversations.map((conversation) => (conversation.id === id ? change(conversation) : conversation)),
    }));
  }, []);
  const remove = useCallback((id: string) => {
    setStore((current) => {
      const conversations = current.conversations.filter((conversation) => conversation.id !== id);
      return { ...current, conversations, activeId: current.activeId === id ? (conversations[0]?.id ?? null) : current.activeId };
    });
  }, []);
  const active = store.conversations.find((conversation) => conversation.id === store.activeId) ?? null;
  return { store, active, select, create, update, remove };
}
