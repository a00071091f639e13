import { describe, expect, it } from 'vitest';

import { chatStreamEvents, readChatStream, SseParser, type ChatStreamEvent } from './sse';

function streamOf(parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) {
        controller.enqueue(typeof part === 'string' ? encoder.encode(part) : part);
      }
      controller.close();
    },
  });
}

async function eventsOf(parts: (string | Uint8Array)[]): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  await readChatStream(streamOf(parts), (event) => events.push(event));
  return events;
}

const chunk = (content: string) => JSON.stringify({ id: 'gen-1', model: 'acme/fast-1', provider: 'p', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const FINAL = JSON.stringify({
  id: 'gen-1',
  model: 'acme/fast-1',
  provider: 'p',
  choices: [],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.000007 },
});

describe('the SSE parser', () => {
  it('joins events split anywhere, across lines and reads', () => {
    const parser = new SseParser();
    expect(parser.feed('da')).toEqual([]);
    expect(parser.feed('ta: {"a"')).toEqual([]);
    expect(parser.feed(':1}\n')).toEqual([]);
    expect(parser.feed('\ndata: second\n\n')).toEqual(['{"a":1}', 'second']);
  });

  it('follows the line rules: CRLF and CR, several data lines, comments, other fields, no space', () => {
    const parser = new SseParser();
    expect(parser.feed(': OPENROUTER PROCESSING\r\n\r\n')).toEqual([]);
    expect(parser.feed('event: message\r\ndata: one\r\ndata:two\r\nid: 7\r\n\r\n')).toEqual(['one\ntwo']);
    expect(parser.feed('data: cr\r')).toEqual([]);
    expect(parser.feed('\r')).toEqual(['cr']);
    // A CRLF split between two reads is one line end, not two.
    expect(parser.feed('data: split\r')).toEqual([]);
    expect(parser.feed('\ndata: more\r\n\r\n')).toEqual(['split\nmore']);
  });

  it('ends an event left open when the stream ends', () => {
    const parser = new SseParser();
    expect(parser.feed('data: last')).toEqual([]);
    expect(parser.finish()).toEqual(['last']);
  });
});

describe('chat stream events', () => {
  it('reads text, the finish reason, the usage with its cost and [DONE]', async () => {
    const events = await eventsOf([
      ': OPENROUTER PROCESSING\n\n',
      `data: ${chunk('Hel')}\n\n`,
      `data: ${chunk('lo')}\n\ndata: ${JSON.stringify({ id: 'gen-1', choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`,
      `data: ${FINAL}\n\ndata: [DONE]\n\n`,
    ]);
    const text = events.flatMap((event) => (event.type === 'delta' ? [event.content] : [])).join('');
    expect(text).toBe('Hello');
    expect(events.filter((event) => event.type === 'finish')).toEqual([{ type: 'finish', reason: 'stop' }]);
    expect(events.find((event) => event.type === 'usage')).toEqual({
      type: 'usage',
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.000007 },
    });
    expect(events[events.length - 1]).toEqual({ type: 'done' });
  });

  it('survives chunks split mid-event and mid-character', async () => {
    const whole = `data: ${chunk('你好')}\n\ndata: ${FINAL}\n\ndata: [DONE]\n\n`;
    const bytes = new TextEncoder().encode(whole);
    // One byte per read: every split there is, including inside the three bytes of 你 and 好.
    const parts = Array.from(bytes, (byte) => new Uint8Array([byte]));
    const events = await eventsOf(parts);
    expect(events.filter((event) => event.type === 'delta')).toEqual([{ type: 'delta', content: '你好', reasoning: '' }]);
    expect(events.some((event) => event.type === 'usage')).toBe(true);
    expect(events[events.length - 1]).toEqual({ type: 'done' });
  });

  it('stops at [DONE] and ignores anything after it', async () => {
    const events = await eventsOf([`data: ${chunk('a')}\n\ndata: [DONE]\n\ndata: ${chunk('never')}\n\n`]);
    expect(events.filter((event) => event.type === 'delta')).toHaveLength(1);
  });

  it('reports an error the server sent after the answer began', async () => {
    const error = JSON.stringify({
      id: 'gen-1',
      error: { code: 502, message: 'Provider p failed mid-stream: cut off', metadata: { provider_name: 'p' } },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    });
    const events = await eventsOf([`data: ${chunk('partial')}\n\n`, `data: ${error}\n\n`]);
    expect(events.find((event) => event.type === 'error')).toEqual({
      type: 'error',
      error: { code: 502, message: 'Provider p failed mid-stream: cut off', metadata: { provider_name: 'p' } },
    });
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });

  it('marks data that is not JSON, and reads reasoning apart from the answer', () => {
    expect(chatStreamEvents('not json')).toEqual([{ type: 'invalid', data: 'not json' }]);
    expect(chatStreamEvents(JSON.stringify({ choices: [{ delta: { reasoning: 'think', content: '' } }] }))).toEqual([
      { type: 'delta', content: '', reasoning: 'think' },
    ]);
  });
});
