// The playground's calls: a chat through the signed-in session (POST /api/playground/chat/completions, the body
// of /v1/chat/completions; the page never holds an API key), streamed or whole, timed in the browser; and the
// balance it spends from. The request goes through apiFetch, which adds the CSRF header and refreshes an
// expired session once.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';

import { api, apiFetch } from './client';
import { ApiError, NetworkError, apiError, unwrap } from './errors';
import { readChatStream, type StreamError, type StreamUsage } from './sse';
import type { components } from './schema';

export const PLAYGROUND_PATH = '/api/playground/chat/completions';

export type Balance = components['schemas']['BalanceOut'];

export interface ChatMessageIn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessageIn[];
  stream: boolean;
  temperature?: number;
  max_tokens?: number;
}

export interface ChatProgress {
  /** The answer so far. */
  content: string;
  reasoning: string;
  /** Milliseconds from sending to the first text (null until it arrives). */
  ttftMs: number | null;
}

export interface ChatResult extends ChatProgress {
  generationId: string | null;
  model: string | null;
  provider: string | null;
  finishReason: string | null;
  usage: StreamUsage | null;
  /** Milliseconds from sending to the last byte. */
  latencyMs: number;
  /** An error the server sent after the answer had begun (the HTTP status was already 200). */
  streamError: StreamError | null;
  /** The caller stopped it. */
  stopped: boolean;
}

interface CompletionBody {
  id?: string;
  model?: string;
  provider?: string;
  choices?: { message?: { content?: string | null; reasoning?: string | null } | null; finish_reason?: string | null }[];
  usage?: StreamUsage | null;
}

export interface SendOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ChatProgress) => void;
  /** For tests: the clock (milliseconds). */
  now?: () => number;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : error instanceof Error && error.name === 'AbortError';
}

/** Sends one chat. Throws ApiError for a refusal (402, 429, a model's error before the answer began) and
 * NetworkError when the server cannot be reached; a stop (abort) resolves with what had arrived. */
export async function sendChat(request: ChatRequest, options: SendOptions = {}): Promise<ChatResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const result: ChatResult = {
    content: '',
    reasoning: '',
    ttftMs: null,
    generationId: null,
    model: null,
    provider: null,
    finishReason: null,
    usage: null,
    latencyMs: 0,
    streamError: null,
    stopped: false,
  };
  const finish = (): ChatResult => ({ ...result, latencyMs: Math.round(now() - started) });
  let response: Response;
  try {
    response = await apiFetch(
      new Request(new URL(PLAYGROUND_PATH, window.location.origin), {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json', Accept: request.stream ? 'text/event-stream' : 'application/json' },
        body: JSON.stringify(request),
        signal: options.signal,
      }),
    );
  } catch (cause) {
    if (isAbort(cause)) {
      return { ...finish(), stopped: true };
    }
    throw new NetworkError(cause);
  }
  result.generationId = response.headers.get('X-Generation-Id');
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw apiError(response, body);
  }
  const firstText = () => {
    if (result.ttftMs === null) {
      result.ttftMs = Math.round(now() - started);
    }
  };
  const streamed = (response.headers.get('Content-Type') ?? '').includes('text/event-stream');
  try {
    if (streamed && response.body !== null) {
      await readChatStream(response.body, (event) => {
        switch (event.type) {
          case 'meta':
            result.generationId ??= event.id ?? null;
            result.model = event.model ?? result.model;
            result.provider = event.provider ?? result.provider;
            break;
          case 'delta':
            firstText();
            result.content += event.content;
            result.reasoning += event.reasoning;
            options.onProgress?.({ content: result.content, reasoning: result.reasoning, ttftMs: result.ttftMs });
            break;
          case 'finish':
            result.finishReason = event.reason;
            break;
          case 'usage':
            result.usage = event.usage;
            break;
          case 'error':
            result.streamError = event.error;
            break;
          default:
            break;
        }
      });
    } else {
      const body = (await response.json()) as CompletionBody;
      firstText();
      const choice = body.choices?.[0];
      result.generationId ??= body.id ?? null;
      result.model = body.model ?? null;
      result.provider = body.provider ?? null;
      result.content = choice?.message?.content ?? '';
      result.reasoning = choice?.message?.reasoning ?? '';
      result.finishReason = choice?.finish_reason ?? null;
      result.usage = body.usage ?? null;
      options.onProgress?.({ content: result.content, reasoning: result.reasoning, ttftMs: result.ttftMs });
    }
  } catch (cause) {
    if (isAbort(cause) || options.signal?.aborted) {
      return { ...finish(), stopped: true };
    }
    if (cause instanceof ApiError) {
      throw cause;
    }
    // The connection broke mid-answer: keep what arrived, say why it stopped.
    result.streamError = { code: 0, message: cause instanceof Error ? cause.message : String(cause) };
  }
  return finish();
}

export const playgroundKeys = {
  balance: ['balance', 'summary'] as const,
};

export function useBalance() {
  return useQuery<Balance>({
    queryKey: playgroundKeys.balance,
    queryFn: () => unwrap(api.GET('/api/balance')),
    staleTime: 10_000,
  });
}

/** After an answer: the balance, the activity and key usage it changed are read again, now and once more a
 * moment later (the server settles charges in batches, off the request's path). */
export function useAfterAnswer(): () => void {
  const client = useQueryClient();
  return useCallback(() => {
    const refresh = () =>
      void client.invalidateQueries({ predicate: (query) => ['balance', 'credits', 'activity', 'keys'].includes(String(query.queryKey[0])) });
    refresh();
    window.setTimeout(refresh, 1500);
  }, [client]);
}
