"""A fake OpenAI-compatible upstream that speaks the real HTTP wire protocol.

Gateway tests need an upstream that behaves like api.openai.com down to the bytes (SSE framing,
chunk shapes, error bodies, aborted connections), yet is deterministic and fast.  The server runs
in a background thread with its own event loop so synchronous and asynchronous tests can share it.

Behaviour is picked by directives embedded in the model name, so the gateway's own model mapping
decides which behaviour a request triggers (e.g. ``gpt-x-chunks-5-delay-20ms``):

- ``chunks-N``           N output tokens (default 5); ``max_tokens``/``max_completion_tokens`` cap it
- ``delay-Nms``          sleep N ms before every content chunk (non-stream: N ms x chunks before answering)
- ``ttft-Nms``           sleep N ms before the first chunk (headers of a stream are sent before it)
- ``fail-NNN``           answer HTTP NNN (4xx/5xx) with an OpenAI error body
- ``hang``               never answer; ends when the client disconnects or the server stops
- ``drop-mid-stream``    stream: half the content chunks, then abort the TCP connection;
                         non-stream: close the connection without any response
- ``no-usage``           omit usage entirely
- ``bad-json``           200 whose body (non-stream) or SSE event data (stream) is not JSON
- ``tools-2``            a tool-calling reply makes two parallel calls (Paris, then Tokyo)
- ``no-stream-options``  reject any request carrying ``stream_options``, like some OpenAI-compatible
                         servers do

Which chat reply is given (first rule that matches; see `expected_chat_reply`):

a. last message is a ``tool`` (or legacy ``function``) result: the text ``result: <content>``;
b. ``tools`` offered and ``tool_choice`` is not ``"none"``: tool calls with ``{"city": "Paris"}``;
c. ``response_format`` asks for JSON: the text ``{"city": "Paris"}``;
d. otherwise ``completion_chunks(N)``, capped by the max-tokens fields.

``POST /v1/completions`` (legacy) answers rule d per prompt, capped by ``max_tokens`` (default 16).
The embeddings endpoint honours ``fail``, ``hang``, ``drop-mid-stream`` (as a non-stream close),
``no-usage``, ``bad-json``, and sleeps ``ttft + delay`` before answering.

Every answer carries an ``x-request-id`` header (recorded in ``issued_request_ids``) and every answer
that reports usage appends ``(prompt_tokens, completion_tokens)`` to ``usages``.

Subclasses speaking a variant of this protocol (Azure OpenAI) override the ``_`` hooks in the
"variant hooks" section instead of copying handlers.
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
from typing import Any, Final, Literal

from aiohttp import web

from tests.fakes.server import FakeServer, RecordedRequest, drop_connection

__all__ = [
    "COMPLETION_TOKENS_PER_TOOL_CALL",
    "DEFAULT_CHUNKS",
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "DEFAULT_MODELS",
    "JSON_REPLY",
    "LEGACY_DEFAULT_MAX_TOKENS",
    "SYSTEM_FINGERPRINT",
    "ChatReply",
    "Directives",
    "Endpoint",
    "FakeOpenAIUpstream",
    "RecordedRequest",
    "ToolCall",
    "completion_chunks",
    "completion_text",
    "expected_chat_reply",
    "expected_completion_tokens",
    "expected_embedding",
    "expected_embedding_tokens",
    "expected_legacy_completion_tokens",
    "expected_legacy_prompt_tokens",
    "expected_prompt_tokens",
    "parse_directives",
    "rejects_stream_options",
    "tool_call_count",
]

DEFAULT_CHUNKS: Final = 5
DEFAULT_EMBEDDING_DIMENSIONS: Final = 8
DEFAULT_MODELS: Final[tuple[str, ...]] = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")
SYSTEM_FINGERPRINT: Final = "fp_fakeupstrm"
JSON_REPLY: Final = '{"city": "Paris"}'
COMPLETION_TOKENS_PER_TOOL_CALL: Final = 10
# OpenAI's documented default for `max_tokens` on the legacy completions endpoint.
LEGACY_DEFAULT_MAX_TOKENS: Final = 16
_TOOL_CITIES: Final = ("Paris", "Tokyo")
_MESSAGE_ROLES: Final = ("system", "assistant", "user", "function", "tool", "developer")
_FUNCTION_NAME_RE: Final = re.compile(r"^[a-zA-Z0-9_-]+$")
_FUNCTION_NAME_MAX: Final = 64

Endpoint = Literal["chat", "completions", "embeddings"]

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
_TOOLS_2_RE: Final = re.compile(_B + r"tools-2" + _E)
_NO_STREAM_OPTIONS_RE: Final = re.compile(_B + r"no-stream-options" + _E)


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


# The two OpenAI-only directives live outside `Directives`, which every provider fake shares.
def tool_call_count(model: str) -> int:
    """How many parallel tool calls a tool-calling reply makes for `model` (`tools-2`)."""
    return 2 if _TOOLS_2_RE.search(model) else 1


def rejects_stream_options(model: str) -> bool:
    """Whether `model` names a server that does not know `stream_options` (`no-stream-options`)."""
    return _NO_STREAM_OPTIONS_RE.search(model) is not None


def _word_count(text: str) -> int:
    return len(text.split())


def _content_text(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a content array joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Only text parts count: images or audio have no words to count deterministically.
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )
    return ""


def _content_words(content: Any) -> int:
    if isinstance(content, list):
        # Count per part: joining parts could glue the last word of one to the first of the next.
        return sum(_word_count(_content_text([part])) for part in content)
    return _word_count(_content_text(content))


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


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    # How a stream delivers the arguments; they concatenate to `arguments`.
    argument_pieces: tuple[str, ...]

    @property
    def arguments(self) -> str:
        return "".join(self.argument_pieces)


@dataclass(frozen=True)
class ChatReply:
    """What the fake answers to a chat request: text chunks (one per stream event) or tool calls."""

    chunks: tuple[str, ...]
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    completion_tokens: int

    @property
    def content(self) -> str | None:
        return None if self.tool_calls else "".join(self.chunks)


def _function_names(tools: Any) -> list[str]:
    if not isinstance(tools, list):
        return []
    return [
        t["function"]["name"]
        for t in tools
        if isinstance(t, dict)
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    ]


def _forced_function(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, dict) and isinstance(tool_choice.get("function"), dict):
        name = tool_choice["function"].get("name")
        return name if isinstance(name, str) else None
    return None


def expected_chat_reply(body: dict[str, Any], model: str | None = None) -> ChatReply:
    """The reply the fake gives to a (valid) chat request body.

    `model` is where the directives come from; it defaults to the body's `model` (Azure passes the
    deployment name instead).
    """
    directives = parse_directives(str(body.get("model", "")) if model is None else model)
    messages = body.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else None
    if isinstance(last, dict) and last.get("role") in ("tool", "function"):
        return ChatReply((f"result: {_content_text(last.get('content'))}",), (), "stop", 1)

    names = _function_names(body.get("tools"))
    tool_choice = body.get("tool_choice")
    if names and tool_choice != "none":
        name = _forced_function(tool_choice) or names[0]
        count = tool_call_count(str(body.get("model", "")) if model is None else model)
        if body.get("parallel_tool_calls") is False:
            count = 1
        calls = tuple(
            ToolCall(f"call_{i}", name, ('{"city": ', f'"{city}"}}'))
            for i, city in enumerate(_TOOL_CITIES[:count])
        )
        return ChatReply((), calls, "tool_calls", COMPLETION_TOKENS_PER_TOOL_CALL * count)

    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema"):
        return ChatReply((JSON_REPLY,), (), "stop", 1)

    cap = _token_cap(body)
    n_tokens = directives.chunks if cap is None else min(directives.chunks, cap)
    finish_reason = "length" if cap is not None and cap < directives.chunks else "stop"
    return ChatReply(tuple(completion_chunks(n_tokens)), (), finish_reason, n_tokens)


def expected_completion_tokens(body: dict[str, Any], model: str | None = None) -> int:
    """The completion_tokens the fake reports for a (valid) chat request body."""
    return expected_chat_reply(body, model).completion_tokens


def _legacy_prompts(value: Any) -> list[str] | None:
    """The prompts of a legacy completions request, or None when the shape is not accepted."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def expected_legacy_prompt_tokens(body: dict[str, Any]) -> int:
    """The prompt_tokens the fake reports for a legacy completions request: the words of every prompt."""
    return sum(_word_count(p) for p in _legacy_prompts(body.get("prompt")) or [])


