"""A fake of Anthropic's Messages API (`POST /v1/messages`, and `GET /v1/models` for probes) that speaks
the real wire protocol.

The gateway's Anthropic translator is only trustworthy if the upstream it talks to in tests is as picky as
api.anthropic.com: strict request validation (unknown fields, role order, tool_use/tool_result pairing,
thinking budget), Anthropic's error bodies, and the named-event SSE stream.  Behaviour is picked by the
directives in the model name (see `tests.fakes.openai_upstream.parse_directives`), plus these, parsed here:

- ``tools-2``        two parallel tool calls (unless ``tool_choice.disable_parallel_tool_use``)
- ``cache-read-N``   report N ``cache_read_input_tokens`` (on top of ``input_tokens``)
- ``cache-write-N``  report N ``cache_creation_input_tokens`` (on top of ``input_tokens``)
- ``stream-error``   stream: after half the deltas, an ``event: error`` (overloaded_error), then the
                     stream ends cleanly without message_delta/message_stop

`usages` holds (input_tokens, output_tokens) as reported, for every answer that reported a complete
usage; `input_tokens` excludes cached tokens, as Anthropic's does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from aiohttp import web

from tests.fakes.openai_upstream import Directives, completion_chunks, parse_directives
from tests.fakes.server import FakeServer, drop_connection

__all__ = [
    "ANTHROPIC_VERSIONS",
    "THINKING_SIGNATURE",
    "THINKING_TEXT",
    "AnthropicDirectives",
    "FakeAnthropicUpstream",
    "anthropic_sse_events",
    "anthropic_text",
    "expected_input_tokens",
    "parse_anthropic_directives",
]

# The versions the real API accepts in the `anthropic-version` header.
ANTHROPIC_VERSIONS: Final = ("2023-06-01", "2023-01-01")
THINKING_TEXT: Final = "Let me think."
# What `GET /v1/models` lists; messages accept any model name (directives are invented per test).
LISTED_MODELS: Final = ("claude-sonnet-4-5", "claude-haiku-4-5")
THINKING_SIGNATURE: Final = "sig-fake"
TOOL_ARGUMENTS: Final[tuple[dict[str, str], ...]] = ({"city": "Paris"}, {"city": "Tokyo"})
# Tool input streams in two pieces so a translator has to concatenate partial_json itself.
TOOL_ARGUMENT_PIECES: Final[tuple[tuple[str, str], ...]] = (
    ('{"city": ', '"Paris"}'),
    ('{"city": ', '"Tokyo"}'),
)
COMPLETION_TOKENS_PER_TOOL_CALL: Final = 10

_ID_ALPHABET: Final = string.ascii_letters + string.digits
_B: Final = r"(?<![A-Za-z0-9])"
_E: Final = r"(?![A-Za-z0-9])"
_TOOLS_2_RE: Final = re.compile(_B + r"tools-2" + _E)
_CACHE_READ_RE: Final = re.compile(_B + r"cache-read-(\d+)" + _E)
_CACHE_WRITE_RE: Final = re.compile(_B + r"cache-write-(\d+)" + _E)
_STREAM_ERROR_RE: Final = re.compile(_B + r"stream-error" + _E)
_TOOL_NAME_RE: Final = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_TOOL_ID_RE: Final = re.compile(r"^[a-zA-Z0-9_-]+$")

_TOP_LEVEL_FIELDS: Final = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "metadata",
        "service_tier",
        "stop_sequences",
        "stream",
        "system",
        "temperature",
        "thinking",
        "tool_choice",
        "tools",
        "top_k",
        "top_p",
    }
)
_BLOCK_FIELDS: Final[dict[str, frozenset[str]]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control"}),
    "document": frozenset({"type", "source", "cache_control", "title", "context", "citations"}),
    "tool_use": frozenset({"type", "id", "name", "input", "cache_control"}),
    "tool_result": frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"}),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
_ASSISTANT_ONLY_BLOCKS: Final = frozenset({"tool_use", "thinking", "redacted_thinking"})
_USER_ONLY_BLOCKS: Final = frozenset({"tool_result", "image", "document"})
_IMAGE_MEDIA_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp")

_ERROR_TYPES: Final[dict[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


# ---------------------------------------------------------------- directives and expectations


@dataclass(frozen=True)
class AnthropicDirectives:
    tools_2: bool = False
    cache_read: int = 0
    cache_write: int = 0
    stream_error: bool = False


def parse_anthropic_directives(model: str) -> AnthropicDirectives:
    """The Anthropic-only directives in `model` (the shared ones come from `parse_directives`)."""
    read = _CACHE_READ_RE.search(model)
    write = _CACHE_WRITE_RE.search(model)
    return AnthropicDirectives(
        tools_2=_TOOLS_2_RE.search(model) is not None,
        cache_read=int(read.group(1)) if read else 0,
        cache_write=int(write.group(1)) if write else 0,
        stream_error=_STREAM_ERROR_RE.search(model) is not None,
    )


def _words(text: Any) -> int:
    return len(text.split()) if isinstance(text, str) else 0


def _content_words(content: Any) -> int:
    if isinstance(content, str):
        return _words(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            total += _words(block.get("text"))
        elif block.get("type") == "tool_result":
            total += _content_words(block.get("content"))
    return total


def expected_input_tokens(body: Mapping[str, Any]) -> int:
    """The `input_tokens` the fake reports: words of every text (system and tool results included) plus
    3 per message, the system prompt counting as one message when present."""
    system = body.get("system")
    total = _content_words(system) + 3 if system else 0
    messages = body.get("messages")
    if isinstance(messages, list):
        total += sum(_content_words(m.get("content")) + 3 for m in messages if isinstance(m, dict))
    return total


def anthropic_text(body: Mapping[str, Any]) -> str:
    """The concatenated text blocks of an Anthropic (non-stream) Messages response body."""
    content = body.get("content")
    if not isinstance(content, list):
        return ""
    return "".join(
        b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text" and "text" in b
    )


def anthropic_sse_events(raw: str | bytes) -> list[tuple[str, Any]]:
    """(event name, decoded data) for each event of a raw Anthropic SSE stream; undecodable data stays a
    string so `bad-json` streams can be inspected too."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    events: list[tuple[str, Any]] = []
    for frame in re.split(r"\r?\n\r?\n", text):
        name, data_lines = "message", []
        for line in frame.splitlines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data_lines.append(line.removeprefix("data:").lstrip())
        if not data_lines:
            continue
        data = "\n".join(data_lines)
        try:
            events.append((name, json.loads(data)))
        except ValueError:
            events.append((name, data))
    return events


