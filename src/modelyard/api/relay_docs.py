"""OpenAPI descriptions of the relay (`/v1` and `/api/v1`: chat completions, legacy completions, embeddings)
and of the operations endpoints. Like catalog_docs.py these stand-in routes are never mounted: the real ones
are plain Starlette routes that parse their own bodies (relay/request.py), and this module only describes what
they accept and answer, for the reference and the web app's generated types.

The models follow what relay/request.py checks and what relay/chat.py answers; fields the relay passes to the
provider unchecked are listed for reference, and any other field is passed on as well (`extra="allow"`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from modelyard.api.openapi import (
    KEY_ONLY,
    METRICS_SCHEME,
    OPENAI,
    OPENROUTER,
    OPERATIONS,
    ErrorDetail,
    errors,
)

OPEN = ConfigDict(extra="allow")
# Fields of OpenRouter's that the gateway accepts for compatibility and does not act on.
IGNORED = "Accepted for compatibility with OpenRouter; this gateway does not act on it."

# ---------------------------------------------------------------- requests


class ImageUrl(BaseModel):
    url: str = Field(description="An http(s) URL or a `data:` URL (base64)")
    detail: Literal["auto", "low", "high"] | None = None


class ContentPart(BaseModel):
    """One part of a message's content: `text`, `image_url`, `input_audio` or `file` (what each provider
    supports varies; one that cannot carry a part answers 400 naming it)."""

    model_config = OPEN
    type: Literal["text", "image_url", "input_audio", "file"]
    text: str | None = None
    image_url: ImageUrl | None = None
    input_audio: dict[str, Any] | None = Field(default=None, description="`{data: base64, format}`")
    file: dict[str, Any] | None = Field(default=None, description="`{filename, file_data}`")
    cache_control: dict[str, Any] | None = Field(default=None, description="`{type: ephemeral}`")


class FunctionCall(BaseModel):
    name: str
    arguments: str = Field(description="The arguments, as a JSON-encoded string")


class ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    model_config = OPEN
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = Field(
        default=None, description="Text, or an array of content parts; a trailing assistant message prefills"
    )
    name: str | None = None
    tool_calls: list[ToolCall] | None = Field(default=None, description="An assistant turn's tool calls")
    tool_call_id: str | None = Field(default=None, description="A `tool` turn: the call it answers")


class FunctionDefinition(BaseModel):
    model_config = OPEN
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = Field(default=None, description="A JSON Schema of the arguments")
    strict: bool | None = None


class Tool(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class NamedFunction(BaseModel):
    name: str


class NamedToolChoice(BaseModel):
    type: Literal["function"] = "function"
    function: NamedFunction


class JsonSchemaFormat(BaseModel):
    model_config = OPEN
    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    model_config = OPEN
    type: Literal["text", "json_object", "json_schema", "grammar", "python"]
    json_schema: JsonSchemaFormat | None = Field(default=None, description="With `type: json_schema`")


class StreamOptions(BaseModel):
    model_config = OPEN
    include_usage: bool | None = Field(
        default=None, description="No effect: a stream always ends with a usage chunk"
    )


class Reasoning(BaseModel):
    """Reasoning ("thinking") for models that have it; becomes Anthropic's `thinking` budget and Gemini's
    `thinkingConfig`, and `reasoning_effort` for OpenAI-compatible providers."""

    effort: Literal["xhigh", "high", "medium", "low", "minimal", "none"] | None = None
    max_tokens: int | None = Field(default=None, ge=1, description="A budget of reasoning tokens")
    exclude: bool | None = Field(
        default=None, description="Reason, but leave the reasoning out of the answer"
    )
    enabled: bool | None = None


class PercentileThresholds(BaseModel):
    p50: float | None = Field(default=None, ge=0)
    p75: float | None = Field(default=None, ge=0)
    p90: float | None = Field(default=None, ge=0)
    p99: float | None = Field(default=None, ge=0)


class MaxPrice(BaseModel):
    """Ceilings in USD: per million tokens for `prompt` and `completion`, per unit for the others."""

    prompt: float | str | None = None
    completion: float | str | None = None
    request: float | str | None = None
    image: float | str | None = None
    audio: float | str | None = None


class ProviderSort(BaseModel):
    by: Literal["price", "throughput", "latency"]
    partition: Literal["model", "none"] | None = None


Quantization = Literal[
    "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"
]  # fmt: skip


class ProviderPreferences(BaseModel):
    """OpenRouter's `provider` object: how this request is routed among the model's endpoints (channels).
    A provider slug matches all of its channels; `provider/channel` or a channel's name matches one.
    Unknown fields are refused (400), so a typo never routes somewhere unintended."""

    model_config = ConfigDict(extra="forbid")
    order: list[str] | None = Field(default=None, description="Providers to try first, in this order")
    allow_fallbacks: bool | None = Field(
        default=None, description="false: only the `order` providers are tried (default true)"
    )
    only: list[str] | None = Field(default=None, description="Only these providers")
    ignore: list[str] | None = Field(default=None, description="Never these providers")
    sort: Literal["price", "throughput", "latency"] | ProviderSort | None = Field(
        default=None, description="Order endpoints by this instead of the default (price-weighted)"
    )
    require_parameters: bool | None = Field(
        default=None, description="Only endpoints whose model supports every parameter the request sets"
    )
    max_price: MaxPrice | None = None
    preferred_min_throughput: float | PercentileThresholds | None = Field(
        default=None, description="Tokens per second (a number: the p50); slower endpoints are tried later"
    )
    preferred_max_latency: float | PercentileThresholds | None = Field(
        default=None,
        description="Seconds to the first token (a number: the p50); slower ones are tried later",
    )
    quantizations: list[Quantization] | None = None
    data_collection: Literal["allow", "deny"] | None = Field(
        default=None, description="deny: only endpoints known not to keep or train on prompts"
    )
    zdr: bool | None = Field(default=None, description="Only endpoints known to retain nothing")
    enforce_distillable_text: bool | None = None
    experimental: dict[str, Any] | None = None


class Plugin(BaseModel):
    model_config = OPEN
    id: str = Field(description=IGNORED)


class RoutingFields(BaseModel):
    """What every relayed request shares: the model, its fallbacks and the routing preferences."""

    model_config = OPEN
    model: str | None = Field(
        default=None,
        description="A catalogue slug (`openai/gpt-4o-mini`); the suffixes `:floor` (cheapest first) and "
        "`:nitro` (fastest first) choose the routing strategy. Required unless `models` is given.",
    )
    models: list[str] | None = Field(
        default=None,
        max_length=10,
        description="Fallback models, tried in order when the model fails (OpenRouter); billed by the one "
        "that answers",
    )
    provider: ProviderPreferences | None = None
    user: str | None = None


class SamplingFields(RoutingFields):
    stream: bool = Field(default=False, description="Answer as server-sent events")
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens to generate")
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    logit_bias: dict[str, float] | None = None


class ChatCompletionRequest(SamplingFields):
    """`messages` (or OpenRouter's legacy bare `prompt`) and the model are required. Fields not listed are
    passed on to the provider."""

    model_config = ConfigDict(extra="allow")
    messages: list[ChatMessage] | None = Field(default=None, min_length=1)
    prompt: str | None = Field(default=None, description="Legacy: one user message (OpenRouter)")
    max_completion_tokens: int | None = Field(default=None, ge=1, description="Like `max_tokens`")
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning: Reasoning | None = None
    reasoning_effort: Literal["xhigh", "high", "medium", "low", "minimal", "none"] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    top_k: int | None = None
    min_p: float | None = None
    top_a: float | None = None
    repetition_penalty: float | None = None
    modalities: list[Literal["text", "image", "audio"]] | None = None
    prediction: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    plugins: list[Plugin] | None = Field(default=None, description=IGNORED)
    transforms: list[str] | None = Field(default=None, description=IGNORED)
    route: Literal["fallback"] | None = Field(default=None, description="Deprecated; use `models`")
    usage: dict[str, Any] | None = Field(default=None, description="No effect: usage is always returned")
    session_id: str | None = Field(default=None, description=IGNORED)


class CompletionRequest(SamplingFields):
    """OpenAI's legacy text completions; relayed natively where the provider has them, else as a chat
    request with the prompt as one user message."""

    model_config = ConfigDict(extra="allow")
    prompt: str | list[str] | list[int] | list[list[int]]
    n: int | None = None
    echo: bool | None = None
    suffix: str | None = None
    logprobs: int | None = None
    best_of: int | None = None


class EmbeddingsRequest(RoutingFields):
    model_config = ConfigDict(extra="allow")
    input: str | list[str] | list[int] | list[list[int]] = Field(
        description="A non-empty string, an array of non-empty strings, or token ids"
    )
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1)
    input_type: str | None = None


# ---------------------------------------------------------------- answers


class PromptTokensDetails(BaseModel):
    model_config = OPEN
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class CompletionTokensDetails(BaseModel):
    model_config = OPEN
    reasoning_tokens: int | None = None


class Usage(BaseModel):
    """Always returned. Counts are the provider's (an estimate where it reports none); `cost` is what this
    request was charged, in USD."""

    model_config = OPEN
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float = Field(description="USD charged for this request")
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class AssistantMessage(BaseModel):
    model_config = OPEN
    role: Literal["assistant"] = "assistant"
    content: str | None
    reasoning: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


class ChatChoice(BaseModel):
    model_config = OPEN
    index: int
    message: AssistantMessage
    finish_reason: FinishReason | None
    native_finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletion(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "gen-Xc2vA9kq3LmN8pQrT5uW7yZ1",
                    "object": "chat.completion",
                    "created": 1748600000,
                    "model": "openai/gpt-4o-mini",
                    "provider": "openai",
                    "system_fingerprint": None,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Hello! How can I help?"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": 9,
                        "completion_tokens": 7,
                        "total_tokens": 16,
                        "cost": 0.00000555,
                    },
                }
            ]
        },
    )
    id: str = Field(description="The generation id (`gen-…`), also in the `X-Generation-Id` header")
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = Field(description="The model that answered (a fallback, when the model failed)")
    provider: str = Field(description="The channel that answered")
    system_fingerprint: str | None
    choices: list[ChatChoice]
    usage: Usage


class ToolCallDelta(BaseModel):
    model_config = OPEN
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: dict[str, Any] | None = Field(default=None, description="`{name?, arguments?}` (a fragment)")


class ChunkDelta(BaseModel):
    model_config = OPEN
    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(BaseModel):
    model_config = OPEN
    index: int
    delta: ChunkDelta
    finish_reason: FinishReason | None
    native_finish_reason: str | None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` event of a chat stream. The last one before `data: [DONE]` has `choices: []` and the
    `usage`; a failure after the stream began is a chunk with `error` and `finish_reason: "error"`, and the
    stream then ends without `[DONE]`."""

    model_config = OPEN
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    provider: str | None = None
    choices: list[ChunkChoice]
    usage: Usage | None = None
    error: ErrorDetail | None = None


class CompletionChoice(BaseModel):
    model_config = OPEN
    index: int
    text: str
    logprobs: dict[str, Any] | None = None
    finish_reason: FinishReason | None


class Completion(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "gen-Yd3wB0lr4MnO9qRsU6vX8zA2",
                    "object": "text_completion",
                    "created": 1748600000,
                    "model": "openai/gpt-3.5-turbo-instruct",
                    "provider": "openai",
                    "choices": [{"index": 0, "text": " blue.", "finish_reason": "stop", "logprobs": None}],
                    "usage": {
                        "prompt_tokens": 5,
                        "completion_tokens": 2,
                        "total_tokens": 7,
                        "cost": 0.0000115,
                    },
                }
            ]
        },
    )
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    provider: str
    choices: list[CompletionChoice]
    usage: Usage


