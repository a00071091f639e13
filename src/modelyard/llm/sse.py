"""Server-sent events: a decoder for upstream streams and the encoders for ours."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

DONE = "[DONE]"
DONE_EVENT = b"data: [DONE]\n\n"


# OpenRouter's keep-alive: a comment line every SSE client ignores.
KEEPALIVE_EVENT = b": OPENROUTER PROCESSING\n\n"


def encode_data(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


class SseDecoder:
    """Decodes an SSE byte stream into the `data` of each event, fed whatever bytes have arrived.

    Follows the SSE rules that matter for LLM streams: several `data:` lines in one event are joined with
    newlines, comments (`:`) and other fields are ignored, lines may end in LF, CRLF or CR, and an event ends
    at a blank line (or at the end of the stream). Pure and synchronous, so a caller may wait for bytes with
    a timeout and never lose a half-received event."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []

    def feed(self, received: bytes) -> list[str]:
        """The data of every event these bytes complete, in order."""
        buffer = self._buffer + received
        if b"\r" in buffer:
            # A lone CR at the end may be the first half of a CRLF still on its way.
            held = buffer.endswith(b"\r")
            body = buffer[:-1] if held else buffer
            buffer = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if held else b"")
        complete, separator, rest = buffer.rpartition(b"\n")
        if not separator:
            self._buffer = buffer
            return []
        self._buffer = rest
        events: list[str] = []
        for line in complete.decode("utf-8").split("\n"):
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
            elif line.startswith("data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(" ") else value)
        return events

    def finish(self) -> list[str]:
        """At the end of the stream: an event still open counts, as browsers' EventSource counts it."""
        tail = self._buffer.decode("utf-8").rstrip("\r\n")
        self._buffer = b""
        if tail.startswith("data:"):
            value = tail[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
        events = ["\n".join(self._data)] if self._data else []
        self._data = []
        return events


async def iter_event_batches(chunks: AsyncIterable[bytes]) -> AsyncIterator[list[str]]:
    """The events of a byte stream, one batch per read that completes any."""
    decoder = SseDecoder()
    async for received in chunks:
        batch = decoder.feed(received)
        if batch:
            yield batch
    tail = decoder.finish()
    if tail:
        yield tail