# ---------------------------------------------------------------- wire helpers


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _sse(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {_dumps(data)}\n\n".encode()


def _random_id(prefix: str) -> str:
    return prefix + "011C" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


_REQUEST_ID = web.RequestKey("anthropic_request_id", str)


def _request_id(request: web.Request) -> str:
    # One id per request, shared by the `request-id` header and the error body's `request_id`.
    rid = request.get(_REQUEST_ID)
    if rid is None:
        rid = _random_id("req_")
        request[_REQUEST_ID] = rid
    return rid


def _error(
    request: web.Request, status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    error_type = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    body = {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": _request_id(request),
    }
    return web.Response(status=status, text=_dumps(body), content_type="application/json", headers=headers)


def _directed_failure(request: web.Request, status: int, model: str) -> web.Response:
    messages = {
        401: "invalid x-api-key",
        403: "Your API key does not have permission to use the specified resource.",
        404: f"model: {model}",
        413: "Request exceeds the maximum allowed number of bytes.",
        429: "Number of request tokens has exceeded your per-minute rate limit (fake upstream).",
        529: "Overloaded",
    }
    message = messages.get(
        status, "Internal server error" if status >= 500 else f"Fake upstream failure {status}."
    )
    headers = {"retry-after": "1"} if status == 429 else None
    return _error(request, status, message, headers=headers)


# ---------------------------------------------------------------- validation


class _Invalid(Exception):
    """A request the real API answers with 400 invalid_request_error."""


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_fields(obj: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise _Invalid(f"{path}{key}: Extra inputs are not permitted")


def _check_cache_control(block: Mapping[str, Any], path: str) -> None:
    cc = block.get("cache_control")
    if cc is None:
        return
    if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
        raise _Invalid(f"{path}.cache_control.type: Input should be 'ephemeral'")
    _check_fields(cc, frozenset({"type", "ttl"}), f"{path}.cache_control.")
    if cc.get("ttl") not in (None, "5m", "1h"):
        raise _Invalid(f"{path}.cache_control.ttl: Input should be '5m' or '1h'")


def _check_text_block(block: Mapping[str, Any], path: str) -> None:
    text = block.get("text")
    if not isinstance(text, str):
        raise _Invalid(
            f"{path}.text: Field required" if text is None else f"{path}.text: Input should be a valid string"
        )
    if not text:
        raise _Invalid("messages: text content blocks must be non-empty")
    if not text.strip():
        raise _Invalid("messages: text content blocks must contain non-whitespace text")


def _check_image_source(source: Any, path: str) -> None:
    if not isinstance(source, dict):
        raise _Invalid(f"{path}.source: Field required")
    kind = source.get("type")
    if kind == "base64":
        _check_fields(source, frozenset({"type", "media_type", "data"}), f"{path}.source.base64.")
        if source.get("media_type") not in _IMAGE_MEDIA_TYPES:
            raise _Invalid(
                f"{path}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' "
                "or 'image/webp'"
            )
        data = source.get("data")
        if not isinstance(data, str):
            raise _Invalid(f"{path}.source.base64.data: Field required")
        try:
            # A translator that forwards a whole `data:` URL instead of its payload fails here.
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise _Invalid(f"{path}.source.base64.data: invalid base64 data") from None
    elif kind == "url":
        _check_fields(source, frozenset({"type", "url"}), f"{path}.source.url.")
        if not isinstance(source.get("url"), str) or not source["url"]:
            raise _Invalid(f"{path}.source.url.url: Field required")
    else:
        raise _Invalid(
            f"{path}.source: Input tag {kind!r} found using 'type' does not match any of the expected "
            "tags: 'base64', 'url'"
        )


def _check_tool_result_content(content: Any, path: str) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _Invalid(f"{path}.content: Input should be a valid string or list")
    for k, part in enumerate(content):
        part_path = f"{path}.content.{k}"
        if not isinstance(part, dict) or part.get("type") not in ("text", "image"):
            raise _Invalid(f"{part_path}: Input tag does not match any of the expected tags: 'text', 'image'")
        _check_fields(part, _BLOCK_FIELDS[part["type"]], f"{part_path}.")
        if part["type"] == "text":
            _check_text_block(part, part_path)
        else:
            _check_image_source(part.get("source"), part_path)


def _check_block(block: Any, role: str, path: str) -> None:
    if not isinstance(block, dict):
        raise _Invalid(f"{path}: Input should be a valid dictionary or object to extract fields from")
    kind = block.get("type")
    if kind not in _BLOCK_FIELDS:
        expected = ", ".join(f"'{t}'" for t in _BLOCK_FIELDS)
        raise _Invalid(
            f"{path}: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
            f"{expected}"
        )
    _check_fields(block, _BLOCK_FIELDS[kind], f"{path}.{kind}.")
    if kind in _ASSISTANT_ONLY_BLOCKS and role != "assistant":
        raise _Invalid(f"{path}: `{kind}` blocks can only be in `assistant` messages")
    if kind in _USER_ONLY_BLOCKS and role != "user":
        raise _Invalid(f"{path}: `{kind}` blocks can only be in `user` messages")
    _check_cache_control(block, path)
    if kind == "text":
        _check_text_block(block, path)
    elif kind == "image":
        _check_image_source(block.get("source"), path)
    elif kind == "document":
        if not isinstance(block.get("source"), dict):
            raise _Invalid(f"{path}.document.source: Field required")
    elif kind == "tool_use":
        if not isinstance(block.get("id"), str) or not _TOOL_ID_RE.match(block["id"]):
            raise _Invalid(f"{path}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
        if not isinstance(block.get("name"), str) or not block["name"]:
            raise _Invalid(f"{path}.tool_use.name: Field required")
        if not isinstance(block.get("input"), dict):
            # The classic translator slip: OpenAI's `arguments` is a JSON *string*, Anthropic wants an object.
            raise _Invalid(f"{path}.tool_use.input: Input should be a valid dictionary")
    elif kind == "tool_result":
        if not isinstance(block.get("tool_use_id"), str):
            raise _Invalid(f"{path}.tool_result.tool_use_id: Field required")
        if "is_error" in block and not isinstance(block["is_error"], bool):
            raise _Invalid(f"{path}.tool_result.is_error: Input should be a valid boolean")
        _check_tool_result_content(block.get("content"), f"{path}.tool_result")
    elif kind == "thinking":
        for key in ("thinking", "signature"):
            if not isinstance(block.get(key), str):
                raise _Invalid(f"{path}.thinking.{key}: Field required")
    elif kind == "redacted_thinking" and not isinstance(block.get("data"), str):
        raise _Invalid(f"{path}.redacted_thinking.data: Field required")


def _blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _check_messages(messages: Any) -> None:
    if messages is None:
        raise _Invalid("messages: Field required")
    if not isinstance(messages, list):
        raise _Invalid("messages: Input should be a valid list")
    if not messages:
        raise _Invalid("messages: at least one message is required")
    last = len(messages) - 1
    for i, message in enumerate(messages):
        path = f"messages.{i}"
        if not isinstance(message, dict):
            raise _Invalid(f"{path}: Input should be a valid dictionary")
        # Catches OpenAI leftovers such as `name`, `tool_calls` or `tool_call_id` on a message.
        _check_fields(message, frozenset({"role", "content"}), f"{path}.")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _Invalid(f"{path}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise _Invalid('messages: first message must use the "user" role')
        if i > 0 and messages[i - 1].get("role") == role:
            raise _Invalid(
                f'messages: roles must alternate between "user" and "assistant", but found multiple "{role}" '
                "roles in a row"
            )
        content = message.get("content")
        if "content" not in message:
            raise _Invalid(f"{path}.content: Field required")
        if isinstance(content, str):
            empty = not content
        elif isinstance(content, list):
            empty = not content
            for j, block in enumerate(content):
                _check_block(block, role, f"{path}.content.{j}")
        else:
            raise _Invalid(f"{path}.content: Input should be a valid string or list")
        if empty and not (i == last and role == "assistant"):
            raise _Invalid(
                f"{path}: all messages must have non-empty content except for the optional final assistant "
                "message"
            )
        if i == last and role == "assistant":
            tail = (
                content
                if isinstance(content, str)
                else "".join(b.get("text", "") for b in _blocks(message) if b.get("type") == "text")
            )
            if tail and tail != tail.rstrip():
                raise _Invalid("final assistant content cannot end with trailing whitespace")
    _check_tool_pairing(messages)


def _check_tool_pairing(messages: list[dict[str, Any]]) -> None:
    # Results are checked against their calls before calls against their results, so a result with a
    # wrong id is reported as such rather than as a call left unanswered.
    seen_ids: set[str] = set()
    for i, message in enumerate(messages):
        blocks = _blocks(message)
        if message["role"] == "assistant":
            for j, block in enumerate(blocks):
                if block.get("type") == "tool_use":
                    if block["id"] in seen_ids:
                        raise _Invalid(f"messages.{i}.content.{j}: `tool_use` ids must be unique")
                    seen_ids.add(block["id"])
            continue
        previous = _blocks(messages[i - 1]) if i > 0 else []
        offered = {b["id"] for b in previous if b.get("type") == "tool_use"}
        other_seen = False
        for j, block in enumerate(blocks):
            if block.get("type") != "tool_result":
                other_seen = True
                continue
            if block["tool_use_id"] not in offered:
                raise _Invalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{block['tool_use_id']}. Each `tool_result` block must have a corresponding `tool_use` "
                    "block in the previous message."
                )
            if other_seen:
                raise _Invalid(
                    f"messages.{i}: `tool_result` blocks must come first in the content of a user message, "
                    "before any other content."
                )
    for i, message in enumerate(messages[:-1]):
        if message["role"] != "assistant":
            continue
        answered = {b.get("tool_use_id") for b in _blocks(messages[i + 1]) if b.get("type") == "tool_result"}
        missing = [
            b["id"] for b in _blocks(message) if b.get("type") == "tool_use" and b["id"] not in answered
        ]
        if missing:
            raise _Invalid(
                f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise _Invalid("system: Input should be a valid string or list")
    for k, block in enumerate(system):
        path = f"system.{k}"
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _Invalid(f"{path}.type: Input should be 'text'")
        _check_fields(block, _BLOCK_FIELDS["text"], f"{path}.")
        _check_cache_control(block, path)
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise _Invalid("system: text content blocks must be non-empty")


def _check_tools(tools: Any, tool_choice: Any) -> None:
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            raise _Invalid("tools: Input should be a valid list")
        for k, tool in enumerate(tools):
            path = f"tools.{k}"
            if not isinstance(tool, dict):
                raise _Invalid(f"{path}: Input should be a valid dictionary")
            if tool.get("type", "custom") != "custom":
                raise _Invalid(f"{path}.type: Input should be 'custom'")
            _check_fields(
                tool,
                frozenset({"type", "name", "description", "input_schema", "cache_control"}),
                f"{path}.custom.",
            )
            name = tool.get("name")
            if not isinstance(name, str):
                raise _Invalid(f"{path}.custom.name: Field required")
            if not _TOOL_NAME_RE.match(name):
                raise _Invalid(f"{path}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
            if "description" in tool and not isinstance(tool["description"], str):
                raise _Invalid(f"{path}.custom.description: Input should be a valid string")
            schema = tool.get("input_schema")
            if schema is None:
                raise _Invalid(f"{path}.custom.input_schema: Field required")
            if not isinstance(schema, dict):
                raise _Invalid(f"{path}.custom.input_schema: Input should be a valid dictionary")
            if schema.get("type") != "object":
                raise _Invalid(f"{path}.custom.input_schema.type: Input should be 'object'")
            _check_cache_control(tool, path)
            names.append(name)
        if len(set(names)) != len(names):
            raise _Invalid("tools: Tool names must be unique.")
    if tool_choice is None:
        return
    if not isinstance(tool_choice, dict):
        raise _Invalid("tool_choice: Input should be a valid dictionary")
    kind = tool_choice.get("type")
    if kind not in ("auto", "any", "tool", "none"):
        raise _Invalid(
            f"tool_choice: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
            "'auto', 'any', 'tool', 'none'"
        )
    allowed = (
        {"type"}
        | ({"disable_parallel_tool_use"} if kind != "none" else set())
        | ({"name"} if kind == "tool" else set())
    )
    _check_fields(tool_choice, frozenset(allowed), f"tool_choice.{kind}.")
    dptu = tool_choice.get("disable_parallel_tool_use")
    if dptu is not None and not isinstance(dptu, bool):
        raise _Invalid(f"tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean")
    if kind == "tool":
        name = tool_choice.get("name")
        if not isinstance(name, str):
            raise _Invalid("tool_choice.tool.name: Field required")
        if name not in names:
            raise _Invalid(f"tool_choice.tool.name: Tool '{name}' not found in provided tools")


def _check_thinking(body: Mapping[str, Any], max_tokens: int) -> bool:
    """Validates `thinking` and its interplay with sampling and tool_choice; True when it is enabled."""
    thinking = body.get("thinking")
    if thinking is None:
        return False
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled"):
        raise _Invalid(
            "thinking: Input tag found using 'type' does not match any of the expected tags: "
            "'enabled', 'disabled'"
        )
    if thinking["type"] == "disabled":
        _check_fields(thinking, frozenset({"type"}), "thinking.disabled.")
        return False
    _check_fields(thinking, frozenset({"type", "budget_tokens"}), "thinking.enabled.")
    budget = thinking.get("budget_tokens")
    if not _is_int(budget):
        raise _Invalid("thinking.enabled.budget_tokens: Field required")
    if budget < 1024:
        raise _Invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if budget >= max_tokens:
        raise _Invalid("`max_tokens` must be greater than `thinking.budget_tokens`")
    if body.get("temperature") not in (None, 1, 1.0):
        raise _Invalid("`temperature` may only be set to 1 when thinking is enabled")
    if body.get("top_k") is not None:
        raise _Invalid("`top_k` must be unset when thinking is enabled")
    top_p = body.get("top_p")
    if _is_number(top_p) and top_p < 0.95:
        raise _Invalid("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled")
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        raise _Invalid("Thinking may not be enabled when tool_choice forces tool use.")
    return True


def _validate(body: Mapping[str, Any]) -> bool:
    """Raises _Invalid like the real API would; returns whether extended thinking is enabled."""
    for key in body:
        if key not in _TOP_LEVEL_FIELDS:
            raise _Invalid(f"{key}: Extra inputs are not permitted")
    model = body.get("model")
    if model is None:
        raise _Invalid("model: Field required")
    if not isinstance(model, str) or not model:
        raise _Invalid("model: Input should be a valid string")
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise _Invalid("max_tokens: Field required")
    if not _is_int(max_tokens):
        raise _Invalid("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise _Invalid("max_tokens: Input should be greater than or equal to 1")
    _check_messages(body.get("messages"))
    _check_system(body.get("system"))
    _check_tools(body.get("tools"), body.get("tool_choice"))
    stop = body.get("stop_sequences")
    if stop is not None:
        if not isinstance(stop, list):
            raise _Invalid("stop_sequences: Input should be a valid list")
        for k, seq in enumerate(stop):
            if not isinstance(seq, str):
                raise _Invalid(f"stop_sequences.{k}: Input should be a valid string")
            if not seq.strip():
                raise _Invalid("stop_sequences: each stop sequence must contain non-whitespace")
    for key, high in (("temperature", 1), ("top_p", 1)):
        value = body.get(key)
        if value is None:
            continue
        if not _is_number(value):
            raise _Invalid(f"{key}: Input should be a valid number")
        if value > high:
            raise _Invalid(f"{key}: Input should be less than or equal to {high}")
        if value < 0:
            raise _Invalid(f"{key}: Input should be greater than or equal to 0")
    top_k = body.get("top_k")
    if top_k is not None and (not _is_int(top_k) or top_k < 0):
        raise _Invalid("top_k: Input should be greater than or equal to 0")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise _Invalid("stream: Input should be a valid boolean")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise _Invalid("metadata: Input should be a valid dictionary")
        _check_fields(metadata, frozenset({"user_id"}), "metadata.")
        if metadata.get("user_id") is not None and not isinstance(metadata["user_id"], str):
            raise _Invalid("metadata.user_id: Input should be a valid string")
    if body.get("service_tier") not in (None, "auto", "standard_only"):
        raise _Invalid("service_tier: Input should be 'auto' or 'standard_only'")
    return _check_thinking(body, max_tokens)


# ---------------------------------------------------------------- the reply


@dataclass
class _Block:
    start: dict[str, Any]  # `content_block` of content_block_start
    deltas: list[dict[str, Any]]
    final: dict[str, Any]  # the block in a non-stream `content`


@dataclass
class _Reply:
    blocks: list[_Block] = field(default_factory=list)
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None
    output_tokens: int = 0

    @property
    def delta_count(self) -> int:
        return sum(len(b.deltas) for b in self.blocks)


def _text_block(tokens: list[str]) -> _Block:
    return _Block(
        start={"type": "text", "text": ""},
        deltas=[{"type": "text_delta", "text": t} for t in tokens],
        final={"type": "text", "text": "".join(tokens)},
    )


def _tool_result_text(block: Mapping[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _plan_reply(
    body: Mapping[str, Any], directives: Directives, extra: AnthropicDirectives, thinking: bool
) -> _Reply:
    reply = _Reply()
    if thinking:
        reply.blocks.append(
            _Block(
                start={"type": "thinking", "thinking": ""},
                deltas=[
                    {"type": "thinking_delta", "thinking": THINKING_TEXT},
                    {"type": "signature_delta", "signature": THINKING_SIGNATURE},
                ],
                final={"type": "thinking", "thinking": THINKING_TEXT, "signature": THINKING_SIGNATURE},
            )
        )
    messages: list[dict[str, Any]] = body["messages"]
    results = [b for b in _blocks(messages[-1]) if b.get("type") == "tool_result"]
    if messages[-1]["role"] == "user" and results:
        reply.blocks.append(_text_block([f"result: {_tool_result_text(results[-1])}"]))
        reply.output_tokens = 1
        return reply

    tools: list[dict[str, Any]] = body.get("tools") or []
    choice: dict[str, Any] = body.get("tool_choice") or {"type": "auto"}
    if tools and choice["type"] != "none":
        name = choice["name"] if choice["type"] == "tool" else tools[0]["name"]
        calls = 2 if extra.tools_2 and not choice.get("disable_parallel_tool_use") else 1
        for k in range(calls):
            reply.blocks.append(
                _Block(
                    start={"type": "tool_use", "id": f"toolu_{k}", "name": name, "input": {}},
                    deltas=[{"type": "input_json_delta", "partial_json": p} for p in TOOL_ARGUMENT_PIECES[k]],
                    final={
                        "type": "tool_use",
                        "id": f"toolu_{k}",
                        "name": name,
                        "input": dict(TOOL_ARGUMENTS[k]),
                    },
                )
            )
        reply.stop_reason = "tool_use"
        reply.output_tokens = COMPLETION_TOKENS_PER_TOOL_CALL * calls
        return reply

    max_tokens: int = body["max_tokens"]
    stop_sequences: list[str] = body.get("stop_sequences") or []
    tokens: list[str] = []
    for token in completion_chunks(directives.chunks):
        if token.strip() in stop_sequences:
            reply.stop_reason, reply.stop_sequence = "stop_sequence", token.strip()
            break
        if len(tokens) == max_tokens:
            reply.stop_reason = "max_tokens"
            break
        tokens.append(token)
    if tokens:
        reply.blocks.append(_text_block(tokens))
    reply.output_tokens = len(tokens)
    return reply


# ---------------------------------------------------------------- the server


class FakeAnthropicUpstream(FakeServer):
    """Anthropic's Messages API on 127.0.0.1; `base_url` is what operators configure as
    `https://api.anthropic.com` (the gateway appends `/v1/messages`)."""

    base_path = ""

    def __init__(self, api_key: str | None = "sk-ant-upstream-test") -> None:
        super().__init__(api_key)
        self.usages: list[tuple[int, int]] = []

    def reset(self) -> None:
        super().reset()
        self.usages.clear()

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_get("/v1/models", self._list_models)
        app.on_response_prepare.append(self._stamp_request_id)

    @staticmethod
    async def _stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["request-id"] = _request_id(request)

    def _not_found(self, request: web.Request) -> web.Response:
        return _error(request, 404, "Not Found")

    def _check_headers(self, request: web.Request) -> web.Response | None:
        if self.api_key is not None:
            presented = request.headers.get("x-api-key")
            if presented is None:
                return _error(request, 401, "x-api-key header is required")
            if presented != self.api_key:
                return _error(request, 401, "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if version is None:
            return _error(request, 400, "anthropic-version: header is required")
        if version not in ANTHROPIC_VERSIONS:
            return _error(request, 400, f"anthropic-version: invalid version {version!r}")
        return None

    async def _list_models(self, request: web.Request) -> web.Response:
        # Checked like /v1/messages: the key and the anthropic-version header.
        if (denied := self._check_headers(request)) is not None:
            return denied
        data = [
            {"type": "model", "id": model, "display_name": model, "created_at": "2025-01-01T00:00:00Z"}
            for model in LISTED_MODELS
        ]
        return web.json_response(
            {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
        )

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._check_headers(request)) is not None:
            return denied
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(
                request,
                400,
                "There was an issue with the formatting or parsing of the request body: invalid JSON",
            )
        if not isinstance(body, dict):
            return _error(request, 400, "Input should be a valid dictionary")
        try:
            thinking = _validate(body)
        except _Invalid as exc:
            return _error(request, 400, str(exc))

        model: str = body["model"]
        directives = parse_directives(model)
        extra = parse_anthropic_directives(model)
        if directives.fail_status is not None:
            return _directed_failure(request, directives.fail_status, model)
        if directives.hang:
            return await self._hang(request)

        reply = _plan_reply(body, directives, extra, thinking)
        usage: dict[str, int] | None = None
        if not directives.no_usage:
            usage = {
                "input_tokens": expected_input_tokens(body),
                "cache_creation_input_tokens": extra.cache_write,
                "cache_read_input_tokens": extra.cache_read,
                "output_tokens": reply.output_tokens,
            }
        message_id = _random_id("msg_")
        if body.get("stream") is True:
            return await self._stream(request, model, message_id, reply, usage, directives, extra)

        await asyncio.sleep((directives.ttft_ms + directives.delay_ms * reply.delta_count) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(
                text='{"id": "msg_broken", "content": [<<not json', content_type="application/json"
            )
        message: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [b.final for b in reply.blocks],
            "stop_reason": reply.stop_reason,
            "stop_sequence": reply.stop_sequence,
        }
        if usage is not None:
            message["usage"] = {
                "input_tokens": usage["input_tokens"],
                "output_tokens": usage["output_tokens"],
                "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                "cache_read_input_tokens": usage["cache_read_input_tokens"],
            }
            self.usages.append((usage["input_tokens"], usage["output_tokens"]))
        return web.Response(text=_dumps(message), content_type="application/json")

    async def _stream(
        self,
        request: web.Request,
        model: str,
        message_id: str,
        reply: _Reply,
        usage: dict[str, int] | None,
        directives: Directives,
        extra: AnthropicDirectives,
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Cache-Control": "no-cache"})
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        await response.prepare(request)
        # Both failure modes strike after half of all deltas (text, tool input or thinking alike).
        break_after = reply.delta_count // 2 if (directives.drop_mid_stream or extra.stream_error) else None
        sent = 0

        async def interrupt() -> bool:
            """At the break point: drop the connection or report the error; True if the stream is over."""
            if break_after is None or sent != break_after:
                return False
            if directives.drop_mid_stream:
                await drop_connection(request)
            else:
                error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                await response.write(_sse("error", error))
                await response.write_eof()
            return True

        try:
            await asyncio.sleep(directives.ttft_ms / 1000)
            if directives.bad_json:
                await response.write(
                    b'event: message_start\ndata: {"type": "message_start", "message": <<not json\n\n'
                )
                await response.write_eof()
                return response
            start_usage: dict[str, int] = {}
            if usage is not None:
                start_usage = {
                    "input_tokens": usage["input_tokens"],
                    "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                    "cache_read_input_tokens": usage["cache_read_input_tokens"],
                    # Anthropic reports the first output token already in message_start.
                    "output_tokens": 1,
                }
            message: dict[str, Any] = {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
            }
            if usage is not None:
                message["usage"] = start_usage
            await response.write(_sse("message_start", {"type": "message_start", "message": message}))
            if not reply.blocks:
                await response.write(_sse("ping", {"type": "ping"}))
            for index, block in enumerate(reply.blocks):
                await response.write(
                    _sse(
                        "content_block_start",
                        {"type": "content_block_start", "index": index, "content_block": block.start},
                    )
                )
                if index == 0:
                    await response.write(_sse("ping", {"type": "ping"}))
                for delta in block.deltas:
                    if await interrupt():
                        return response
                    await asyncio.sleep(directives.delay_ms / 1000)
                    await response.write(
                        _sse(
                            "content_block_delta",
                            {"type": "content_block_delta", "index": index, "delta": delta},
                        )
                    )
                    sent += 1
                await response.write(
                    _sse("content_block_stop", {"type": "content_block_stop", "index": index})
                )
            if await interrupt():
                return response
            message_delta: dict[str, Any] = {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
            }
            if usage is not None:
                message_delta["usage"] = {"output_tokens": usage["output_tokens"]}
                # Recorded before the final events go out so a test that has just read message_stop sees it.
                self.usages.append((usage["input_tokens"], usage["output_tokens"]))
            await response.write(_sse("message_delta", message_delta))
            await response.write(_sse("message_stop", {"type": "message_stop"}))
            await response.write_eof()
        except ConnectionError:
            # The client went away mid-stream; that is a scenario under test, not a server error.
            pass
        return response
