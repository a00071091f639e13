"""A fake OpenAI-compatible upstream that speaks the real HTTP wire protocol.

Gateway tests need an upstream that behaves like api.openai.com down to the bytes (SSE framing,
chunk shapes, error bodies, aborted connections), yet is deterministic and fast.  The server runs
in a background thread with its own event loop so synchronous and asynchronous tests can share it.

Behaviour is picked by directives embedded in the model name, so the gateway's own model mapping
decides which behaviour a request triggers (e.g. ``gpt-x-chunks-5-delay-20ms``):

- ``chunks-N``           N output tokens (default 5); ``max_tokens``/``max_completion_tokens`` cap it
- ``delay-Nms``          sleep N ms before every token chunk (non-stream: N ms x tokens before answering)
- ``ttft-Nms``           sleep N ms before the first chunk (headers of a stream are sent before it)
- ``fail-NNN``           answer HTTP NNN (4xx/5xx) with an OpenAI error body
- ``hang``               never answer; ends when the client disconnects or the server stops
- ``drop-mid-stream``    stream: half the token chunks, then abort the TCP connection;
                         non-stream: close the connection without any response
- ``no-usage``           omit usage entirely
- ``bad-json``           200 whose body (non-stream) or SSE event data (stream) is not JSON

The embeddings endpoint honours ``fail``, ``hang``, ``drop-mid-stream`` (as a non-stream close),
``no-usage``, ``bad-json``, and sleeps ``ttft + delay`` before answering.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import secrets
import string
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from tests.fakes.server import FakeServer, RecordedRequest, drop_connection

__all__ = [
    "DEFAULT_CHUNKS",
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "DEFAULT_MODELS",
    "SYSTEM_FINGERPRINT",
    "Directives",
    "FakeOpenAIUpstream",
    "RecordedRequest",
    "completion_chunks",
    "completion_text",
    "expected_completion_tokens",
    "expected_embedding",
    "expected_embedding_tokens",
    "expected_prompt_tokens",
    "parse_directives",
]

DEFAULT_CHUNKS: Final = 5
DEFAULT_EMBEDDING_DIMENSIONS: Final = 8
DEFAULT_MODELS: Final[tuple[str, ...]] = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")
SYSTEM_FINGERPRINT: Final = "fp_fakeupstrm"

_ID_ALPHABET: Final = string.ascii_letters + string.digits

# A directive must not be glued to a neighbouring word, so `shanghai` is not `hang`.
_B: Final = r"(?<![A-Za-z0-9])"
_E: Final = r"(?![A-Za-z0-9])"
_CHUNKS_RE: Final = re.compile(_B + r"chunks-(\d+)" + _E)
_DELAY_RE: Final = re.compile(_B + r"delay-(\d+)ms" + _E)
_TTFT_RE: Final = re.compile(_B + r"ttft-(\d+)ms" + _E)
_FAIL_RE: Final = re.compile(_B + r"fail-([45]\d\d)" + _E)
_HANG_RE: Final = re.compile(_B + r"hang" + _E)
_DROP_RE: Final = re.compile(_B + r"drop-mid-stream" + _E)
_NO_USAGE_RE: Final = re.compile(_B + r"no-usage" + _E)
_BAD_JSON_RE: Final = re.compile(_B + r"bad-json" + _E)


@dataclass(frozen=True)
class Directives:
    chunks: int = DEFAULT_CHUNKS
    delay_ms: int = 0
    ttft_ms: int = 0
    fail_status: int | None = None
    hang: bool = False
    drop_mid_stream: bool = False
    no_usage: bool = False
    bad_json: bool = False


def parse_directives(model: str) -> Directives:
    """The behaviour the fake picks for a request naming `model`."""

    def number(pattern: re.Pattern[str], default: int) -> int:
        match = pattern.search(model)
        return int(match.group(1)) if match else default

    fail = _FAIL_RE.search(model)
    return Directives(
        chunks=number(_CHUNKS_RE, DEFAULT_CHUNKS),
        delay_ms=number(_DELAY_RE, 0),
        ttft_ms=number(_TTFT_RE, 0),
        fail_status=int(fail.group(1)) if fail else None,
        hang=_HANG_RE.search(model) is not None,
        drop_mid_stream=_DROP_RE.search(model) is not None,
        no_usage=_NO_USAGE_RE.search(model) is not None,
        bad_json=_BAD_JSON_RE.search(model) is not None,
    )


def _word_count(text: str) -> int:
    return len(text.split())


def _content_words(content: Any) -> int:
    if isinstance(content, str):
        return _word_count(content)
    if isinstance(content, list):
        # Only text parts count: images or audio have no words to count deterministically.
        return sum(
            _word_count(part["text"])
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )
    return 0


def expected_prompt_tokens(body: dict[str, Any]) -> int:
    """The prompt_tokens the fake reports for a chat request body."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(_content_words(m.get("content")) + 3 for m in messages if isinstance(m, dict))


