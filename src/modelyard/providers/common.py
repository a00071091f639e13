"""Small translations that several non-OpenAI protocols share."""

from __future__ import annotations

import re
from typing import Any

import orjson

from modelyard.providers.base import UnsupportedFeature
from modelyard.providers.errors import FailureKind, UpstreamFailure

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,(?P<data>.*)$", re.DOTALL)

# OpenRouter's effort levels as a share of max_tokens spent on reasoning.
EFFORT_SHARE = {"max": 0.95, "xhigh": 0.95, "high": 0.8, "medium": 0.5, "low": 0.2, "minimal": 0.1}


def data_url(url: str) -> tuple[str, str] | None:
    """(mime type, base64 data) of a `data:` URL, or None for any other URL."""
    match = _DATA_URL.match(url)
    if match is None:
        return None
    return match.group("mime") or "application/octet-stream", match.group("data")


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return str(content)


def output_limit(body: dict[str, Any]) -> int | None:
    limits = [body[k] for k in ("max_tokens", "max_completion_tokens") if isinstance(body.get(k), int)]
    return min(limits) if limits else None


def stop_sequences(body: dict[str, Any]) -> list[str] | None:
    stop = body.get("stop")
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return list(stop)
    raise UnsupportedFeature("stop (must be a string or an array of strings)", "any")


def reasoning_request(body: dict[str, Any]) -> tuple[bool, int | None, str | None, bool]:
    """(enabled, budget in tokens, effort, exclude) from OpenRouter's `reasoning` or `reasoning_effort`."""
    reasoning = body.get("reasoning")
    effort = body.get("reasoning_effort")
    budget: int | None = None
    exclude = False
    enabled = effort is not None
    if isinstance(reasoning, dict):
        effort = reasoning.get("effort", effort)
        if isinstance(reasoning.get("max_tokens"), int):
            budget = reasoning["max_tokens"]
        exclude = bool(reasoning.get("exclude", False))
        enabled = reasoning.get("enabled", True) is not False
    if effort == "none":
        enabled = False
    return (
        enabled and (effort is not None or budget is not None or isinstance(reasoning, dict)),
        budget,
        effort,
        exclude,
    )


def is_default(value: Any, default: Any) -> bool:
    return value is None or value == default


def reject_unless_default(body: dict[str, Any], provider: str, fields: dict[str, Any]) -> None:
    """OpenAI fields this protocol cannot honour: fine when absent or at their default, a 400 otherwise."""
    for name, default in fields.items():
        if name in body and not is_default(body[name], default):
            raise UnsupportedFeature(name, provider)


def image_url(part: dict[str, Any], provider: str) -> str:
    """The URL (http(s) or data:) of an OpenAI `image_url` content part."""
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise UnsupportedFeature("image_url without a url", provider)
    return url


def tool_arguments(call: dict[str, Any], provider: str) -> Any:
    """An assistant tool call's arguments (a JSON string in OpenAI's format) as the object they encode."""
    function = call.get("function") or {}
    try:
        return orjson.loads(function.get("arguments") or "{}")
    except orjson.JSONDecodeError:
        raise UnsupportedFeature("tool call arguments that are not JSON", provider) from None


def append_turn(turns: list[dict[str, Any]], role: str, items: list[dict[str, Any]], key: str) -> None:
    """Adds a turn's content items, merged into the previous turn when it has the same role: the protocols
    that need alternating roles (Anthropic, Gemini) take consecutive turns of one role this way."""
    if not items:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})


def json_object(raw: bytes) -> dict[str, Any]:
    """An upstream's JSON answer, which must be an object."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer is not JSON") from None
    if not isinstance(data, dict):
        raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer is not a JSON object")
    return data
