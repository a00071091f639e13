"""Anthropic's Messages API. The channel's base URL is `https://api.anthropic.com` (the adapter adds
`/v1/messages`); the key goes in `x-api-key`; channel option `anthropic_version` overrides the
`anthropic-version` header."""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.llm.usage import Usage
from modelyard.providers.anthropic import wire
from modelyard.providers.base import (
    CallContext,
    ChannelConfig,
    ChatResult,
    EmbeddingsResult,
    UnsupportedFeature,
    UpstreamRequest,
)
from modelyard.providers.common import reasoning_request
from modelyard.providers.errors import FailureKind, UpstreamFailure
from modelyard.providers.openai_compat.adapter import classify_http_error, error_message

ANTHROPIC_VERSION = "2023-06-01"

# Anthropic's error `type` -> what it means for routing.
_ERROR_KINDS = {
    "overloaded_error": FailureKind.OVERLOADED,
    "rate_limit_error": FailureKind.RATE_LIMITED,
    "api_error": FailureKind.UPSTREAM_5XX,
    "authentication_error": FailureKind.AUTH,
    "permission_error": FailureKind.AUTH,
    "invalid_request_error": FailureKind.BAD_REQUEST,
    "request_too_large": FailureKind.BAD_REQUEST,
    "timeout_error": FailureKind.TIMEOUT,
}


