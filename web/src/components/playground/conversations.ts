// The playground's conversations, kept in this browser (localStorage, one list per account): messages, the
// model and the parameters, and each answer's cost and timings. Never a token, a key or a cookie: the chat
// goes through the session, so there is none here to keep.
import type { ChatMessageIn } from '../../api/playground';

export const STORAGE_PREFIX = 'modelyard-playground';
export const MAX_CONVERSATIONS = 50;
const VERSION = 1;

const ERROR_KINDS = ['credits', 'rateLimit', 'model', 'network', 'other'] as const;
export type AnswerErrorKind = (typeof ERROR_KINDS)[number];

export interface AnswerError {
  kind: AnswerErrorKind;
  status: number;
  message: string;
  retryAfterSeconds?: number | null;
  provider?: string | null;
}

export interface AnswerMeta {
  generationId?: string | null;
  model?: string | null;
  provider?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** USD, exact decimal string. */
  cost?: string | null;
  latencyMs?: number | null;
  ttftMs?: number | null;
  finishReason?: string | null;
}

export type MessageState = 'streaming' | 'done' | 'stopped' | 'error';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  reasoning?: string;
  state?: MessageState;
  meta?: AnswerMeta;
  error?: AnswerError;
}

export interface Conversation {
  id: string;
  title: string;
  model: string | null;
  system: string;
  /** null: the model's default. */
  temperature: number | null;
  maxTokens: number | null;
  stream: boolean;
  messages: ChatMessage[];
  createdAt: string;
  updatedAt: string;
}

export interface ConversationStore {
  version: typeof VERSION;
  activeId: string | null;
  conversations: Conversation[];
}

export function storageKey(userId: number): string {
  return `${STORAGE_PREFIX}:${userId}`;
}

export function newId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function newConversation(model: string | null, now: Date = new Date()): Conversation {
  return {
    id: newId(),
    title: '',
    model,
    system: '',
    temperature: null,
    maxTokens: null,
    stream: true,
    messages: [],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/** A title from the first question: its first line, cut at 60 characters. */
export function titleFrom(text: string): string {
  const line = text.trim().split(/\r?\n/)[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function message(value: unknown): ChatMessage | null {
  if (!isObject(value) || (value.role !== 'user' && value.role !== 'assistant')) {
    return null;
  }
  const state = value.state;
  const restored: ChatMessage = {
    id: str(value.id) || newId(),
    role: value.role,
    content: str(value.content),
  };
  if (typeof value.reasoning === 'string' && value.reasoning !== '') restored.reasoning = value.reasoning;
  // An answer still streaming when the page closed was cut off there.
  if (state === 'streaming') restored.state = 'stopped';
  else if (state === 'done' || state === 'stopped' || state === 'error') restored.state = state;
  if (isObject(value.meta)) restored.meta = value.meta as AnswerMeta;
  if (isObject(value.error)) {
    const error = value.error;
    restored.error = {
      kind: ERROR_KINDS.find((kind) => kind === error.kind) ?? 'other',
      status: num(error.status) ?? 0,
      message: str(error.message),
      retryAfterSeconds: num(error.retryAfterSeconds),
      provider: typeof error.provider === 'string' ? error.provider : null,
    };
  }
  return restored;
}

function conversation(value: unknown): Conversation | null {
  if (!isObject(value) || typeof value.id !== 'string' || !Array.isArray(value.messages)) {
    return null;
  }
  const now = new Date().toISOString();
  return {
    id: value.id,
    title: str(value.title),
    model: typeof value.model === 'string' ? value.model : null,
    system: str(value.system),
    temperature: num(value.temperature),
    maxTokens: num(value.maxTokens),
    stream: value.stream !== false,
    messages: value.messages.map(message).filter((m): m is ChatMessage => m !== null),
    createdAt: str(value.createdAt, now),
    updatedAt: str(value.updatedAt, now),
  };
}

/** What was kept, checked field by field (anything else in storage is ignored, never trusted). */
export function parseStore(raw: string | null): ConversationStore {
  const empty: ConversationStore = { version: VERSION, activeId: null, conversations: [] };
  if (raw === null) {
    return empty;
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (!isObject(value) || !Array.isArray(value.conversations)) {
      return empty;
    }
    const conversations = value.conversations.map(conversation).filter((c): c is Conversation => c !== null);
    const activeId = typeof value.activeId === 'string' && conversations.some((c) => c.id === value.activeId) ? value.activeId : (conversations[0]?.id ?? null);
    return { version: VERSION, activeId, conversations };
  } catch {
    return empty;
  }
}

export function loadStore(userId: number, storage: Storage = localStorage): ConversationStore {
  try {
    return parseStore(storage.getItem(storageKey(userId)));
  } catch {
    return parseStore(null);
  }
}

/** Keeps the newest conversations (by last change), at most MAX_CONVERSATIONS. */
export function saveStore(userId: number, store: ConversationStore, storage: Storage = localStorage): boolean {
  const conversations = [...store.conversations].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, MAX_CONVERSATIONS);
  try {
    storage.setItem(storageKey(userId), JSON.stringify({ ...store, conversations }));
    return true;
  } catch {
    return false; // storage full or refused: the conversations last until the page is closed
  }
}

/** The messages the model is sent: the system prompt, then every question and every answer that has text. */
export function apiMessages(conversation: Pick<Conversation, 'system' | 'messages'>): ChatMessageIn[] {
  const messages: ChatMessageIn[] = [];
  if (conversation.system.trim() !== '') {
    messages.push({ role: 'system', content: conversation.system });
  }
  for (const item of conversation.messages) {
    if (item.role === 'user' || (item.content !== '' && item.state !== 'error')) {
      messages.push({ role: item.role, content: item.content });
    }
  }
  return messages;
}

/** A conversation (or all) as a JSON document to download. */
export function exportDocument(conversations: Conversation[], exportedAt: Date = new Date()): string {
  return JSON.stringify({ format: 'modelyard-playground', version: VERSION, exported_at: exportedAt.toISOString(), conversations }, null, 2);
}