class Embedding(BaseModel):
    model_config = OPEN
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str = Field(description="Numbers, or base64 with `encoding_format: base64`")


class EmbeddingsUsage(BaseModel):
    model_config = OPEN
    prompt_tokens: int
    total_tokens: int
    cost: float = Field(description="USD charged for this request")


class Embeddings(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "gen-Ze4xC1ms5NoP0rStV7wY9aB3",
                    "object": "list",
                    "model": "openai/text-embedding-3-small",
                    "provider": "openai",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.0123, -0.0456, 0.0789]}],
                    "usage": {"prompt_tokens": 4, "total_tokens": 4, "cost": 0.00000008},
                }
            ]
        },
    )
    id: str
    object: Literal["list"] = "list"
    model: str
    provider: str
    data: list[Embedding]
    usage: EmbeddingsUsage


# ---------------------------------------------------------------- examples

_HELLO = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}
CHAT_EXAMPLES: dict[str, Any] = {
    "simple": {"summary": "One question", "value": _HELLO},
    "stream": {
        "summary": "Streamed",
        "description": "Server-sent events; the last chunk before `[DONE]` carries the usage and cost.",
        "value": {**_HELLO, "stream": True, "max_tokens": 200},
    },
    "tools": {
        "summary": "Tool calling",
        "value": {
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "The current weather in a city",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                    },
                }
            ],
            "tool_choice": "auto",
        },
    },
    "json_schema": {
        "summary": "Structured output",
        "value": {
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": "Name a colour and its hex code."}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "colour",
                    "strict": True,
                    "schema": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "hex": {"type": "string"}},
                        "required": ["name", "hex"],
                        "additionalProperties": False,
                    },
                },
            },
        },
    },
    "routing": {
        "summary": "Fallback models and provider preferences (OpenRouter)",
        "value": {
            "model": "anthropic/claude-sonnet-4",
            "models": ["openai/gpt-4o", "google/gemini-2.5-flash"],
            "messages": [{"role": "user", "content": "Summarise the plot of Hamlet in two sentences."}],
            "provider": {
                "sort": "throughput",
                "ignore": ["azure"],
                "max_price": {"prompt": 5, "completion": 20},
            },
            "reasoning": {"effort": "low"},
        },
    },
}
COMPLETION_EXAMPLES: dict[str, Any] = {
    "simple": {
        "summary": "A prompt to continue",
        "value": {"model": "openai/gpt-3.5-turbo-instruct", "prompt": "The sky is", "max_tokens": 16},
    }
}
EMBEDDINGS_EXAMPLES: dict[str, Any] = {
    "one": {"summary": "One text", "value": {"model": "openai/text-embedding-3-small", "input": "Hello!"}},
    "batch": {
        "summary": "Several texts, fewer dimensions",
        "value": {
            "model": "openai/text-embedding-3-small",
            "input": ["first document", "second document"],
            "dimensions": 256,
        },
    },
}

