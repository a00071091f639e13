"""Google's Gemini API (generateContent / streamGenerateContent / batchEmbedContents). The channel's base URL
is `https://generativelanguage.googleapis.com/v1beta` (`/v1beta` is added when missing); the key goes in
`x-goog-api-key`."""

from __future__ import annotations

import base64
import secrets
import struct
from typing import Any
from urllib.parse import quote

import orjson

from modelyard.llm.usage import Usage
from modelyard.providers.base import (
    CallContext,
    ChannelConfig,
    ChatResult,
    EmbeddingsResult,
    UnsupportedFeature,
    UpstreamRequest,
)
from modelyard.providers.common import (
    EFFORT_SHARE,
    append_turn,
    data_url,
    image_url,
    json_object,
    output_limit,
    reasoning_request,
    reject_unless_default,
    stop_sequences,
    text_of,
    tool_arguments,
)
from modelyard.providers.errors import FailureKind, UpstreamFailure
from modelyard.providers.openai_compat.adapter import classify_http_error, error_message

PROVIDER = "gemini"
FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "LANGUAGE": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "OTHER": "stop",
    "FINISH_REASON_UNSPECIFIED": "stop",
}
UNSUPPORTED_UNLESS_DEFAULT = {
    "logprobs": False,
    "top_logprobs": 0,
    "logit_bias": {},
    "audio": None,
    "prediction": None,
    "min_p": 0,
    "top_a": 0,
    "repetition_penalty": 1,
}
# JSON-schema keywords Gemini's function `parameters` (an OpenAPI subset) rejects.
_SCHEMA_DROP = frozenset({"$schema", "additionalProperties", "strict", "$id", "$defs", "definitions"})
_DEFAULT_THINKING_OUTPUT = 8192
_IMAGE_TYPES = {
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}


class GeminiAdapter:
    name = "gemini"
    supports_embeddings = True
    supports_native_completions = False

    def check_chat(self, body: dict[str, Any]) -> None:
        reject_unless_default(body, PROVIDER, UNSUPPORTED_UNLESS_DEFAULT)
        modalities = body.get("modalities")
        if isinstance(modalities, list) and any(m != "text" for m in modalities):
            raise UnsupportedFeature("modalities (only text output)", PROVIDER)

    def _base(self, channel: ChannelConfig) -> str:
        base = channel.base_url
        return base if base.endswith(("/v1beta", "/v1")) else f"{base}/v1beta"

    def _headers(self, channel: ChannelConfig) -> dict[str, str]:
        return {
            "x-goog-api-key": channel.api_key,
            "content-type": "application/json",
            **channel.extra_headers,
        }

    def chat_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        model = quote(context.upstream_model, safe="")
        method = "streamGenerateContent?alt=sse" if context.is_stream else "generateContent"
        return UpstreamRequest(
            f"{self._base(channel)}/models/{model}:{method}",
            self._headers(channel),
            orjson.dumps(build_request(body, context)),
        )

    def probe_request(self, channel: ChannelConfig, upstream_model: str) -> UpstreamRequest:
        # Getting the model's description is free and fails for a bad key or a model the key cannot use.
        headers = {"x-goog-api-key": channel.api_key, **channel.extra_headers}
        url = f"{self._base(channel)}/models/{quote(upstream_model, safe='')}"
        return UpstreamRequest(url, headers, b"", method="GET")

    def parse_chat(self, raw: bytes, body: dict[str, Any]) -> ChatResult:
        data = json_object(raw)
        hide_reasoning = reasoning_request(body)[3]
        choices = []
        candidates = data.get("candidates") or []
        for position, candidate in enumerate(candidates):
            parts = (candidate.get("content") or {}).get("parts") or []
            texts, thoughts, calls = _split_parts(parts, 0)
            native = candidate.get("finishReason")
            finish = _finish(native, bool(calls))
            message: dict[str, Any] = {
                "role": "assistant",
                "content": "".join(texts) if texts or not calls else None,
                "refusal": None,
            }
            if thoughts and not hide_reasoning:
                message["reasoning"] = "".join(thoughts)
            if calls:
                message["tool_calls"] = [{k: v for k, v in call.items() if k != "index"} for call in calls]
            choices.append(
                {
                    "index": candidate.get("index", position),
                    "message": message,
                    "finish_reason": finish,
                    "native_finish_reason": native,
                    "logprobs": None,
                }
            )
        if not choices:
            # The prompt itself was blocked (promptFeedback.blockReason): an empty, filtered answer.
            reason = (data.get("promptFeedback") or {}).get("blockReason")
            choices.append(
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "refusal": None},
                    "finish_reason": "content_filter",
                    "native_finish_reason": reason,
                    "logprobs": None,
                }
            )
        document = {
            "id": data.get("responseId"),
            "object": "chat.completion",
            "created": 0,
            "model": data.get("modelVersion"),
            "system_fingerprint": None,
            "choices": choices,
        }
        return ChatResult(document, usage(data.get("usageMetadata")))

    def stream_translator(self, body: dict[str, Any]) -> GeminiStream:
        return GeminiStream(reasoning_request(body)[3])

    def classify_error(self, status: int, body: bytes, headers: Any) -> UpstreamFailure:
        failure = classify_http_error(status, error_message(body), headers)
        # Gemini answers a bad API key with 400 INVALID_ARGUMENT; the ErrorInfo reason tells it apart.
        if b"API_KEY_INVALID" in body or b"API_KEY_EXPIRED" in body:
            return UpstreamFailure(FailureKind.AUTH, failure.message, failure.upstream_status)
        return failure

    def embeddings_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise UnsupportedFeature("embedding inputs given as token ids", self.name)
        model = f"models/{context.upstream_model}"
        requests = []
        for text in texts:
            item: dict[str, Any] = {"model": model, "content": {"parts": [{"text": text}]}}
            if isinstance(body.get("dimensions"), int):
                item["outputDimensionality"] = body["dimensions"]
            requests.append(item)
        return UpstreamRequest(
            f"{self._base(channel)}/models/{quote(context.upstream_model, safe='')}:batchEmbedContents",
            self._headers(channel),
            orjson.dumps({"requests": requests}),
        )

    def parse_embeddings(self, raw: bytes, body: dict[str, Any]) -> EmbeddingsResult:
        data = json_object(raw)
        embeddings = data.get("embeddings")
        if not isinstance(embeddings, list):
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer has no embeddings")
        as_base64 = body.get("encoding_format") == "base64"
        items = []
        for index, embedding in enumerate(embeddings):
            values = embedding.get("values") or []
            encoded: Any = values
            if as_base64:
                # OpenAI's base64 encoding: little-endian float32.
                encoded = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
            items.append({"object": "embedding", "index": index, "embedding": encoded})
        return EmbeddingsResult({"object": "list", "data": items, "model": None}, None)

    def completions_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest:
        raise UnsupportedFeature("native text completions", self.name)


