"""Server-sent events: a decoder for upstream streams and the encoder for ours."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

DONE = "[DONE]"
DONE_EVENT = b"data: [DONE]\n\n"


def encode_data(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def encode_comment(text: str) -> bytes:
    return b": " + text.encode() + b"\n\n"


async def iter_data(lines: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """Yields the `data` of each event. Follows the SSE rules that matter for LLM streams: several `data:`
    lines in one event are joined with newlines, comments (`:`) and other fields are ignored, and an event
    ends at a blank line (or at the end of the stream)."""
    buffer: list[str] = []
    async for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith("data:"):
            value = line[5:]
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        yield "\n".join(buffer)