CHAT_STREAM_EXAMPLE = (
    ": OPENROUTER PROCESSING\n\n"
    'data: {"id":"gen-Xc2vA9kq3LmN8pQrT5uW7yZ1","object":"chat.completion.chunk","created":1748600000,'
    '"model":"openai/gpt-4o-mini","provider":"openai","choices":[{"index":0,"delta":{"role":"assistant",'
    '"content":"Hello"},"finish_reason":null}]}\n\n'
    'data: {"id":"gen-Xc2vA9kq3LmN8pQrT5uW7yZ1","object":"chat.completion.chunk","created":1748600000,'
    '"model":"openai/gpt-4o-mini","provider":"openai","choices":[{"index":0,"delta":{"content":"!"},'
    '"finish_reason":"stop"}]}\n\n'
    'data: {"id":"gen-Xc2vA9kq3LmN8pQrT5uW7yZ1","object":"chat.completion.chunk","created":1748600000,'
    '"model":"openai/gpt-4o-mini","provider":"openai","choices":[],"usage":{"prompt_tokens":9,'
    '"completion_tokens":2,"total_tokens":11,"cost":0.00000255}}\n\n'
    "data: [DONE]\n\n"
)
STREAM_DESCRIPTION = (
    "With `stream: true`: server-sent events. Each `data:` line holds one chunk (`ChatCompletionChunk` in "
    "the schemas; for `/completions`, text-completion chunks with `choices[].text`); the last chunk before "
    "`data: [DONE]` has `choices: []` and the usage with its cost. Lines starting with `:` (`: OPENROUTER "
    "PROCESSING`) keep the connection alive while the provider is slow, and are to be ignored. If the "
    "provider fails after the stream began, the status stays 200: the last chunk carries `error` (its "
    '`code` an integer HTTP status) with `finish_reason: "error"`, and `[DONE]` does not follow.'
)
_GENERATION_HEADER = {
    "X-Generation-Id": {
        "description": "The generation id, for `GET /api/v1/generation?id=` and the activity log",
        "schema": {"type": "string"},
    }
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def relay_errors() -> dict[int | str, dict[str, Any]]:
    """The statuses relay/chat.py, relay/request.py and routing/policy.py answer."""
    responses = errors(
        400, 401, 402, 403, 404, 413, 429, 502, 503, 504,
        s400="Not valid (the message and `metadata.field` name the field), or no channel of the model can "
        "carry a feature the request uses, or the provider refused the request (e.g. context length)",
        s401="No API key, or one that is unknown, disabled or expired",
        s402="The key's owner lacks the credit for the most this request can cost (prompt estimate and "
        "`max_tokens`, or the model's output limit), or the key's credit limit is reached: nothing was sent",
        s403="A management key, a model the key may not use, or an address the key may not be used from",
        s404="No such model, no price for it, no enabled channel serving it, or none meeting the request's "
        "`provider` constraints (`metadata.availability.excluded_by` says which)",
        s429="Over the key's requests or tokens per minute, or the provider's rate limit",
        s502="The provider failed (`metadata.provider_name`, `metadata.previous_errors` list every try)",
        s503="Every endpoint of the model is cooling down after failures, or the provider is overloaded",
        s504="The provider did not answer in time",
    )  # fmt: skip
    for status in (429, 503):
        responses[status]["headers"] = _RETRY_AFTER
    return responses


def answers(model: type[BaseModel], *, stream: bool) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a relayed request: the answer (JSON, or with `stream` an event stream), the errors."""
    description = "The answer (JSON), or with `stream: true` an event stream" if stream else "The answer"
    ok: dict[str, Any] = {"model": model, "description": description, "headers": _GENERATION_HEADER}
    if stream:
        ok["content"] = {
            "text/event-stream": {
                "schema": {"type": "string", "description": STREAM_DESCRIPTION},
                "example": CHAT_STREAM_EXAMPLE,
            }
        }
    return {200: ok, **relay_errors()}


# The playground (api/playground.py) takes this body too; its route reads the request itself.
CHAT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/ChatCompletionRequest"},
            "examples": CHAT_EXAMPLES,
        }
    },
}

AttributionReferer = Annotated[
    str | None,
    Header(alias="HTTP-Referer", description="Your app's URL: requests are attributed to it in rankings"),
]
AttributionTitle = Annotated[
    str | None,
    Header(alias="X-Title", description="Your app's name (also accepted as `X-OpenRouter-Title`)"),
]


def chat_completions(
    body: Annotated[ChatCompletionRequest, Body(openapi_examples=CHAT_EXAMPLES)],
    http_referer: AttributionReferer = None,
    x_title: AttributionTitle = None,
) -> None:
    """Relayed to an endpoint of the model chosen by price and live health (or by the request's `provider`
    preferences), failing over to the next endpoint and then to the `models` fallbacks. The most the request
    can cost is reserved from the balance before anything is sent (402 when it does not fit); the answer's
    `usage.cost` is what was charged."""


def completions(
    body: Annotated[CompletionRequest, Body(openapi_examples=COMPLETION_EXAMPLES)],
    http_referer: AttributionReferer = None,
    x_title: AttributionTitle = None,
) -> None:
    """The legacy text completions API, routed and billed like chat completions."""


def embeddings(
    body: Annotated[EmbeddingsRequest, Body(openapi_examples=EMBEDDINGS_EXAMPLES)],
    http_referer: AttributionReferer = None,
    x_title: AttributionTitle = None,
) -> None:
    """Routed and billed like chat completions (prompt tokens only)."""


_RELAYED = (
    ("chat/completions", chat_completions, "Create a chat completion", ChatCompletion, True),
    ("completions", completions, "Create a text completion (legacy)", Completion, True),
    ("embeddings", embeddings, "Create embeddings", Embeddings, False),
)


def relay_router(prefix: str, tag: str) -> APIRouter:
    router = APIRouter(tags=[tag])
    for path, endpoint, summary, answer, streams in _RELAYED:
        router.add_api_route(
            f"{prefix}/{path}",
            endpoint,
            methods=["POST"],
            summary=summary,
            responses=answers(answer, stream=streams),
            openapi_extra={"security": KEY_ONLY},
        )
    return router


# ---------------------------------------------------------------- operations


class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"]


class ReadinessOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ok", "checks": {"database": "ok", "redis": "not configured"}}]
        }
    )
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(
        description='Per dependency: "ok", "not configured" or "failed: <error type>"'
    )


operations_router = APIRouter(tags=[OPERATIONS])


@operations_router.get("/healthz", response_model=HealthOut, summary="Liveness: the process answers")
def healthz() -> None:
    """Touches nothing else: for a liveness probe."""


@operations_router.get("/health", response_model=HealthOut, summary="Liveness (older path of /healthz)")
def health() -> None:
    """The same as `/healthz`."""


@operations_router.get(
    "/readyz",
    response_model=ReadinessOut,
    summary="Readiness: the database (and Redis, when configured) answer",
    responses={503: {"model": ReadinessOut, "description": "Not ready: `checks` says what failed"}},
)
def readyz() -> None:
    """For a readiness probe and load balancers: each check has 2 seconds."""


@operations_router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    response_description="Prometheus' text exposition format",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **errors(401, s401="The deployment sets a metrics token and the request did not send it"),
    },
    openapi_extra={"security": [{}, {METRICS_SCHEME: []}]},
)
def metrics() -> None:
    """Requests, tokens, cost, latency and time to first token per model and provider; circuit breakers,
    holds and queues. Needs `Authorization: Bearer <MODELYARD_METRICS_TOKEN>` when that is set."""


ROUTERS = (relay_router("/v1", OPENAI), relay_router("/api/v1", OPENROUTER), operations_router)