def completion_chunks(n: int) -> list[str]:
    """The content of each token chunk the fake streams for n tokens."""
    return [f"tok{i} " for i in range(n)]


def completion_text(n: int) -> str:
    """The full assistant content the fake generates for n tokens."""
    return "".join(completion_chunks(n))


def _token_cap(body: dict[str, Any]) -> int | None:
    caps = [body[k] for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None]
    return min(caps) if caps else None


def expected_completion_tokens(body: dict[str, Any]) -> int:
    """The completion_tokens the fake reports for a (valid) chat request body."""
    chunks = parse_directives(str(body.get("model", ""))).chunks
    cap = _token_cap(body)
    return chunks if cap is None else min(chunks, cap)


def _embedding_item_text(item: str | list[int]) -> str:
    return item if isinstance(item, str) else ",".join(str(t) for t in item)


def expected_embedding(item: str | list[int], dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS) -> list[float]:
    """The unit-length vector the fake returns for one embeddings input item.

    Values are rounded to float32 so the `float` and `base64` encodings decode to the same numbers.
    """
    seed = _embedding_item_text(item).encode()
    raw: list[float] = []
    counter = 0
    while len(raw) < dimensions:
        digest = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        raw.extend(v / 2**31 - 1.0 for v in struct.unpack(">8I", digest))
        counter += 1
    raw = raw[:dimensions]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in raw]


