from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from modelyard.llm.sse import iter_event_batches

STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    b'data: {"a":1}\n\n'
    b"event: ignored\r\n"
    b'data: {"b":\r\n'
    b"data: 2}\r\n\r\n"
    b'data: {"c":"\xe4\xbd\xa0\xe5\xa5\xbd"}\r\r'
    b"data:[DONE]\n\n"
)
EXPECTED = ['{"a":1}', '{"b":\n2}', '{"c":"你好"}', "[DONE]"]


async def _feed(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def events(parts: list[bytes]) -> list[str]:
    async def collect() -> list[str]:
        return [data async for batch in iter_event_batches(_feed(parts)) for data in batch]

    return asyncio.run(collect())


def test_whole_stream_in_one_read() -> None:
    assert events([STREAM]) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_any_split_point_gives_the_same_events(cut: int) -> None:
    # Reads end anywhere: inside a line, between CR and LF, inside a multi-byte UTF-8 character.
    assert events([STREAM[:cut], STREAM[cut:]]) == EXPECTED


def test_byte_by_byte() -> None:
    assert events([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


def test_last_event_without_blank_line_is_not_lost() -> None:
    assert events([b'data: {"a":1}\n\ndata: tail']) == ['{"a":1}', "tail"]


def test_events_completed_by_one_read_come_as_one_batch() -> None:
    async def batches() -> list[list[str]]:
        return [b async for b in iter_event_batches(_feed([b"data: 1\n\ndata: 2\n\ndata: 3", b"\n\n"]))]

    assert asyncio.run(batches()) == [["1", "2"], ["3"]]