class AnthropicAdapter:
    name = "anthropic"
    supports_embeddings = False
    supports_native_completions = False

    def check_chat(self, body: dict[str, Any]) -> None:
        wire.check(body)

    def chat_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        payload = wire.build(body, context.upstream_model, context.max_output_tokens, context.is_stream)
        headers = {
            "x-api-key": channel.api_key,
            "anthropic-version": str(channel.options.get("anthropic_version") or ANTHROPIC_VERSION),
            "content-type": "application/json",
            **channel.extra_headers,
        }
        base = channel.base_url.removesuffix("/v1")
        return UpstreamRequest(f"{base}/v1/messages", headers, orjson.dumps(payload))

    def probe_request(self, channel: ChannelConfig, upstream_model: str) -> UpstreamRequest:
        # The models list is free and checks both the key and the anthropic-version header.
        headers = {
            "x-api-key": channel.api_key,
            "anthropic-version": str(channel.options.get("anthropic_version") or ANTHROPIC_VERSION),
            **channel.extra_headers,
        }
        base = channel.base_url.removesuffix("/v1")
        return UpstreamRequest(f"{base}/v1/models", headers, b"", method="GET")

    def parse_chat(self, raw: bytes, body: dict[str, Any]) -> ChatResult:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer has no content")
        is_json_mode = wire.uses_json_tool(body)
        texts: list[str] = []
        reasoning: list[str] = []
        details: list[dict[str, Any]] = []
        tool_calls: list[dict[str, Any]] = []
        for block in data["content"]:
            kind = block.get("type")
            if kind == "text":
                texts.append(block.get("text", ""))
            elif kind == "thinking":
                reasoning.append(block.get("thinking", ""))
                details.append(
                    {
                        "type": "reasoning.text",
                        "text": block.get("thinking", ""),
                        "signature": block.get("signature"),
                    }
                )
            elif kind == "redacted_thinking":
                details.append({"type": "reasoning.encrypted", "data": block.get("data")})
            elif kind == "tool_use":
                if is_json_mode and block.get("name") == wire.JSON_TOOL_NAME:
                    texts.append(orjson.dumps(block.get("input")).decode())
                    continue
                tool_calls.append(
                    {
                        "id": block.get("id"),
                        "type": "function",
                        "function": {
                            "name": block.get("name"),
                            "arguments": orjson.dumps(block.get("input")).decode(),
                        },
                    }
                )
        stop_reason = data.get("stop_reason")
        finish = wire.FINISH_REASONS.get(str(stop_reason), "stop")
        if is_json_mode and finish == "tool_calls":
            finish = "stop"
        _, _, _, exclude = reasoning_request(body)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(texts) if texts or not tool_calls else None,
            "refusal": None,
        }
        if reasoning and not exclude:
            message["reasoning"] = "".join(reasoning)
            message["reasoning_details"] = details
        if tool_calls:
            message["tool_calls"] = tool_calls
        document = {
            "id": data.get("id"),
            "object": "chat.completion",
            "created": 0,
            "model": data.get("model"),
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish,
                    "native_finish_reason": stop_reason,
                    "logprobs": None,
                }
            ],
        }
        return ChatResult(document, wire.usage(data.get("usage")))

    def stream_translator(self, body: dict[str, Any]) -> AnthropicStream:
        return AnthropicStream(wire.uses_json_tool(body), reasoning_request(body)[3])

    def classify_error(self, status: int, body: bytes, headers: Any) -> UpstreamFailure:
        failure = classify_http_error(status, error_message(body), headers)
        try:
            parsed = orjson.loads(body)
            error_type = parsed["error"]["type"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return failure
        kind = _ERROR_KINDS.get(error_type)
        if kind is None or failure.kind == FailureKind.CONTEXT_LENGTH:
            return failure
        return UpstreamFailure(kind, failure.message, failure.upstream_status, failure.retry_after_seconds)

    def embeddings_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        raise UnsupportedFeature("embeddings", self.name)

    def parse_embeddings(self, raw: bytes, body: dict[str, Any]) -> EmbeddingsResult:
        raise UnsupportedFeature("embeddings", self.name)

    def completions_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        raise UnsupportedFeature("native text completions", self.name)


class AnthropicStream:
    """message_start, content_block_start/delta/stop, message_delta, message_stop, ping, error -> chunks."""

    def __init__(self, is_json_mode: bool, hide_reasoning: bool) -> None:
        self._is_json_mode = is_json_mode
        self._hide_reasoning = hide_reasoning
        self._blocks: dict[int, tuple[str, int]] = {}  # Anthropic block index -> (type, tool call index)
        self._tool_calls = 0
        self._start_usage: dict[str, Any] = {}
        self._output_tokens: int | None = None
        self._is_complete = False

    @property
    def is_complete(self) -> bool:
        return self._is_complete

    @property
    def usage(self) -> Usage | None:
        if not self._start_usage and self._output_tokens is None:
            return None
        merged = dict(self._start_usage)
        # message_start's output_tokens is a placeholder (1); only message_delta carries the real count.
        merged["output_tokens"] = self._output_tokens
        return wire.usage(merged)

    def feed(self, data: str) -> list[dict[str, Any]]:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(
                FailureKind.BAD_RESPONSE, "the provider sent an event that is not JSON"
            ) from None
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "message_start":
            message = event.get("message") or {}
            self._start_usage = dict(message.get("usage") or {})
            return [_chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(event.get("index", 0), event.get("content_block") or {})
        if kind == "content_block_delta":
            return self._block_delta(event.get("index", 0), event.get("delta") or {})
        if kind == "message_delta":
            usage = event.get("usage") or {}
            if isinstance(usage.get("output_tokens"), int):
                self._output_tokens = usage["output_tokens"]
            for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
                if isinstance(usage.get(key), int):
                    self._start_usage[key] = usage[key]
            stop_reason = (event.get("delta") or {}).get("stop_reason")
            if stop_reason is None:
                return []
            finish = wire.FINISH_REASONS.get(str(stop_reason), "stop")
            if self._is_json_mode and finish == "tool_calls":
                finish = "stop"
            return [_chunk({}, finish, stop_reason)]
        if kind == "message_stop":
            self._is_complete = True
            return []
        if kind == "error":
            error = event.get("error") or {}
            raise UpstreamFailure(
                _ERROR_KINDS.get(str(error.get("type")), FailureKind.UPSTREAM_5XX),
                str(error.get("message") or "error during the stream"),
            )
        return []  # ping, content_block_stop and event types added later

    def _block_start(self, index: int, block: dict[str, Any]) -> list[dict[str, Any]]:
        kind = str(block.get("type"))
        if kind == "tool_use" and not self._is_json_mode:
            tool_index = self._tool_calls
            self._tool_calls += 1
            self._blocks[index] = (kind, tool_index)
            call = {
                "index": tool_index,
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return [_chunk({"tool_calls": [call]})]
        self._blocks[index] = (kind, -1)
        if kind == "text" and block.get("text"):
            return [_chunk({"content": block["text"]})]
        return []

    def _block_delta(self, index: int, delta: dict[str, Any]) -> list[dict[str, Any]]:
        kind = delta.get("type")
        if kind == "text_delta":
            return [_chunk({"content": delta.get("text", "")})]
        if kind == "input_json_delta":
            piece = delta.get("partial_json", "")
            __kind, tool_index = self._blocks.get(index, ("tool_use", -1))
            if self._is_json_mode or tool_index < 0:
                return [_chunk({"content": piece})] if piece else []
            return [_chunk({"tool_calls": [{"index": tool_index, "function": {"arguments": piece}}]})]
        if kind == "thinking_delta" and not self._hide_reasoning:
            text = delta.get("thinking", "")
            return [
                _chunk({"reasoning": text, "reasoning_details": [{"type": "reasoning.text", "text": text}]})
            ]
        if kind == "signature_delta" and not self._hide_reasoning:
            detail = {"type": "reasoning.text", "text": "", "signature": delta.get("signature")}
            return [_chunk({"reasoning_details": [detail]})]
        return []


def _chunk(delta: dict[str, Any], finish: str | None = None, native: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
    if native is not None:
        choice["native_finish_reason"] = native
    return {"object": "chat.completion.chunk", "choices": [choice]}
