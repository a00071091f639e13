"""Canonical (OpenAI) chat request -> Anthropic Messages request, and Anthropic's finish reasons and usage."""

from __future__ import annotations

from typing import Any

from modelyard.llm.usage import Usage
from modelyard.providers.base import UnsupportedFeature
from modelyard.providers.common import (
    EFFORT_SHARE,
    append_turn,
    data_url,
    image_url,
    output_limit,
    reasoning_request,
    reject_unless_default,
    stop_sequences,
    text_of,
    tool_arguments,
)

PROVIDER = "anthropic"
# Anthropic requires max_tokens; when neither the request nor the catalogue gives one, this is sent.
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
# response_format is carried as a forced tool of this name; its input is the JSON answer.
JSON_TOOL_NAME = "json_output"

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
}

UNSUPPORTED_UNLESS_DEFAULT = {
    "n": 1,
    "logprobs": False,
    "top_logprobs": 0,
    "logit_bias": {},
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "seed": None,
    "audio": None,
    "prediction": None,
    "min_p": 0,
    "top_a": 0,
    "repetition_penalty": 1,
}


def check(body: dict[str, Any]) -> None:
    reject_unless_default(body, PROVIDER, UNSUPPORTED_UNLESS_DEFAULT)
    modalities = body.get("modalities")
    if isinstance(modalities, list) and any(m != "text" for m in modalities):
        raise UnsupportedFeature("modalities (only text output)", PROVIDER)
    if _json_schema(body) is not None and body.get("tools"):
        raise UnsupportedFeature("response_format together with tools", PROVIDER)


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a JSON answer must follow, when response_format asks for JSON."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else {"type": "object"}
    return None


def uses_json_tool(body: dict[str, Any]) -> bool:
    return _json_schema(body) is not None


def build(
    body: dict[str, Any], upstream_model: str, default_max_tokens: int | None, is_stream: bool
) -> dict[str, Any]:
    system, messages = _messages(body.get("messages") or [])
    max_tokens = output_limit(body) or default_max_tokens or DEFAULT_MAX_TOKENS
    payload: dict[str, Any] = {"model": upstream_model, "max_tokens": max_tokens, "messages": messages}
    if system:
        payload["system"] = system
    if is_stream:
        payload["stream"] = True
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            payload[name] = body[name]
    stops = stop_sequences(body)
    if stops:
        payload["stop_sequences"] = stops
    if isinstance(body.get("user"), str):
        payload["metadata"] = {"user_id": body["user"]}

    tools = body.get("tools")
    if tools:
        payload["tools"] = [_tool(tool) for tool in tools]
    tool_choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    schema = _json_schema(body)
    if schema is not None:
        payload["tools"] = [
            {
                "name": JSON_TOOL_NAME,
                "description": "Answer with JSON that follows this schema.",
                "input_schema": schema,
            }
        ]
        tool_choice = {"type": "tool", "name": JSON_TOOL_NAME}
    if tool_choice is not None and payload.get("tools"):
        payload["tool_choice"] = tool_choice

    enabled, budget, effort, _exclude = reasoning_request(body)
    if enabled:
        if budget is None:
            share = EFFORT_SHARE.get(str(effort), EFFORT_SHARE["medium"])
            budget = int(max_tokens * share)
        budget = max(budget, MIN_THINKING_BUDGET)
        if budget >= max_tokens:
            raise UnsupportedFeature(
                f"reasoning with a budget of {budget} tokens and max_tokens {max_tokens} "
                "(max_tokens must exceed the budget, which is at least 1024)",
                PROVIDER,
            )
        payload["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return payload


def _tool(tool: Any) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type", "function") != "function":
        raise UnsupportedFeature("tools other than functions", PROVIDER)
    function = tool.get("function") or {}
    result: dict[str, Any] = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        result["description"] = function["description"]
    return result


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None
    if choice is None:
        result = None
    elif choice == "none":
        result = {"type": "none"}
    elif choice == "auto":
        result = {"type": "auto"}
    elif choice == "required":
        result = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        result = {"type": "tool", "name": choice["function"].get("name")}
    else:
        raise UnsupportedFeature(f"tool_choice {choice!r}", PROVIDER)
    if parallel is False:
        result = result or {"type": "auto"}
        if result["type"] != "none":
            result["disable_parallel_tool_use"] = True
    return result


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            url = image_url(part, PROVIDER)
            inline = data_url(url)
            if inline is not None:
                blocks.append(
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": inline[0], "data": inline[1]},
                    }
                )
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": url}})
        else:
            raise UnsupportedFeature(f"content parts of type {kind}", PROVIDER)
    return blocks


def _messages(messages: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages). Anthropic takes the system prompt apart, tool results as user content and
    needs alternating roles, so consecutive turns of one role are merged."""
    system: list[dict[str, Any]] = []
    result: list[dict[str, Any]] = []

    def append(role: str, blocks: list[dict[str, Any]]) -> None:
        append_turn(result, role, blocks, "content")

    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            text = text_of(content)
            if text:
                system.append({"type": "text", "text": text})
        elif role == "user":
            append("user", _content_blocks(content))
        elif role == "assistant":
            blocks = _content_blocks(content)
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                arguments = tool_arguments(call, PROVIDER)
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "input": arguments,
                    }
                )
            append("assistant", blocks)
        elif role == "tool":
            append(
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": message.get("tool_call_id"),
                        "content": text_of(content),
                    }
                ],
            )
        else:
            raise UnsupportedFeature(f"messages with role {role}", PROVIDER)
    return system, result


def usage(raw: Any) -> Usage | None:
    """Anthropic's input_tokens exclude cache reads and writes; OpenAI's prompt_tokens include them."""
    if not isinstance(raw, dict):
        return None
    values = {
        k: raw.get(k)
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    }
    counts = {
        k: v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None for k, v in values.items()
    }
    if counts["input_tokens"] is None and counts["output_tokens"] is None:
        return None
    cache_read = counts["cache_read_input_tokens"] or 0
    cache_write = counts["cache_creation_input_tokens"] or 0
    prompt = None if counts["input_tokens"] is None else counts["input_tokens"] + cache_read + cache_write
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=counts["output_tokens"],
        cached_tokens=counts["cache_read_input_tokens"],
        cache_write_tokens=counts["cache_creation_input_tokens"],
    )
