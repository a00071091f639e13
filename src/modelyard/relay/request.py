"""Checks a chat request's fields before anything is reserved or sent; each error names the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from modelyard.errors import AppError, bad_request
from modelyard.kit.money import nanos_to_usd_str

_ROLES = frozenset({"system", "user", "assistant", "tool", "developer", "function"})
# Conservative prompt estimate: a token covers at least ~2 UTF-8 bytes of text in every tokenizer we bill
# for (CJK included), plus per-message framing. Over-estimating only makes a reservation larger.
_BYTES_PER_TOKEN_FLOOR = 2
_TOKENS_PER_MESSAGE = 8
# Far above any context window in the catalogue (images travel as URLs or base64 inside this too).
MAX_BODY_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ChatRequest:
    body: dict[str, Any]
    model: str
    is_stream: bool
    max_output_tokens: int | None
    prompt_tokens_estimate: int


def _positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request(f"`{name}` must be a positive integer", field=name)
    return value


def parse_chat_request(raw: bytes) -> ChatRequest:
    if not raw:
        raise bad_request("Request body is empty; send a JSON object")
    if len(raw) > MAX_BODY_BYTES:
        raise AppError(413, f"Request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"Malformed JSON in request body: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")

    model = body.get("model")
    if model is None:
        raise bad_request("`model` is required", field="model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("`model` must be a non-empty string", field="model")

    messages = body.get("messages")
    if messages is None:
        raise bad_request("`messages` is required", field="messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("`messages` must be a non-empty array", field="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise bad_request(f"`messages[{index}]` must be an object", field=f"messages[{index}]")
        role = message.get("role")
        if role not in _ROLES:
            raise bad_request(
                f"`messages[{index}].role` must be one of {', '.join(sorted(_ROLES))}",
                field=f"messages[{index}].role",
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise bad_request(
                f"`messages[{index}].content` must be a string or an array of content parts",
                field=f"messages[{index}].content",
            )

    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise bad_request("`stream` must be a boolean", field="stream")
    for name in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise bad_request(f"`{name}` must be a number", field=name)
    max_tokens = _positive_int(body, "max_tokens")
    max_completion_tokens = _positive_int(body, "max_completion_tokens")
    limits = [v for v in (max_tokens, max_completion_tokens) if v is not None]

    return ChatRequest(
        body=body,
        model=model.strip(),
        is_stream=bool(stream),
        max_output_tokens=min(limits) if limits else None,
        prompt_tokens_estimate=estimate_prompt_tokens(messages, body.get("tools")),
    )


def estimate_prompt_tokens(messages: list[Any], tools: Any = None) -> int:
    size = len(orjson.dumps(messages)) + (len(orjson.dumps(tools)) if tools else 0)
    return -(-size // _BYTES_PER_TOKEN_FLOOR) + _TOKENS_PER_MESSAGE * len(messages)


def estimate_text_tokens(text_bytes: int) -> int:
    """For billing when the upstream reports no usage: the common ~4 bytes per token."""
    return -(-text_bytes // 4)


def payment_required(available_nanos: int, needed_nanos: int) -> AppError:
    return AppError(
        402,
        "Insufficient credits. This request can cost up to "
        f"${nanos_to_usd_str(needed_nanos)} and ${nanos_to_usd_str(max(available_nanos, 0))} is available; "
        "add credits or lower max_tokens.",
        metadata={"error_type": "payment_required"},
    )