def _legacy_tokens_per_prompt(body: dict[str, Any], model: str | None) -> tuple[int, str]:
    chunks = parse_directives(str(body.get("model", "")) if model is None else model).chunks
    cap = body.get("max_tokens")
    if cap is None:
        cap = LEGACY_DEFAULT_MAX_TOKENS
    return min(chunks, cap), "length" if cap < chunks else "stop"


def expected_legacy_completion_tokens(body: dict[str, Any], model: str | None = None) -> int:
    """The completion_tokens the fake reports for a legacy completions request (all prompts together)."""
    per_prompt, _ = _legacy_tokens_per_prompt(body, model)
    return per_prompt * len(_legacy_prompts(body.get("prompt")) or [])


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


def _json_type(value: Any) -> str:
    """How OpenAI's validation messages name the JSON type of a value ("got ... instead")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


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


def _missing(param: str) -> web.Response:
    return _bad_request(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def _wrong_type(param: str, expected: str, value: Any) -> web.Response:
    return _bad_request(
        f"Invalid type for '{param}': expected {expected}, but got {_json_type(value)} instead.",
        param=param,
        code="invalid_type",
    )


def _empty_array(param: str) -> web.Response:
    return _bad_request(
        f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array "
        "instead.",
        param=param,
        code="empty_array",
    )


def _unsupported_value(param: str, value: Any, supported: Sequence[str]) -> web.Response:
    quoted = [f"'{s}'" for s in supported]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
    return _bad_request(
        f"Invalid value: '{value}'. Supported values are: {listed}.", param=param, code="invalid_value"
    )


def _unrecognized_stream_options() -> web.Response:
    return _bad_request("Unrecognized request argument supplied: stream_options")


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


def _check_stream_options(body: dict[str, Any]) -> web.Response | None:
    if body.get("stream_options") is not None and body.get("stream") is not True:
        # The real API refuses this; a gateway leaking stream_options into non-stream calls should fail.
        return _bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    return None


def _include_usage(body: dict[str, Any]) -> bool:
    stream_options = body.get("stream_options")
    return isinstance(stream_options, dict) and stream_options.get("include_usage") is True


# ---------------------------------------------------------------- chat request validation


def _validate_content(param: str, message: dict[str, Any], *, optional: bool) -> web.Response | None:
    if "content" not in message or (optional and message["content"] is None):
        return None if optional else _missing(param)
    content = message["content"]
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return _wrong_type(param, "one of a string or array of objects", content)
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            return _wrong_type(f"{param}[{j}]", "an object", part)
        if "type" not in part:
            return _missing(f"{param}[{j}].type")
    return None


def _validate_tool_calls(i: int, tool_calls: Any) -> web.Response | None:
    param = f"messages[{i}].tool_calls"
    if not isinstance(tool_calls, list):
        return _wrong_type(param, "an array", tool_calls)
    if not tool_calls:
        return _empty_array(param)
    for j, call in enumerate(tool_calls):
        at = f"{param}[{j}]"
        if not isinstance(call, dict):
            return _wrong_type(at, "an object", call)
        for key in ("id", "type", "function"):
            if key not in call:
                return _missing(f"{at}.{key}")
        if not isinstance(call["id"], str):
            return _wrong_type(f"{at}.id", "a string", call["id"])
        if call["type"] != "function":
            return _unsupported_value(f"{at}.type", call["type"], ["function"])
        function = call["function"]
        if not isinstance(function, dict):
            return _wrong_type(f"{at}.function", "an object", function)
        for key in ("name", "arguments"):
            if key not in function:
                return _missing(f"{at}.function.{key}")
            # Translators often forward parsed arguments (an object); OpenAI wants the JSON text.
            if not isinstance(function[key], str):
                return _wrong_type(f"{at}.function.{key}", "a string", function[key])
    return None


def _validate_messages(messages: list[dict[str, Any]]) -> web.Response | None:
    # The ids of the latest assistant `tool_calls` while only tool messages have followed it; None once
    # any other message comes.  OpenAI only lets tool messages answer the message right before them.
    open_calls: list[str] | None = None
    answered: set[str] = set()
    for i, message in enumerate(messages):
        role = message["role"]
        if role not in _MESSAGE_ROLES:
            return _unsupported_value(f"messages[{i}].role", role, _MESSAGE_ROLES)
        if role != "tool" and open_calls is not None:
            unanswered = [c for c in open_calls if c not in answered]
            if unanswered:
                return _bad_request(
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to "
                    "each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                    + ", ".join(unanswered),
                    param=f"messages.[{i}].role",
                )
            open_calls = None
        if role == "assistant":
            has_calls = message.get("tool_calls") is not None or message.get("function_call") is not None
            if (
                invalid := _validate_content(f"messages[{i}].content", message, optional=has_calls)
            ) is not None:
                return invalid
            if message.get("tool_calls") is not None:
                if (invalid := _validate_tool_calls(i, message["tool_calls"])) is not None:
                    return invalid
                open_calls = [c["id"] for c in message["tool_calls"]]
                answered = set()
            continue
        if (invalid := _validate_content(f"messages[{i}].content", message, optional=False)) is not None:
            return invalid
        if role != "tool":
            continue
        if "tool_call_id" not in message:
            return _missing(f"messages[{i}].tool_call_id")
        tool_call_id = message["tool_call_id"]
        if open_calls is None:
            # The misspelt "preceeding" and the odd "messages.[i]" path are OpenAI's own.
            return _bad_request(
                "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                "with 'tool_calls'.",
                param=f"messages.[{i}].role",
            )
        if tool_call_id not in open_calls:
            return _bad_request(
                f"Invalid parameter: 'tool_call_id' of '{tool_call_id}' not found in 'tool_calls' of "
                "previous message.",
                param=f"messages.[{i}].tool_call_id",
            )
        answered.add(tool_call_id)
    if open_calls is not None:
        unanswered = [c for c in open_calls if c not in answered]
        if unanswered:
            return _bad_request(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                "'tool_call_id'. The following tool_call_ids did not have response messages: "
                + ", ".join(unanswered),
                param=f"messages.[{len(messages)}].role",
            )
    return None


def _validate_tools(body: dict[str, Any]) -> web.Response | None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return _wrong_type("tools", "an array", tools)
        if not tools:
            return _empty_array("tools")
        for j, tool in enumerate(tools):
            at = f"tools[{j}]"
            if not isinstance(tool, dict):
                return _wrong_type(at, "an object", tool)
            if "type" not in tool:
                return _missing(f"{at}.type")
            if tool["type"] != "function":
                return _unsupported_value(f"{at}.type", tool["type"], ["function"])
            function = tool.get("function")
            if function is None:
                return _missing(f"{at}.function")
            if not isinstance(function, dict):
                return _wrong_type(f"{at}.function", "an object", function)
            name = function.get("name")
            if name is None:
                return _missing(f"{at}.function.name")
            if not isinstance(name, str):
                return _wrong_type(f"{at}.function.name", "a string", name)
            if len(name) > _FUNCTION_NAME_MAX:
                return _bad_request(
                    f"Invalid '{at}.function.name': string too long. Expected a string with maximum length "
                    f"{_FUNCTION_NAME_MAX}, but got a string with length {len(name)} instead.",
                    param=f"{at}.function.name",
                    code="string_above_max_length",
                )
            # Names translated from other providers (dots, spaces) are a classic translator bug.
            if not _FUNCTION_NAME_RE.match(name):
                return _bad_request(
                    f"Invalid '{at}.function.name': string does not match pattern. Expected a string that "
                    f"matches the pattern '{_FUNCTION_NAME_RE.pattern}'.",
                    param=f"{at}.function.name",
                    code="invalid_value",
                )
            parameters = function.get("parameters")
            if parameters is not None and not isinstance(parameters, dict):
                return _wrong_type(f"{at}.function.parameters", "an object", parameters)

    tool_choice = body.get("tool_choice")
    if tool_choice is None:
        return None
    if tools is None:
        return _bad_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    if isinstance(tool_choice, str):
        if tool_choice not in ("none", "auto", "required"):
            return _unsupported_value("tool_choice", tool_choice, ["none", "auto", "required"])
        return None
    if not isinstance(tool_choice, dict):
        return _wrong_type("tool_choice", "one of a string or object", tool_choice)
    if "type" not in tool_choice:
        return _missing("tool_choice.type")
    if tool_choice["type"] != "function":
        return _unsupported_value("tool_choice.type", tool_choice["type"], ["function"])
    name = _forced_function(tool_choice)
    if name is None:
        return _missing("tool_choice.function.name")
    if name not in _function_names(tools):
        return _bad_request(
            f"Invalid value for 'tool_choice': function '{name}' was not found in 'tools'.",
            param="tool_choice",
        )
    return None


def _validate_response_format(body: dict[str, Any], messages: list[dict[str, Any]]) -> web.Response | None:
    response_format = body.get("response_format")
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        return _wrong_type("response_format", "an object", response_format)
    kind = response_format.get("type")
    if kind is None:
        return _missing("response_format.type")
    if kind not in ("text", "json_object", "json_schema"):
        return _unsupported_value("response_format.type", kind, ["text", "json_object", "json_schema"])
    if kind == "json_schema":
        json_schema = response_format.get("json_schema")
        if json_schema is None:
            return _missing("response_format.json_schema")
        if not isinstance(json_schema, dict):
            return _wrong_type("response_format.json_schema", "an object", json_schema)
        if json_schema.get("name") is None:
            return _missing("response_format.json_schema.name")
        schema = json_schema.get("schema")
        if schema is not None and not isinstance(schema, dict):
            return _wrong_type("response_format.json_schema.schema", "an object", schema)
    if kind == "json_object" and not any("json" in _content_text(m.get("content")).lower() for m in messages):
        return _bad_request(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            param="messages",
        )
    return None


def _validate_chat(body: dict[str, Any]) -> web.Response | None:
    messages = body.get("messages")
    if messages is None:
        return _missing("messages")
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
    for invalid in (
        _check_stream_options(body),
        _validate_messages(messages),
        _validate_tools(body),
        _validate_response_format(body, messages),
    ):
        if invalid is not None:
            return invalid
    return None


def _validate_legacy(body: dict[str, Any]) -> web.Response | None:
    if "prompt" not in body or body["prompt"] is None:
        return _missing("prompt")
    if _legacy_prompts(body["prompt"]) is None:
        return _wrong_type("prompt", "one of a string or array of strings", body["prompt"])
    if body.get("max_tokens") is not None and not _is_positive_int(body["max_tokens"]):
        return _bad_request(
            "Invalid 'max_tokens': integer below minimum value or not an integer.",
            param="max_tokens",
            code="integer_below_min_value",
        )
    # Deliberately unsupported: echoing the prompt or inserting a suffix would need per-prompt text
    # that no gateway path relies on.
    if body.get("echo") is True:
        return _bad_request(
            "The fake upstream does not support 'echo'.", param="echo", code="unsupported_value"
        )
    if body.get("suffix") not in (None, ""):
        return _bad_request(
            "The fake upstream does not support 'suffix'.", param="suffix", code="unsupported_value"
        )
    return _check_stream_options(body)


def _chat_stream_deltas(reply: ChatReply) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The opening delta (role) and the content deltas of a chat stream, as OpenAI streams them."""
    if not reply.tool_calls:
        return {"role": "assistant", "content": "", "refusal": None}, [{"content": c} for c in reply.chunks]
    headers: list[dict[str, Any]] = []
    pieces: list[list[dict[str, Any]]] = []
    for index, call in enumerate(reply.tool_calls):
        headers.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        pieces.append(
            [{"tool_calls": [{"index": index, "function": {"arguments": p}}]} for p in call.argument_pieces]
        )
    # OpenAI announces the role in the same delta as the first call's id and name.
    opening = {"role": "assistant", "content": None, "refusal": None, **headers[0]}
    rest = list(pieces[0])
    for header, call_pieces in zip(headers[1:], pieces[1:], strict=True):
        rest += [header, *call_pieces]
    return opening, rest