class GeminiStream:
    """Each event is a whole GenerateContentResponse with the new parts; usage is cumulative; there is no
    sentinel, so the answer is complete once a candidate reports its finishReason."""

    def __init__(self, hide_reasoning: bool) -> None:
        self._hide_reasoning = hide_reasoning
        self._usage: Usage | None = None
        self._is_complete = False
        self._started: set[int] = set()
        self._tool_calls: dict[int, int] = {}

    @property
    def is_complete(self) -> bool:
        return self._is_complete

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def feed(self, data: str) -> list[dict[str, Any]]:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(
                FailureKind.BAD_RESPONSE, "the provider sent an event that is not JSON"
            ) from None
        if not isinstance(event, dict):
            return []
        if isinstance(event.get("error"), dict):
            raise UpstreamFailure(
                FailureKind.UPSTREAM_5XX, str(event["error"].get("message") or "stream error")
            )
        if event.get("usageMetadata") is not None:
            self._usage = usage(event["usageMetadata"]) or self._usage
        chunks: list[dict[str, Any]] = []
        candidates = event.get("candidates") or []
        if not candidates and (event.get("promptFeedback") or {}).get("blockReason"):
            self._is_complete = True
            return [
                _chunk(
                    0,
                    {"role": "assistant", "content": ""},
                    "content_filter",
                    event["promptFeedback"]["blockReason"],
                )
            ]
        for position, candidate in enumerate(candidates):
            index = candidate.get("index", position)
            delta: dict[str, Any] = {}
            if index not in self._started:
                self._started.add(index)
                delta["role"] = "assistant"
            parts = (candidate.get("content") or {}).get("parts") or []
            texts, thoughts, calls = _split_parts(parts, self._tool_calls.get(index, 0))
            self._tool_calls[index] = self._tool_calls.get(index, 0) + len(calls)
            if texts:
                delta["content"] = "".join(texts)
            if thoughts and not self._hide_reasoning:
                delta["reasoning"] = "".join(thoughts)
            if calls:
                delta["tool_calls"] = calls
            native = candidate.get("finishReason")
            finish = _finish(native, self._tool_calls[index] > 0) if native else None
            if delta or finish:
                chunks.append(_chunk(index, delta, finish, native))
            if native:
                self._is_complete = True
        return chunks


