"""OpenAI-compatible upstreams (OpenAI, DeepSeek, Groq, Mistral, xAI, Together, Fireworks, OpenRouter, vLLM,
Ollama, ...): the canonical request is already their format, so the adapter renames the model, asks for usage
on streams, and classifies failures. Channel options: `headers` (extra request headers) and
`stream_options: false` for servers that reject `stream_options`."""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.llm.usage import Usage
from modelyard.providers.base import (
    CallContext,
    ChannelConfig,
    ChatResult,
    EmbeddingsResult,
    UpstreamRequest,
)
from modelyard.providers.common import json_object
from modelyard.providers.errors import FailureKind, UpstreamFailure, retry_after_seconds


class OpenAIAdapter:
    name = "openai"
    supports_embeddings = True
    supports_native_completions = True

    def check_chat(self, body: dict[str, Any]) -> None:
        return None  # the canonical format is this protocol

    def _url(self, channel: ChannelConfig, path: str, context: CallContext) -> str:
        return f"{channel.base_url}/{path}"

    def _headers(self, channel: ChannelConfig) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {channel.api_key}",
            "Content-Type": "application/json",
            **channel.extra_headers,
        }

    def _payload(self, channel: ChannelConfig, body: dict[str, Any], context: CallContext) -> dict[str, Any]:
        payload = dict(body)
        payload["model"] = context.upstream_model
        reasoning = payload.pop("reasoning", None)
        if isinstance(reasoning, dict) and reasoning.get("effort") and "reasoning_effort" not in payload:
            # OpenRouter's `reasoning` object; OpenAI's chat API takes the effort alone.
            payload["reasoning_effort"] = reasoning["effort"]
        if context.is_stream and channel.options.get("stream_options", True):
            options = payload.get("stream_options")
            options = dict(options) if isinstance(options, dict) else {}
            options["include_usage"] = True
            payload["stream_options"] = options
        else:
            # OpenAI rejects stream_options on a non-stream request; some servers reject it always.
            payload.pop("stream_options", None)
        return payload

    def chat_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        return UpstreamRequest(
            self._url(channel, "chat/completions", context),
            self._headers(channel),
            orjson.dumps(self._payload(channel, body, context)),
        )

    def completions_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        return UpstreamRequest(
            self._url(channel, "completions", context),
            self._headers(channel),
            orjson.dumps(self._payload(channel, body, context)),
        )

    def embeddings_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        payload = self._payload(channel, body, context)
        return UpstreamRequest(
            self._url(channel, "embeddings", context), self._headers(channel), orjson.dumps(payload)
        )

    def probe_request(self, channel: ChannelConfig, upstream_model: str) -> UpstreamRequest:
        # Listing models costs nothing and needs a valid key; OpenAI-compatible servers differ too much in
        # what they list for the model's absence to prove anything.
        headers = {"Authorization": f"Bearer {channel.api_key}", **channel.extra_headers}
        return UpstreamRequest(f"{channel.base_url}/models", headers, b"", method="GET")

    def parse_chat(self, raw: bytes, body: dict[str, Any]) -> ChatResult:
        data = json_object(raw)
        if not isinstance(data.get("choices"), list):
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer has no choices")
        return ChatResult(data, Usage.from_openai(data.get("usage")))

    def parse_embeddings(self, raw: bytes, body: dict[str, Any]) -> EmbeddingsResult:
        data = json_object(raw)
        if not isinstance(data.get("data"), list):
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer has no embeddings")
        return EmbeddingsResult(data, Usage.from_openai(data.get("usage")))

    def stream_translator(self, body: dict[str, Any]) -> OpenAIStream:
        return OpenAIStream()

    def classify_error(self, status: int, body: bytes, headers: Any) -> UpstreamFailure:
        return classify_http_error(status, error_message(body), headers)


class OpenAIStream:
    """OpenAI's stream is already canonical: pass chunks on, hold usage back for the relay's final chunk."""

    def __init__(self) -> None:
        self._usage: Usage | None = None
        self._is_complete = False

    @property
    def is_complete(self) -> bool:
        return self._is_complete

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def feed(self, data: str) -> list[dict[str, Any]]:
        if data == "[DONE]":
            self._is_complete = True
            return []
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(
                FailureKind.BAD_RESPONSE, "the provider sent an event that is not JSON"
            ) from None
        if not isinstance(chunk, dict):
            return []
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise UpstreamFailure(FailureKind.UPSTREAM_5XX, str(message or "error during the stream"))
        if chunk.get("usage") is not None:
            self._usage = Usage.from_openai(chunk["usage"])
        if not chunk.get("choices"):
            return []  # a usage-only chunk (or Azure's prompt-filter chunk)
        chunk.pop("usage", None)
        return [chunk]


def error_message(body: bytes) -> str:
    """The upstream's own error message from the usual JSON shapes, else a short excerpt of the body."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip() or "no error body"
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        parsed = parsed[0]  # Gemini's streaming endpoint wraps errors in a list
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(parsed.get("message"), str):
            return str(parsed["message"])
    return body[:200].decode("utf-8", "replace")


def classify_http_error(status: int, message: str, headers: Any) -> UpstreamFailure:
    lowered = message.lower()
    if status == 429:
        kind = FailureKind.RATE_LIMITED
    elif status in (401, 403):
        kind = FailureKind.AUTH
    elif status in (400, 404, 409, 413, 422):
        is_context = any(
            marker in lowered
            for marker in (
                "context length",
                "context_length",
                "maximum context",
                "too many tokens",
                "prompt is too long",
            )
        )
        kind = FailureKind.CONTEXT_LENGTH if is_context else FailureKind.BAD_REQUEST
    elif status in (503, 529):
        kind = FailureKind.OVERLOADED
    elif status in (408, 504):
        kind = FailureKind.TIMEOUT
    else:
        kind = FailureKind.UPSTREAM_5XX
    return UpstreamFailure(
        kind, message, upstream_status=status, retry_after_seconds=retry_after_seconds(headers)
    )
