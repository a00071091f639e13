// Server-sent events of a chat completion stream, read with fetch + ReadableStream (no library): the bytes
// become events however the network splits them (mid-line, mid-event, mid-character), and each event's data
// becomes what the playground shows: text as it arrives, the finish reason, the usage with its cost, an error
// the server sent after the first byte, and the end ([DONE]).
//
// The rules followed (the SSE standard's, as src/modelyard/llm/sse.py decodes them): lines end in LF, CRLF or
// CR; a blank line ends an event; several `data:` lines are joined with newlines; one space after the colon is
// dropped; comments (`:` lines, such as ": OPENROUTER PROCESSING") and other fields are ignored.

export const DONE = '[DONE]';

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private sawCr = false;

  /** The data of each event completed by this text. */
  feed(text: string): string[] {
    const events: string[] = [];
    let chunk = text;
    // A CRLF split across two reads: the LF belongs to the CR already taken as a line end.
    if (this.sawCr && chunk.startsWith('\n')) {
      chunk = chunk.slice(1);
    }
    this.sawCr = false;
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') {
        continue;
      }
      const line = this.buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.sawCr = true;
        }
      }
      start = i + 1;
      this.line(line, events);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The stream ended: an event still open counts (a server may end without the last blank line). */
  finish(): string[] {
    const events: string[] = [];
    if (this.buffer !== '') {
      this.line(this.buffer, events);
      this.buffer = '';
    }
    this.line('', events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        events.push(this.data.join('\n'));
        this.data = [];
      }
      return;
    }
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'data') {
      this.data.push(value);
    }
  }
}

export interface StreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  /** USD, as a JSON number (OpenRouter's usage.cost). */
  cost?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface StreamError {
  code: number;
  message: string;
  metadata?: Record<string, unknown> | null;
}

export type ChatStreamEvent =
  | { type: 'meta'; id?: string; model?: string; provider?: string }
  | { type: 'delta'; content: string; reasoning: string }
  | { type: 'finish'; reason: string }
  | { type: 'usage'; usage: StreamUsage }
  | { type: 'error'; error: StreamError }
  | { type: 'done' }
  | { type: 'invalid'; data: string };

interface ChunkChoice {
  delta?: { content?: string | null; reasoning?: string | null } | null;
  message?: { content?: string | null } | null;
  finish_reason?: string | null;
}

interface Chunk {
  id?: string;
  model?: string;
  provider?: string;
  choices?: ChunkChoice[];
  usage?: StreamUsage | null;
  error?: Partial<StreamError> | null;
}

/** What one event's data says. */
export function chatStreamEvents(data: string): ChatStreamEvent[] {
  if (data.trim() === DONE) {
    return [{ type: 'done' }];
  }
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    return [{ type: 'invalid', data }];
  }
  if (typeof chunk !== 'object' || chunk === null) {
    return [{ type: 'invalid', data }];
  }
  const events: ChatStreamEvent[] = [];
  if (chunk.id !== undefined || chunk.model !== undefined || chunk.provider !== undefined) {
    events.push({ type: 'meta', id: chunk.id, model: chunk.model, provider: chunk.provider });
  }
  if (chunk.error) {
    events.push({
      type: 'error',
      error: { code: Number(chunk.error.code ?? 0), message: String(chunk.error.message ?? ''), metadata: chunk.error.metadata ?? null },
    });
    return events;
  }
  for (const choice of chunk.choices ?? []) {
    const content = choice.delta?.content ?? choice.message?.content ?? '';
    const reasoning = choice.delta?.reasoning ?? '';
    if (content !== '' || reasoning !== '') {
      events.push({ type: 'delta', content, reasoning });
    }
    if (choice.finish_reason) {
      events.push({ type: 'finish', reason: choice.finish_reason });
    }
  }
  if (chunk.usage) {
    events.push({ type: 'usage', usage: chunk.usage });
  }
  return events;
}

/** Reads a response body to its end (or [DONE]), calling `onEvent` for each event as it arrives. */
export async function readChatStream(body: ReadableStream<Uint8Array>, onEvent: (event: ChatStreamEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const emit = (datas: string[]): boolean => {
    for (const data of datas) {
      for (const event of chatStreamEvents(data)) {
        onEvent(event);
        if (event.type === 'done') {
          return true;
        }
      }
    }
    return false;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      emit(parser.feed(decoder.decode()));
      emit(parser.finish());
      return;
    }
    if (emit(parser.feed(decoder.decode(value, { stream: true })))) {
      // Nothing follows [DONE]: let the connection go.
      await reader.cancel().catch(() => undefined);
      return;
    }
  }
}