def build_request(body: dict[str, Any], context: CallContext) -> dict[str, Any]:
    system, contents = _contents(body.get("messages") or [])
    payload: dict[str, Any] = {"contents": contents}
    if system:
        payload["systemInstruction"] = {"parts": [{"text": text} for text in system]}
    tools = body.get("tools")
    if tools:
        payload["tools"] = [{"functionDeclarations": [_function(tool) for tool in tools]}]
        choice = _tool_config(body.get("tool_choice"))
        if choice is not None:
            payload["toolConfig"] = {"functionCallingConfig": choice}
    config: dict[str, Any] = {}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("top_k", "topK"),
        ("seed", "seed"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        if body.get(ours) is not None:
            config[theirs] = body[ours]
    limit = output_limit(body)
    if limit is not None:
        config["maxOutputTokens"] = limit
    stops = stop_sequences(body)
    if stops:
        config["stopSequences"] = stops
    if isinstance(body.get("n"), int) and body["n"] != 1:
        config["candidateCount"] = body["n"]
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        spec = response_format.get("json_schema")
        if isinstance(spec, dict) and isinstance(spec.get("schema"), dict):
            config["responseJsonSchema"] = spec["schema"]
    enabled, budget, effort, exclude = reasoning_request(body)
    if enabled:
        if budget is None:
            share = EFFORT_SHARE.get(str(effort), EFFORT_SHARE["medium"])
            budget = int((limit or context.max_output_tokens or _DEFAULT_THINKING_OUTPUT) * share)
        config["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": not exclude}
    elif isinstance(body.get("reasoning"), dict) or body.get("reasoning_effort") == "none":
        config["thinkingConfig"] = {"thinkingBudget": 0}
    if config:
        payload["generationConfig"] = config
    return payload


def _function(tool: Any) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type", "function") != "function":
        raise UnsupportedFeature("tools other than functions", PROVIDER)
    function = tool.get("function") or {}
    declaration: dict[str, Any] = {"name": function.get("name")}
    if function.get("description"):
        declaration["description"] = function["description"]
    if function.get("parameters"):
        declaration["parameters"] = _clean_schema(function["parameters"])
    return declaration


def _clean_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _clean_schema(v) for k, v in schema.items() if k not in _SCHEMA_DROP}
    if isinstance(schema, list):
        return [_clean_schema(v) for v in schema]
    return schema


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice == "none":
        return {"mode": "NONE"}
    if choice == "auto":
        return {"mode": "AUTO"}
    if choice == "required":
        return {"mode": "ANY"}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"mode": "ANY", "allowedFunctionNames": [choice["function"].get("name")]}
    raise UnsupportedFeature(f"tool_choice {choice!r}", PROVIDER)


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append({"text": part.get("text", "")})
        elif kind == "image_url":
            url = image_url(part, PROVIDER)
            inline = data_url(url)
            if inline is not None:
                parts.append({"inlineData": {"mimeType": inline[0], "data": inline[1]}})
            else:
                extension = url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower()
                parts.append(
                    {"fileData": {"mimeType": _IMAGE_TYPES.get(extension, "image/jpeg"), "fileUri": url}}
                )
        else:
            raise UnsupportedFeature(f"content parts of type {kind}", PROVIDER)
    return parts


def _contents(messages: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(system texts, contents). Gemini's roles are user and model; a tool result is a user turn with a
    functionResponse that names the function, found from the assistant turn that called it."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}

    def append(role: str, parts: list[dict[str, Any]]) -> None:
        append_turn(contents, role, parts, "parts")

    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            text = text_of(content)
            if text:
                system.append(text)
        elif role == "user":
            append("user", _parts(content))
        elif role == "assistant":
            parts = _parts(content)
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                call_names[str(call.get("id"))] = str(function.get("name"))
                parts.append(
                    {"functionCall": {"name": function.get("name"), "args": tool_arguments(call, PROVIDER)}}
                )
            append("model", parts)
        elif role == "tool":
            name = call_names.get(str(message.get("tool_call_id")))
            if name is None:
                raise UnsupportedFeature(
                    "a tool result whose tool_call_id matches no earlier tool call", PROVIDER
                )
            append("user", [{"functionResponse": {"name": name, "response": {"content": text_of(content)}}}])
        else:
            raise UnsupportedFeature(f"messages with role {role}", PROVIDER)
    return system, contents


def _split_parts(
    parts: list[Any], first_call_index: int
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        call = part.get("functionCall") or part.get("function_call")
        if isinstance(call, dict):
            calls.append(
                {
                    "index": first_call_index + len(calls),
                    # Gemini's calls carry no id (only newer models send one): the client needs one to answer.
                    "id": call.get("id") or f"call_{secrets.token_hex(12)}",
                    "type": "function",
                    "function": {
                        "name": call.get("name"),
                        "arguments": orjson.dumps(call.get("args") or {}).decode(),
                    },
                }
            )
        elif isinstance(part.get("text"), str):
            (thoughts if part.get("thought") else texts).append(part["text"])
    return texts, thoughts, calls


def _finish(native: Any, has_calls: bool) -> str:
    finish = FINISH_REASONS.get(str(native), "stop")
    return "tool_calls" if has_calls and finish == "stop" else finish


def usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("promptTokenCount"), int):
        return None
    candidates = raw.get("candidatesTokenCount") or 0
    thoughts = raw.get("thoughtsTokenCount") or 0
    return Usage(
        prompt_tokens=raw["promptTokenCount"],
        completion_tokens=candidates + thoughts,
        reasoning_tokens=thoughts or None,
        cached_tokens=raw.get("cachedContentTokenCount"),
    )


def _chunk(index: int, delta: dict[str, Any], finish: str | None, native: Any = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
    if native is not None:
        choice["native_finish_reason"] = native
    return {"object": "chat.completion.chunk", "choices": [choice]}
