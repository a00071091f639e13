"""OpenAI-compatible upstreams (OpenAI, DeepSeek, Groq, vLLM, ...): the request is already in their format,
so the adapter renames the model, asks for usage on streams, and classifies failures."""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.providers.errors import FailureKind, UpstreamFailure

PROVIDER = "openai"


def build_chat_request(
    base_url: str, api_key: str, body: dict[str, Any], upstream_model: str, *, is_stream: bool
) -> tuple[str, dict[str, str], bytes]:
    payload = dict(body)
    payload["model"] = upstream_model
    if is_stream:
        options = payload.get("stream_options")
        options = dict(options) if isinstance(options, dict) else {}
        options["include_usage"] = True
        payload["stream_options"] = options
    elif "stream_options" in payload:
        # OpenAI rejects stream_options on a non-stream request.
        del payload["stream_options"]
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    return f"{base_url}/chat/completions", headers, orjson.dumps(payload)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def upstream_message(body: bytes) -> str:
    """The upstream's own error message when its body is OpenAI's error shape, else a short excerpt."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip() or "no error body"
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(parsed.get("message"), str):
            return str(parsed["message"])
    return body[:200].decode("utf-8", "replace")


def classify_error(status: int, body: bytes, headers: Any) -> UpstreamFailure:
    message = upstream_message(body)
    lowered = message.lower()
    if status == 429:
        kind = FailureKind.RATE_LIMITED
    elif status in (401, 403):
        kind = FailureKind.AUTH
    elif status in (400, 404, 413, 422):
        is_context = (
            "context length" in lowered or "context_length" in lowered or "maximum context" in lowered
        )
        kind = FailureKind.CONTEXT_LENGTH if is_context else FailureKind.BAD_REQUEST
    elif status in (503, 529):
        kind = FailureKind.OVERLOADED
    elif status in (408, 504):
        kind = FailureKind.TIMEOUT
    else:
        kind = FailureKind.UPSTREAM_5XX
    return UpstreamFailure(kind, message, upstream_status=status, retry_after_seconds=_retry_after(headers))
