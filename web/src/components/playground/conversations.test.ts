import { describe, expect, it } from 'vitest';

import { ApiError, NetworkError } from '../../api/errors';
import { apiMessages, exportDocument, loadStore, newConversation, parseStore, saveStore, storageKey, titleFrom, type ConversationStore } from './conversations';
import { answerError, streamAnswerError } from './errors';

describe('conversations in the browser', () => {
  it('are kept per account and read back', () => {
    const conversation = {
      ...newConversation('acme/fast-1', new Date('2026-11-30T10:00:00Z')),
      title: 'Hello',
      messages: [
        { id: 'q', role: 'user' as const, content: 'hello', state: 'done' as const },
        { id: 'a', role: 'assistant' as const, content: 'hi there', state: 'done' as const, meta: { cost: '0.000007', generationId: 'gen-1' } },
      ],
    };
    const store: ConversationStore = { version: 1, activeId: conversation.id, conversations: [conversation] };
    expect(saveStore(7, store)).toBe(true);
    expect(loadStore(7)).toEqual(store);
    expect(loadStore(8).conversations).toEqual([]);
    expect(Object.keys(localStorage)).toEqual([storageKey(7)]);
  });

  it('ignore what does not parse, and end an answer cut off by closing the page', () => {
    expect(parseStore('not json').conversations).toEqual([]);
    expect(parseStore('{"conversations": "nope"}').conversations).toEqual([]);
    const restored = parseStore(
      JSON.stringify({
        activeId: 'missing',
        conversations: [
          { id: 'c1', messages: [{ role: 'assistant', content: 'half', state: 'streaming' }, { role: 'tool', content: 'x' }, 'junk'], temperature: 'hot' },
          { id: 5, messages: [] },
        ],
      }),
    );
    expect(restored.activeId).toBe('c1');
    expect(restored.conversations).toHaveLength(1);
    const [only] = restored.conversations;
    expect(only?.messages).toHaveLength(1);
    expect(only?.messages[0]?.state).toBe('stopped');
    expect(only?.temperature).toBeNull();
    expect(only?.stream).toBe(true);
  });

  it('send the system prompt and the exchange, not failed answers', () => {
    expect(
      apiMessages({
        system: 'Be brief.',
        messages: [
          { id: '1', role: 'user', content: 'one' },
          { id: '2', role: 'assistant', content: '', state: 'error' },
          { id: '3', role: 'user', content: 'two' },
          { id: '4', role: 'assistant', content: 'answer', state: 'stopped' },
        ],
      }),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'answer' },
    ]);
    expect(titleFrom('  First line\nsecond')).toBe('First line');
    expect(titleFrom('x'.repeat(80))).toHaveLength(60);
  });

  it('export as a JSON document', () => {
    const conversation = newConversation(null);
    const document = JSON.parse(exportDocument([conversation], new Date('2026-11-30T00:00:00Z'))) as Record<string, unknown>;
    expect(document).toEqual({ format: 'modelyard-playground', version: 1, exported_at: '2026-11-30T00:00:00.000Z', conversations: [conversation] });
  });
});

describe('answer errors', () => {
  it('say what the person can do', () => {
    expect(answerError(new ApiError(402, 'Insufficient credits')).kind).toBe('credits');
    expect(answerError(new ApiError(429, 'Slow down', {}, 30))).toMatchObject({ kind: 'rateLimit', retryAfterSeconds: 30 });
    expect(answerError(new ApiError(502, 'Provider x returned an error', { provider_name: 'x' }))).toMatchObject({ kind: 'model', provider: 'x', status: 502 });
    expect(answerError(new ApiError(404, 'Model nope does not exist'))).toMatchObject({ kind: 'model' });
    expect(answerError(new ApiError(403, 'Forbidden')).kind).toBe('other');
    expect(answerError(new NetworkError(new TypeError('x'))).kind).toBe('network');
    expect(streamAnswerError({ code: 502, message: 'cut', metadata: { provider_name: 'p' } })).toMatchObject({ kind: 'model', provider: 'p' });
  });
});
