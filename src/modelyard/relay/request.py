"""Checks a request's fields before anything is reserved or sent; each error names the field."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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


class Surface(StrEnum):
    CHAT = "chat"
    COMPLETIONS = "completions"
    EMBEDDINGS = "embeddings"


# OpenRouter's request fields that steer the gateway itself; upstreams never see them.
OPENROUTER_ONLY_FIELDS = frozenset(
    {
        "models",
        "provider",
        "route",
        "transforms",
        "usage",
        "plugins",
        "session_id",
        "debug",
        "trace",
        "stop_server_tools_when",
        "prompt_cache_options",
        "image_config",
    }
)


@dataclass(frozen=True, slots=True)
class RelayRequest:
    surface: Surface
    body: dict[str, Any]  # canonical: what adapters translate (OpenRouter-only fields removed)
    model: str
    is_stream: bool
    max_output_tokens: int | None
    prompt_tokens_estimate: int
    prompt_bytes: int  # size of the prompt text, for estimating usage an upstream does not report
    # The model, then OpenRouter's `models` fallbacks in order (duplicates removed).
    models: tuple[str, ...] = ()
    provider: Any = None  # OpenRouter's `provider` routing object, checked by routing.policy
    parameters: frozenset[str] = frozenset()  # the model parameters the body sets


# The request fields that are model parameters in OpenRouter's `supported_parameters` vocabulary.
MODEL_PARAMETERS = frozenset(
    {
        "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "top_a", "min_p", "seed",
        "stop", "frequency_penalty", "presence_penalty", "repetition_penalty", "logit_bias", "logprobs",
        "top_logprobs", "tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning",
        "reasoning_effort", "include_reasoning", "verbosity", "web_search_options", "prediction",
    }
)  # fmt: skip
MAX_FALLBACK_MODELS = 10


def _positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request(f"`{name}` must be a positive integer", field=name)
    return value


def _load_object(raw: bytes) -> dict[str, Any]:
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
    return body


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        # OpenRouter: with only a `models` fallback list, the first one is the model.
        models = body.get("models")
        if isinstance(models, list) and models and isinstance(models[0], str):
            model = models[0]
    if model is None:
        raise bad_request("`model` is required", field="model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("`model` must be a non-empty string", field="model")
    return model.strip()


def _routing(body: dict[str, Any], model: str) -> dict[str, Any]:
    """The fields that steer routing: the fallback list, the provider object, the parameters set."""
    models = [model]
    fallbacks = body.get("models")
    if fallbacks is not None:
        if not isinstance(fallbacks, list) or not all(isinstance(m, str) and m.strip() for m in fallbacks):
            raise bad_request("`models` must be an array of model slugs", field="models")
        if len(fallbacks) > MAX_FALLBACK_MODELS:
            raise bad_request(f"`models` lists at most {MAX_FALLBACK_MODELS} models", field="models")
        models += [m.strip() for m in fallbacks]
    route = body.get("route")
    if route is not None and route != "fallback":
        raise bad_request("`route` (deprecated) may only be `fallback`; use `models`", field="route")
    parameters = frozenset(k for k in body if k in MODEL_PARAMETERS and body[k] is not None)
    if isinstance(body.get("response_format"), dict) and body["response_format"].get("type") == "json_schema":
        parameters |= {"structured_outputs"}
    return {
        "models": tuple(dict.fromkeys(models)),
        "provider": body.get("provider"),
        "parameters": parameters,
    }


def _check_common(body: dict[str, Any]) -> tuple[bool, int | None]:
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise bad_request("`stream` must be a boolean", field="stream")
    for name in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise bad_request(f"`{name}` must be a number", field=name)
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(x, str) for x in stop))
    ):
        raise bad_request("`stop` must be a string or an array of strings", field="stop")
    limits = [
        v for v in (_positive_int(body, "max_tokens"), _positive_int(body, "max_completion_tokens")) if v
    ]
    return bool(stream), min(limits) if limits else None


def _canonical(body: dict[str, Any], model: str) -> dict[str, Any]:
    canonical = {k: v for k, v in body.items() if k not in OPENROUTER_ONLY_FIELDS}
    canonical["model"] = model
    return canonical


def parse_chat_request(raw: bytes) -> RelayRequest:
    body = _load_object(raw)
    model = _model(body)
    messages = body.get("messages")
    if messages is None and isinstance(body.get("prompt"), str):
        # OpenRouter's legacy form: a bare prompt is one user message.
        messages = [{"role": "user", "content": body["prompt"]}]
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
    tools = body.get("tools")
    if tools is not None and (
        not isinstance(tools, list)
        or not all(
            isinstance(t, dict) and isinstance((t.get("function") or {}).get("name"), str) for t in tools
        )
    ):
        raise bad_request(
            "`tools` must be an array of {type: function, function: {name, parameters}}", field="tools"
        )
    response_format = body.get("response_format")
    if response_format is not None and (
        not isinstance(response_format, dict)
        or response_format.get("type") not in ("text", "json_object", "json_schema", "grammar", "python")
    ):
        raise bad_request(
            "`response_format.type` must be text, json_object or json_schema", field="response_format"
        )
    is_stream, limit = _check_common(body)
    canonical = _canonical(body, model)
    canonical.pop("prompt", None)
    canonical["messages"] = messages
    size = len(orjson.dumps(messages)) + (len(orjson.dumps(tools)) if tools else 0)
    return RelayRequest(
        surface=Surface.CHAT,
        body=canonical,
        model=model,
        is_stream=is_stream,
        max_output_tokens=limit,
        prompt_tokens_estimate=_conservative_tokens(size, len(messages)),
        prompt_bytes=size,
        **_routing(body, model),
    )


def parse_completions_request(raw: bytes) -> RelayRequest:
    body = _load_object(raw)
    model = _model(body)
    prompt = body.get("prompt")
    if prompt is None:
        raise bad_request("`prompt` is required", field="prompt")
    if not (
        (isinstance(prompt, str))
        or (isinstance(prompt, list) and prompt and all(isinstance(p, (str | int, list)) for p in prompt))
    ):
        raise bad_request("`prompt` must be a string or an array of strings or token ids", field="prompt")
    is_stream, limit = _check_common(body)
    size = len(orjson.dumps(prompt))
    return RelayRequest(
        surface=Surface.COMPLETIONS,
        body=_canonical(body, model),
        model=model,
        is_stream=is_stream,
        max_output_tokens=limit,
        prompt_tokens_estimate=_conservative_tokens(size, 1),
        prompt_bytes=size,
        **_routing(body, model),
    )


def parse_embeddings_request(raw: bytes) -> RelayRequest:
    body = _load_object(raw)
    model = _model(body)
    value = body.get("input")
    if value is None:
        raise bad_request("`input` is required", field="input")
    is_valid = (isinstance(value, str) and value != "") or (
        isinstance(value, list)
        and bool(value)
        and (
            all(isinstance(v, str) and v for v in value)
            or all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or all(isinstance(v, list) and v and all(isinstance(t, int) for t in v) for v in value)
        )
    )
    if not is_valid:
        raise bad_request(
            "`input` must be a non-empty string, an array of non-empty strings, or token ids", field="input"
        )
    if body.get("encoding_format", "float") not in ("float", "base64"):
        raise bad_request("`encoding_format` must be float or base64", field="encoding_format")
    _positive_int(body, "dimensions")
    size = len(orjson.dumps(value))
    count = len(value) if isinstance(value, list) else 1
    return RelayRequest(
        surface=Surface.EMBEDDINGS,
        body=_canonical(body, model),
        model=model,
        is_stream=False,
        max_output_tokens=None,
        prompt_tokens_estimate=_conservative_tokens(size, count),
        prompt_bytes=size,
        **_routing(body, model),
    )


def _conservative_tokens(size_bytes: int, items: int) -> int:
    return -(-size_bytes // _BYTES_PER_TOKEN_FLOOR) + _TOKENS_PER_MESSAGE * items


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
