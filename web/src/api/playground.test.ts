import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError, NetworkError } from './errors';
import { PLAYGROUND_PATH, sendChat } from './playground';

const encoder = new TextEncoder();

function sseResponse(parts: string[], { hold = false }: { hold?: boolean } = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      parts.forEach((part) => controller.enqueue(encoder.encode(part)));
      if (!hold) controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'X-Generation-Id': 'gen-42' } });
}

function delta(content: string): string {
  return `data: ${JSON.stringify({ id: 'gen-42', model: 'acme/fast-1', provider: 'web-fake-1', choices: [{ delta: { content } }] })}\n\n`;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sendChat', () => {
  it('posts the body with the CSRF header and times the streamed answer', async () => {
    document.cookie = 'my_csrf=token-1; path=/';
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      sseResponse([
        delta('Hel'),
        delta('lo'),
        `data: ${JSON.stringify({ id: 'gen-42', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, cost: 0.000007 } })}\n\n`,
        'data: [DONE]\n\n',
      ]),
    );
    let clock = 1000;
    const progress: string[] = [];
    const result = await sendChat(
      { model: 'acme/fast-1', messages: [{ role: 'user', content: 'hi' }], stream: true },
      {
        now: () => (clock += 100),
        onProgress: (p) => progress.push(p.content),
      },
    );
    const request = fetchMock.mock.calls[0]?.[0] as Request;
    expect(new URL(request.url).pathname).toBe(PLAYGROUND_PATH);
    expect(request.method).toBe('POST');
    expect(request.headers.get('X-CSRF-Token')).toBe('token-1');
    expect(await request.json()).toEqual({ model: 'acme/fast-1', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(progress).toEqual(['Hel', 'Hello']);
    expect(result.content).toBe('Hello');
    expect(result.generationId).toBe('gen-42');
    expect(result.provider).toBe('web-fake-1');
    expect(result.usage?.cost).toBe(0.000007);
    expect(result.ttftMs).toBe(100);
    expect(result.latencyMs).toBeGreaterThan(result.ttftMs ?? 0);
    expect(result.stopped).toBe(false);
  });

  it('turns a refusal into an ApiError with the status and the server message', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ error: { code: 402, message: 'Insufficient credits.', metadata: { error_type: 'payment_required' } } }), {
        status: 402,
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    const failure = sendChat({ model: 'm', messages: [], stream: true });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 402, message: 'Insufficient credits.' });
  });

  it('reads Retry-After of a 429, and a network failure as NetworkError', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValueOnce(
      new Response(JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded' } }), { status: 429, headers: { 'Retry-After': '12' } }),
    );
    await expect(sendChat({ model: 'm', messages: [], stream: false })).rejects.toMatchObject({ status: 429, retryAfterSeconds: 12 });
    vi.spyOn(globalThis, 'fetch').mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(sendChat({ model: 'm', messages: [], stream: false })).rejects.toBeInstanceOf(NetworkError);
  });

  it('keeps what arrived when stopped', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const request = input as Request;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(delta('partial')));
          request.signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    });
    const abort = new AbortController();
    const pending = sendChat(
      { model: 'm', messages: [], stream: true },
      { signal: abort.signal, onProgress: () => abort.abort() },
    );
    const result = await pending;
    expect(result.stopped).toBe(true);
    expect(result.content).toBe('partial');
  });

  it('reads a whole (not streamed) answer', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        JSON.stringify({
          id: 'gen-7',
          model: 'acme/fast-1',
          provider: 'p',
          choices: [{ message: { role: 'assistant', content: 'Whole answer' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 2, cost: 0.00000001 },
        }),
        { status: 200, headers: { 'Content-Type': 'application/json' } },
      ),
    );
    const result = await sendChat({ model: 'acme/fast-1', messages: [], stream: false });
    expect(result.content).toBe('Whole answer');
    expect(result.finishReason).toBe('stop');
    expect(result.generationId).toBe('gen-7');
    expect(result.usage?.cost).toBe(0.00000001);
  });
});
