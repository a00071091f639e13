// The API's error shape, everywhere: {"error": {"code": <HTTP status>, "message", "metadata"}}.

export interface ErrorBody {
  error?: { code?: number; message?: string; metadata?: Record<string, unknown> | null };
}

export class ApiError extends Error {
  readonly status: number;
  readonly metadata: Record<string, unknown>;
  /** From Retry-After on a 429 (or 503), in seconds. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, message: string, metadata: Record<string, unknown> = {}, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.metadata = metadata;
    this.retryAfterSeconds = retryAfter;
  }

  /** The request field the server named as wrong, if any. */
  get field(): string | null {
    const field = this.metadata.field;
    return typeof field === 'string' ? field : null;
  }
}

/** The browser could not reach the server at all. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('The server could not be reached', { cause });
    this.name = 'NetworkError';
  }
}

export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') {
    return null;
  }
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed);
  }
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export function apiError(response: Response, body: unknown): ApiError {
  const error = (body as ErrorBody | undefined)?.error;
  const message =
    typeof error?.message === 'string' && error.message !== '' ? error.message : `${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, message, error?.metadata ?? {}, parseRetryAfter(response.headers.get('Retry-After')));
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call; an ApiError (or NetworkError) otherwise. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    throw new NetworkError(cause);
  }
  if (!result.response.ok || result.error !== undefined) {
    throw apiError(result.response, result.error);
  }
  return result.data as T;
}