def _embedding_inputs(value: Any) -> list[str | list[int]] | None:
    """The input items of an embeddings request, or None when the shape is not one OpenAI accepts."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(v, str) for v in value):
        return list(value)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [list(value)]
    if all(
        isinstance(v, list) and v and all(isinstance(t, int) and not isinstance(t, bool) for t in v)
        for v in value
    ):
        return [list(v) for v in value]
    return None


def expected_embedding_tokens(body: dict[str, Any]) -> int:
    """The prompt_tokens the fake reports for an embeddings request: words per string, ids per token list."""
    items = _embedding_inputs(body.get("input")) or []
    return sum(_word_count(i) if isinstance(i, str) else len(i) for i in items)


def _random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(29))


def _dumps(obj: Any) -> str:
    # Compact separators match what OpenAI puts on the wire.
    return json.dumps(obj, separators=(",", ":"))


def _sse(obj: Any) -> bytes:
    return f"data: {_dumps(obj)}\n\n".encode()


def _openai_error(
    status: int,
    message: str,
    error_type: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return web.Response(status=status, text=_dumps(body), content_type="application/json", headers=headers)


def _directed_failure(status: int) -> web.Response:
    if status == 429:
        return _openai_error(
            429,
            "Rate limit reached for requests (fake upstream). Please try again in 1s.",
            "requests",
            code="rate_limit_exceeded",
            headers={"retry-after": "1"},
        )
    if status >= 500:
        return _openai_error(
            status,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
        )
    codes = {401: "invalid_api_key", 404: "model_not_found"}
    return _openai_error(
        status, f"Fake upstream failure {status}.", "invalid_request_error", code=codes.get(status)
    )


def _bad_request(message: str, *, param: str | None = None, code: str | None = None) -> web.Response:
    return _openai_error(400, message, "invalid_request_error", param=param, code=code)


async def _read_json_object(request: web.Request) -> dict[str, Any] | web.Response:
    raw = await request.read()
    try:
        body = json.loads(raw)
    except ValueError:
        return _bad_request(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
            "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
            "not valid JSON.)"
        )
    if not isinstance(body, dict):
        return _bad_request("Invalid type for request body: expected an object.")
    return body


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class FakeOpenAIUpstream(FakeServer):
    """An OpenAI-compatible HTTP server on 127.0.0.1 running in a background thread.

    `requests` records every request in arrival order, before it is answered, so even
    `hang` and `drop-mid-stream` requests show up.
    """

    base_path = "/v1"

    def __init__(
        self, api_key: str | None = "sk-upstream-test", *, models: Sequence[str] = DEFAULT_MODELS
    ) -> None:
        super().__init__(api_key)
        self.models = list(models)

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._retrieve_model)

    def _not_found(self, request: web.Request) -> web.Response:
        # OpenAI answers unknown routes with its JSON error shape, not HTML/plain text.
        return _openai_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")

    def _check_auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        auth = request.headers.get("Authorization", "")
        if auth == f"Bearer {self.api_key}":
            return None
        if not auth:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            presented = auth.removeprefix("Bearer ").strip()
            masked = presented[:3] + "*" * max(len(presented) - 7, 0) + presented[-4:]
            message = f"Incorrect API key provided: {masked}."
        return _openai_error(401, message, "invalid_request_error", code="invalid_api_key")

    # ---------------------------------------------------------------- endpoints

    async def _list_models(self, request: web.Request) -> web.Response:
        if (denied := self._check_auth(request)) is not None:
            return denied
        data = [self._model_object(m) for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _retrieve_model(self, request: web.Request) -> web.Response:
        if (denied := self._check_auth(request)) is not None:
            return denied
        # Any name is "known": directive-laden names are invented per test.
        return web.json_response(self._model_object(request.match_info["model"]))

    @staticmethod
    def _model_object(model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1700000000, "owned_by": "fake-upstream"}

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._check_auth(request)) is not None:
            return denied
        body = await _read_json_object(request)
        if isinstance(body, web.Response):
            return body
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _bad_request("you must provide a model parameter", param="model")
        messages = body.get("messages")
        if messages is None:
            return _bad_request(
                "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
            )
        if not isinstance(messages, list) or not messages:
            return _bad_request(
                "Invalid 'messages': expected a non-empty array.", param="messages", code="invalid_type"
            )
        if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
            return _bad_request(
                "Invalid 'messages': every message must be an object with a 'role'.",
                param="messages",
                code="invalid_type",
            )
        for key in ("max_tokens", "max_completion_tokens"):
            if body.get(key) is not None and not _is_positive_int(body[key]):
                return _bad_request(
                    f"Invalid '{key}': integer below minimum value or not an integer.",
                    param=key,
                    code="integer_below_min_value",
                )
        stream = body.get("stream") is True
        stream_options = body.get("stream_options")
        if stream_options is not None and not stream:
            # The real API refuses this; a gateway leaking stream_options into non-stream calls should fail.
            return _bad_request(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
                code="invalid_value",
            )
        include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True

        directives = parse_directives(model)
        if directives.fail_status is not None:
            return _directed_failure(directives.fail_status)
        if directives.hang:
            return await self._hang(request)

        cap = _token_cap(body)
        n_tokens = directives.chunks if cap is None else min(directives.chunks, cap)
        finish_reason = "length" if cap is not None and cap < directives.chunks else "stop"
        usage = {
            "prompt_tokens": expected_prompt_tokens(body),
            "completion_tokens": n_tokens,
            "total_tokens": expected_prompt_tokens(body) + n_tokens,
        }
        completion_id = _random_id("chatcmpl-")
        created = int(time.time())

        if stream:
            return await self._stream_chat(
                request,
                directives=directives,
                completion_id=completion_id,
                created=created,
                model=model,
                n_tokens=n_tokens,
                finish_reason=finish_reason,
                usage=usage if include_usage and not directives.no_usage else None,
            )

        await asyncio.sleep((directives.ttft_ms + directives.delay_ms * n_tokens) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(
                text='{"id": "chatcmpl-broken", "choices": [<<not json', content_type="application/json"
            )
        completion: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion_text(n_tokens)},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
        }
        if not directives.no_usage:
            completion["usage"] = usage
        return web.Response(text=_dumps(completion), content_type="application/json")

    async def _stream_chat(
        self,
        request: web.Request,
        *,
        directives: Directives,
        completion_id: str,
        created: int,
        model: str,
        n_tokens: int,
        finish_reason: str,
        usage: dict[str, int] | None,
    ) -> web.StreamResponse:
        include_usage = usage is not None

        def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if include_usage:
                # OpenAI marks every chunk but the last with an explicit null when usage was requested.
                payload["usage"] = None
            return _sse(payload)

        response = web.StreamResponse(status=200, headers={"Cache-Control": "no-cache"})
        # The exact header OpenAI sends; clients should match on the media type only.
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        await response.prepare(request)
        try:
            await asyncio.sleep(directives.ttft_ms / 1000)
            if directives.bad_json:
                await response.write(b'data: {"id": "chatcmpl-broken", "choices": [<<not json\n\n')
                await response.write(b"data: [DONE]\n\n")
                await response.write_eof()
                return response
            await response.write(chunk({"role": "assistant", "content": ""}, None))
            dropped_after = n_tokens // 2 if directives.drop_mid_stream else None
            for i, token in enumerate(completion_chunks(n_tokens)):
                if i == dropped_after:
                    break
                await asyncio.sleep(directives.delay_ms / 1000)
                await response.write(chunk({"content": token}, None))
            if dropped_after is not None:
                await drop_connection(request)
                return response
            await response.write(chunk({}, finish_reason))
            if usage is not None:
                await response.write(
                    _sse(
                        {
                            "id": completion_id,
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": model,
                            "system_fingerprint": SYSTEM_FINGERPRINT,
                            "choices": [],
                            "usage": usage,
                        }
                    )
                )
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionError:
            # The client went away mid-stream; that is a scenario under test, not a server error.
            pass
        return response

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._check_auth(request)) is not None:
            return denied
        body = await _read_json_object(request)
        if isinstance(body, web.Response):
            return body
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _bad_request("you must provide a model parameter", param="model")
        if body.get("input") is None:
            return _bad_request(
                "Missing required parameter: 'input'.", param="input", code="missing_required_parameter"
            )
        items = _embedding_inputs(body["input"])
        if items is None:
            return _bad_request(
                "Invalid 'input': expected a string, an array of strings, or token arrays.",
                param="input",
                code="invalid_type",
            )
        dimensions = body.get("dimensions", DEFAULT_EMBEDDING_DIMENSIONS)
        if dimensions is None:
            dimensions = DEFAULT_EMBEDDING_DIMENSIONS
        if not _is_positive_int(dimensions):
            return _bad_request(
                "Invalid 'dimensions': integer below minimum value.",
                param="dimensions",
                code="integer_below_min_value",
            )
        encoding_format = body.get("encoding_format") or "float"
        if encoding_format not in ("float", "base64"):
            return _bad_request(
                f"Invalid value for 'encoding_format': {encoding_format!r}.",
                param="encoding_format",
                code="invalid_value",
            )

        directives = parse_directives(model)
        if directives.fail_status is not None:
            return _directed_failure(directives.fail_status)
        if directives.hang:
            return await self._hang(request)
        await asyncio.sleep((directives.ttft_ms + directives.delay_ms) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(
                text='{"object": "list", "data": [<<not json', content_type="application/json"
            )

        data: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            vector = expected_embedding(item, dimensions)
            embedding: list[float] | str = (
                # The openai SDK asks for base64 by default: little-endian float32, like the real API.
                base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                if encoding_format == "base64"
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        result: dict[str, Any] = {"object": "list", "data": data, "model": model}
        if not directives.no_usage:
            tokens = expected_embedding_tokens(body)
            result["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return web.Response(text=_dumps(result), content_type="application/json")
