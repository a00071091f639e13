// What went wrong with an answer, sorted into what the person can do about it: add credits (402), wait (429),
// pick another model or fix the request (the model's or the provider's error), check the connection.
import { ApiError, NetworkError } from '../../api/errors';
import type { StreamError } from '../../api/sse';
import type { AnswerError } from './conversations';

function provider(metadata: Record<string, unknown> | null | undefined): string | null {
  const name = metadata?.provider_name;
  return typeof name === 'string' && name !== '' ? name : null;
}

export function answerError(error: unknown): AnswerError {
  if (error instanceof NetworkError) {
    return { kind: 'network', status: 0, message: error.message };
  }
  if (error instanceof ApiError) {
    const base = { status: error.status, message: error.message, provider: provider(error.metadata) };
    if (error.status === 402) return { ...base, kind: 'credits' };
    if (error.status === 429) return { ...base, kind: 'rateLimit', retryAfterSeconds: error.retryAfterSeconds };
    if (error.status === 401 || error.status === 403) return { ...base, kind: 'other' };
    return { ...base, kind: 'model' };
  }
  return { kind: 'other', status: 0, message: error instanceof Error ? error.message : String(error) };
}

/** An error the server sent inside the stream, after the answer had begun. */
export function streamAnswerError(error: StreamError): AnswerError {
  const base = { status: error.code, message: error.message, provider: provider(error.metadata) };
  if (error.code === 402) return { ...base, kind: 'credits' };
  if (error.code === 429) return { ...base, kind: 'rateLimit' };
  if (error.code === 0) return { ...base, kind: 'network' };
  return { ...base, kind: 'model' };
}