class FakeOpenAIUpstream(FakeServer):
    """An OpenAI-compatible HTTP server on 127.0.0.1 running in a background thread.

    `requests` records every request in arrival order, before it is answered, so even
    `hang` and `drop-mid-stream` requests show up.  `usages` holds `(prompt_tokens,
    completion_tokens)` of every answer that reported usage, `issued_request_ids` the
    `x-request-id` of every answer sent, both in order.
    """

    base_path = "/v1"

    def __init__(
        self, api_key: str | None = "sk-upstream-test", *, models: Sequence[str] = DEFAULT_MODELS
    ) -> None:
        super().__init__(api_key)
        self.models = list(models)
        self.usages: list[tuple[int, int]] = []
        self.issued_request_ids: list[str] = []

    def reset(self) -> None:
        super().reset()
        with self._requests_lock:
            self.usages.clear()
            self.issued_request_ids.clear()

    def _add_routes(self, app: web.Application) -> None:
        app.on_response_prepare.append(self._stamp_response)
        self._add_api_routes(app)

    def _not_found(self, request: web.Request) -> web.Response:
        # OpenAI answers unknown routes with its JSON error shape, not HTML/plain text.
        return _openai_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")

    # ---------------------------------------------------------------- variant hooks

    def _add_api_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._retrieve_model)

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

    def _request_model(self, request: web.Request, body: dict[str, Any]) -> str | web.Response:
        """The name directives are read from."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _bad_request("you must provide a model parameter", param="model")
        return model

    def _response_model(self, model: str, endpoint: Endpoint) -> str:
        """The `model` a response names."""
        return model

    def _response_extras(self, prompts: int) -> dict[str, Any]:
        """Top-level fields a non-stream chat/completions response adds to OpenAI's."""
        return {}

    def _choice_extras(self, *, generated_text: bool) -> dict[str, Any]:
        """Fields a choice (or a chunk's choice) adds to OpenAI's; `generated_text` if it carries text."""
        return {}

    def _stream_preamble(self, prompts: int) -> dict[str, Any] | None:
        """An event sent before a stream's first chunk, if the variant has one."""
        return None

    def _directed_failure(self, status: int, request: web.Request, endpoint: Endpoint) -> web.Response:
        return _directed_failure(status)

    def _request_id_headers(self) -> dict[str, str]:
        """Tracing headers on every answer; the first one's value goes into `issued_request_ids`."""
        return {"x-request-id": f"req_{secrets.token_hex(16)}"}

    # ---------------------------------------------------------------- plumbing

    async def _stamp_response(self, request: web.Request, response: web.StreamResponse) -> None:
        transport = request.transport
        if transport is None or transport.is_closing():
            # A dropped connection: no client will see this answer, so it issues no id.
            return
        headers = self._request_id_headers()
        response.headers.update(headers)
        with self._requests_lock:
            self.issued_request_ids.append(next(iter(headers.values())))

    def _record_usage(self, usage: dict[str, int]) -> None:
        with self._requests_lock:
            self.usages.append((usage["prompt_tokens"], usage.get("completion_tokens", 0)))

    @staticmethod
    async def _open_event_stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Cache-Control": "no-cache"})
        # The exact header OpenAI sends; clients should match on the media type only.
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        await response.prepare(request)
        return response

    @staticmethod
    async def _finish_event_stream(response: web.StreamResponse) -> None:
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()

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
        model = self._request_model(request, body)
        if isinstance(model, web.Response):
            return model
        if "stream_options" in body and rejects_stream_options(model):
            return _unrecognized_stream_options()
        if (invalid := _validate_chat(body)) is not None:
            return invalid

        directives = parse_directives(model)
        if directives.fail_status is not None:
            return self._directed_failure(directives.fail_status, request, "chat")
        if directives.hang:
            return await self._hang(request)

        reply = expected_chat_reply(body, model)
        prompt_tokens = expected_prompt_tokens(body)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": prompt_tokens + reply.completion_tokens,
        }
        completion_id = _random_id("chatcmpl-")
        created = int(time.time())

        if body.get("stream") is True:
            return await self._stream_chat(
                request,
                directives=directives,
                completion_id=completion_id,
                created=created,
                model=model,
                reply=reply,
                usage=usage if _include_usage(body) and not directives.no_usage else None,
            )

        _, rest = _chat_stream_deltas(reply)
        await asyncio.sleep((directives.ttft_ms + directives.delay_ms * len(rest)) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(
                text='{"id": "chatcmpl-broken", "choices": [<<not json', content_type="application/json"
            )
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in reply.tool_calls
            ]
        completion: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": self._response_model(model, "chat"),
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                    **self._choice_extras(generated_text=not reply.tool_calls),
                }
            ],
            **self._response_extras(1),
        }
        if not directives.no_usage:
            completion["usage"] = usage
            self._record_usage(usage)
        return web.Response(text=_dumps(completion), content_type="application/json")

    async def _stream_chat(
        self,
        request: web.Request,
        *,
        directives: Directives,
        completion_id: str,
        created: int,
        model: str,
        reply: ChatReply,
        usage: dict[str, int] | None,
    ) -> web.StreamResponse:
        include_usage = usage is not None
        response_model = self._response_model(model, "chat")

        def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
            choice = {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish,
                **self._choice_extras(generated_text=bool(delta.get("content"))),
            }
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": response_model,
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [choice],
            }
            if include_usage:
                # OpenAI marks every chunk but the last with an explicit null when usage was requested.
                payload["usage"] = None
            return _sse(payload)

        opening, rest = _chat_stream_deltas(reply)
        response = await self._open_event_stream(request)
        try:
            if (preamble := self._stream_preamble(1)) is not None:
                await response.write(_sse(preamble))
            await asyncio.sleep(directives.ttft_ms / 1000)
            if directives.bad_json:
                await response.write(b'data: {"id": "chatcmpl-broken", "choices": [<<not json\n\n')
                await self._finish_event_stream(response)
                return response
            await response.write(chunk(opening, None))
            sent = rest[: len(rest) // 2] if directives.drop_mid_stream else rest
            for delta in sent:
                await asyncio.sleep(directives.delay_ms / 1000)
                await response.write(chunk(delta, None))
            if directives.drop_mid_stream:
                await drop_connection(request)
                return response
            await response.write(chunk({}, reply.finish_reason))
            if usage is not None:
                self._record_usage(usage)
                await response.write(
                    _sse(
                        {
                            "id": completion_id,
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": response_model,
                            "system_fingerprint": SYSTEM_FINGERPRINT,
                            "choices": [],
                            "usage": usage,
                        }
                    )
                )
            await self._finish_event_stream(response)
        except ConnectionError:
            # The client went away mid-stream; that is a scenario under test, not a server error.
            pass
        return response

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        """The legacy text completions endpoint: rule d for each prompt, one choice per prompt."""
        if (denied := self._check_auth(request)) is not None:
            return denied
        body = await _read_json_object(request)
        if isinstance(body, web.Response):
            return body
        model = self._request_model(request, body)
        if isinstance(model, web.Response):
            return model
        if "stream_options" in body and rejects_stream_options(model):
            return _unrecognized_stream_options()
        if (invalid := _validate_legacy(body)) is not None:
            return invalid

        directives = parse_directives(model)
        if directives.fail_status is not None:
            return self._directed_failure(directives.fail_status, request, "completions")
        if directives.hang:
            return await self._hang(request)

        prompts = _legacy_prompts(body["prompt"]) or []
        n_tokens, finish_reason = _legacy_tokens_per_prompt(body, model)
        prompt_tokens = expected_legacy_prompt_tokens(body)
        completion_tokens = n_tokens * len(prompts)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        completion_id = _random_id("cmpl-")
        created = int(time.time())
        response_model = self._response_model(model, "completions")

        if body.get("stream") is True:
            return await self._stream_completions(
                request,
                directives=directives,
                completion_id=completion_id,
                created=created,
                model=response_model,
                prompts=len(prompts),
                n_tokens=n_tokens,
                finish_reason=finish_reason,
                usage=usage if _include_usage(body) and not directives.no_usage else None,
            )

        await asyncio.sleep((directives.ttft_ms + directives.delay_ms * n_tokens) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(
                text='{"id": "cmpl-broken", "choices": [<<not json', content_type="application/json"
            )
        result: dict[str, Any] = {
            "id": completion_id,
            "object": "text_completion",
            "created": created,
            "model": response_model,
            "choices": [
                {
                    "text": completion_text(n_tokens),
                    "index": index,
                    "logprobs": None,
                    "finish_reason": finish_reason,
                    **self._choice_extras(generated_text=True),
                }
                for index in range(len(prompts))
            ],
            **self._response_extras(len(prompts)),
        }
        if not directives.no_usage:
            result["usage"] = usage
            self._record_usage(usage)
        return web.Response(text=_dumps(result), content_type="application/json")

    async def _stream_completions(
        self,
        request: web.Request,
        *,
        directives: Directives,
        completion_id: str,
        created: int,
        model: str,
        prompts: int,
        n_tokens: int,
        finish_reason: str,
        usage: dict[str, int] | None,
    ) -> web.StreamResponse:
        def chunk(text: str, index: int, finish: str | None) -> bytes:
            choice = {
                "text": text,
                "index": index,
                "logprobs": None,
                "finish_reason": finish,
                **self._choice_extras(generated_text=bool(text)),
            }
            return _sse(
                {
                    "id": completion_id,
                    "object": "text_completion",
                    "created": created,
                    "model": model,
                    "choices": [choice],
                }
            )

        # Prompts advance in lockstep, token by token, so each choice's text interleaves with the others.
        events = [(index, token) for token in completion_chunks(n_tokens) for index in range(prompts)]
        response = await self._open_event_stream(request)
        try:
            if (preamble := self._stream_preamble(prompts)) is not None:
                await response.write(_sse(preamble))
            await asyncio.sleep(directives.ttft_ms / 1000)
            if directives.bad_json:
                await response.write(b'data: {"id": "cmpl-broken", "choices": [<<not json\n\n')
                await self._finish_event_stream(response)
                return response
            sent = events[: len(events) // 2] if directives.drop_mid_stream else events
            for index, token in sent:
                await asyncio.sleep(directives.delay_ms / 1000)
                await response.write(chunk(token, index, None))
            if directives.drop_mid_stream:
                await drop_connection(request)
                return response
            for index in range(prompts):
                await response.write(chunk("", index, finish_reason))
            if usage is not None:
                self._record_usage(usage)
                await response.write(
                    _sse(
                        {
                            "id": completion_id,
                            "object": "text_completion",
                            "created": created,
                            "model": model,
                            "choices": [],
                            "usage": usage,
                        }
                    )
                )
            await self._finish_event_stream(response)
        except ConnectionError:
            pass
        return response

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._check_auth(request)) is not None:
            return denied
        body = await _read_json_object(request)
        if isinstance(body, web.Response):
            return body
        model = self._request_model(request, body)
        if isinstance(model, web.Response):
            return model
        if "stream_options" in body and rejects_stream_options(model):
            return _unrecognized_stream_options()
        if body.get("input") is None:
            return _missing("input")
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
            return self._directed_failure(directives.fail_status, request, "embeddings")
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
        result: dict[str, Any] = {
            "object": "list",
            "data": data,
            "model": self._response_model(model, "embeddings"),
        }
        if not directives.no_usage:
            tokens = expected_embedding_tokens(body)
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            result["usage"] = usage
            self._record_usage(usage)
        return web.Response(text=_dumps(result), content_type="application/json")
