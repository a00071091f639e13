"""Server-sent events: a decoder for upstream streams and the encoder for ours."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

DONE = "[DONE]"
DONE_EVENT = b"data: [DONE]\n\n"


def encode_data(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


async def iter_event_batches(chunks: AsyncIterable[bytes]) -> AsyncIterator[list[str]]:
    """Yields the `data` of each event, in batches: whatever bytes have arrived are read at once and every
    event they complete is yielded together, so a burst of events costs one wake-up, not one per line.

    Follows the SSE rules that matter for LLM streams: several `data:` lines in one event are joined with
    newlines, comments (`:`) and other fields are ignored, lines may end in LF, CRLF or CR, and an event ends
    at a blank line (or at the end of the stream)."""
    buffer = b""
    data: list[str] = []
    async for received in chunks:
        buffer += received
        if b"\r" in buffer:
            # A lone CR at the end may be the first half of a CRLF still on its way.
            held = buffer.endswith(b"\r")
            body = buffer[:-1] if held else buffer
            buffer = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if held else b"")
        complete, separator, rest = buffer.rpartition(b"\n")
        if not separator:
            continue
        buffer = rest
        batch: list[str] = []
        for line in complete.decode("utf-8").split("\n"):
            if not line:
                if data:
                    batch.append("\n".join(data))
                    data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
        if batch:
            yield batch
    tail = buffer.decode("utf-8").rstrip("\r\n")
    if tail.startswith("data:"):
        value = tail[5:]
        data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield ["\n".join(data)]
