"""Wire formats of the activity routes: the generation log, OpenRouter's generation object and `/activity`
rows, the statistics and their analysis. The dicts themselves are built in activity/records.py and
activity/stats.py; these models describe them key for key and in the same order, so serialising a dict
through its model gives back the same JSON (tests/test_openapi.py checks that real answers round-trip
unchanged). Times the builders already render as ISO strings stay strings here: a `datetime` field would
re-render `+00:00` as `Z`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}, description="UTC day, YYYY-MM-DD")]
Usd = Annotated[str, Field(description="USD, exact decimal string")]


def _examples(*examples: JsonValue) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class _Exact(BaseModel):
    # A key a builder adds without adding it here fails the answer's validation (and the tests) instead of
    # silently vanishing from the answer.
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- the log (records.log_document)


class Attempt(_Exact):
    """One upstream call of a request, in the order they were tried (the fallback chain)."""

    channel_id: int
    channel: str = Field(description="The channel's name (what the log calls the provider)")
    provider: str = Field(description="The upstream's provider tag")
    model: str = Field(description="The catalogue model tried")
    status: int | None = Field(description="The upstream's HTTP status; null when it never answered")
    latency_ms: int
    error: str | None


class LogRow(_Exact):
    id: str = Field(description="The generation id (`gen-…`)")
    created_at: Instant
    model: str = Field(description="The model that answered (or was last tried)")
    requested_model: str | None = Field(description="What the request asked for, before fallbacks")
    api_type: str | None = Field(description="chat, completions or embeddings; null on old records")
    provider: str | None
    channel_id: int | None
    upstream_model: str | None
    api_key_id: int
    user_id: int
    app: str | None = Field(description="The app's X-Title, else its HTTP-Referer")
    app_referer: str | None
    streamed: bool
    status: Literal["success", "error", "cancelled"]
    http_status: int
    error_type: str | None
    error_message: str | None
    finish_reason: str | None
    prompt_tokens: int | None = Field(description="null: the upstream did not report it")
    completion_tokens: int | None
    reasoning_tokens: int | None
    cached_tokens: int | None
    usage_estimated: bool = Field(description="The counts are the gateway's estimate, not the upstream's")
    cost: Usd
    latency_ms: int
    ttft_ms: int | None = Field(description="Time to first token (streams)")
    tokens_per_second: float | None
    attempts: list[Attempt]


LOG_ROW_EXAMPLE: dict[str, JsonValue] = {
    "id": "gen-3bhGkxlo4XFrqiabUM7NDtwDzWwG",
    "created_at": "2026-11-30T09:15:02.431000+00:00",
    "model": "openai/gpt-4o-mini",
    "requested_model": "openai/gpt-4o",
    "api_type": "chat",
    "provider": "openai-main",
    "channel_id": 2,
    "upstream_model": "gpt-4o-mini",
    "api_key_id": 7,
    "user_id": 3,
    "app": "My App",
    "app_referer": "https://app.example",
    "streamed": True,
    "status": "success",
    "http_status": 200,
    "error_type": None,
    "error_message": None,
    "finish_reason": "stop",
    "prompt_tokens": 12,
    "completion_tokens": 48,
    "reasoning_tokens": None,
    "cached_tokens": 0,
    "usage_estimated": False,
    "cost": "0.0000306",
    "latency_ms": 1430,
    "ttft_ms": 310,
    "tokens_per_second": 42.9,
    "attempts": [
        {"channel_id": 1, "channel": "openai-backup", "provider": "openai", "model": "openai/gpt-4o",
         "status": 503, "latency_ms": 95, "error": "upstream overloaded"},
        {"channel_id": 2, "channel": "openai-main", "provider": "openai", "model": "openai/gpt-4o-mini",
         "status": 200, "latency_ms": 1320, "error": None},
    ],
}  # fmt: skip


class LogPage(_Exact):
    model_config = _examples({"data": [LOG_ROW_EXAMPLE], "next_cursor": 1183})
    data: list[LogRow] = Field(description="Newest first")
    next_cursor: int | None = Field(description="`cursor` for the next page; null on the last")


class LogRowOut(_Exact):
    model_config = _examples({"data": LOG_ROW_EXAMPLE})
    data: LogRow


# ---------------------------------------------------------------- OpenRouter's generation object


class ProviderResponse(_Exact):
    status: int | None = Field(description="The upstream's HTTP status; null when it never answered")
    id: str | None
    endpoint_id: str | None = Field(description="The channel's id")
    model_permaslug: str | None
    provider_name: str | None
    latency: int | None = Field(description="Milliseconds")
    is_byok: bool
    routed_service_tier: str | None


class Generation(_Exact):
    """OpenRouter's generation object: every key its SDK requires, null where Modelyard has no value. Keys
    that are always null here keep OpenRouter's type (openapi-fetch drops a key whose type is only `null`)."""

    id: str
    upstream_id: str | None
    request_id: str | None
    session_id: str | None
    created_at: Instant
    model: str
    provider_name: str | None = Field(description="The channel that answered")
    router: str | None
    api_type: Literal["completions", "embeddings"]
    data_region: Literal["global"]
    service_tier: str | None
    preset_id: str | None
    workspace_id: str | None
    total_cost: float = Field(description="USD")
    usage: float = Field(description="USD, the same as total_cost")
    cache_discount: float | None
    upstream_inference_cost: float | None
    is_byok: bool
    tokens_prompt: int | None
    tokens_completion: int | None
    native_tokens_prompt: int | None
    native_tokens_completion: int | None
    native_tokens_reasoning: int | None
    native_tokens_cached: int | None
    native_tokens_completion_images: int | None
    latency: int = Field(description="Milliseconds")
    generation_time: int | None = Field(description="Milliseconds after the first token")
    moderation_latency: int | None
    streamed: bool
    cancelled: bool
    finish_reason: str | None
    native_finish_reason: str | None
    num_media_prompt: int | None
    num_media_completion: int | None
    num_input_audio_prompt: int | None
    num_search_results: int | None
    num_fetches: int | None
    web_search_engine: str | None
    app_id: int | None
    origin: str = Field(description='The HTTP-Referer; "" when the request named none')
    http_referer: str | None
    user_agent: str | None
    external_user: str | None
    provider_responses: list[ProviderResponse] | None = Field(description="Every attempt, fallbacks included")


GENERATION_EXAMPLE: dict[str, JsonValue] = {
    "id": "gen-3bhGkxlo4XFrqiabUM7NDtwDzWwG", "upstream_id": None, "request_id": None, "session_id": None,
    "created_at": "2026-11-30T09:15:02.431000+00:00", "model": "openai/gpt-4o-mini",
    "provider_name": "openai-main", "router": None, "api_type": "completions", "data_region": "global",
    "service_tier": None, "preset_id": None, "workspace_id": None, "total_cost": 3.06e-05, "usage": 3.06e-05,
    "cache_discount": None, "upstream_inference_cost": None, "is_byok": False, "tokens_prompt": 12,
    "tokens_completion": 48, "native_tokens_prompt": 12, "native_tokens_completion": 48,
    "native_tokens_reasoning": None, "native_tokens_cached": 0, "native_tokens_completion_images": None,
    "latency": 1430, "generation_time": 1120, "moderation_latency": None, "streamed": True,
    "cancelled": False,
    "finish_reason": "stop", "native_finish_reason": "stop", "num_media_prompt": None,
    "num_media_completion": None, "num_input_audio_prompt": None, "num_search_results": None,
    "num_fetches": None, "web_search_engine": None, "app_id": None, "origin": "https://app.example",
    "http_referer": "https://app.example", "user_agent": None, "external_user": None,
    "provider_responses": [
        {"status": 200, "id": None, "endpoint_id": "2", "model_permaslug": "openai/gpt-4o-mini",
         "provider_name": "openai", "latency": 1320, "is_byok": False, "routed_service_tier": None},
    ],
}  # fmt: skip


class GenerationOut(_Exact):
    model_config = _examples({"data": GENERATION_EXAMPLE})
    data: Generation


# ---------------------------------------------------------------- OpenRouter's /activity


class ActivityRow(_Exact):
    """Usage of one UTC day, model and provider."""

    date: Day
    model: str
    model_permaslug: str
    endpoint_id: str = Field(description='The channel that answered ("" when none did)')
    provider_name: str = Field(description='The channel that answered ("" when none did)')
    # OpenRouter calls this a number; Modelyard has no BYOK, so it is always the integer 0.
    byok_usage_inference: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    usage: float = Field(description="USD")


class ActivityOut(_Exact):
    model_config = _examples(
        {
            "data": [
                {"date": "2026-11-29", "model": "openai/gpt-4o-mini", "model_permaslug": "openai/gpt-4o-mini",
                 "endpoint_id": "openai-main", "provider_name": "openai-main", "byok_usage_inference": 0,
                 "requests": 3, "prompt_tokens": 30, "completion_tokens": 15, "reasoning_tokens": 6,
                 "cached_tokens": 3, "usage": 0.0045},
            ]
        }
    )  # fmt: skip
    data: list[ActivityRow] = Field(description="Newest day first")


# ---------------------------------------------------------------- statistics (stats.stats)


class StatTotals(_Exact):
    requests: int
    errors: int
    error_rate: float | None = Field(description="errors / requests; null without requests")
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    spend: Usd
    average_latency_ms: int | None


class _Timed(_Exact):
    time: Instant = Field(description="The UTC bucket's start")


class _Grouped(_Exact):
    group: str | int | None = Field(description="A model slug, a provider (channel) name or an API key id")


# The mixins come last among the bases so that their field comes first, as in the dicts.
class StatPoint(StatTotals, _Timed):
    pass


class StatGroup(StatTotals, _Grouped):
    series: list[StatPoint]


TOTALS_EXAMPLE: dict[str, JsonValue] = {
    "requests": 42, "errors": 1, "error_rate": 0.0238, "prompt_tokens": 5120, "completion_tokens": 2310,
    "tokens": 7430, "spend": "0.0131", "average_latency_ms": 980,
}  # fmt: skip


class ActivityStats(_Exact):
    model_config = _examples(
        {
            "since": "2026-11-01T00:00:00+00:00",
            "until": "2026-12-01T00:00:00+00:00",
            "bucket": "day",
            "totals": TOTALS_EXAMPLE,
            "series": [{"time": "2026-11-30T00:00:00+00:00", **TOTALS_EXAMPLE}],
            "groups": [
                {"group": "openai/gpt-4o-mini", **TOTALS_EXAMPLE,
                 "series": [{"time": "2026-11-30T00:00:00+00:00", **TOTALS_EXAMPLE}]},
            ],
        }
    )  # fmt: skip
    since: Instant
    until: Instant
    bucket: Literal["hour", "day"]
    totals: StatTotals
    series: list[StatPoint] = Field(description="Buckets with requests, oldest first")
    groups: list[StatGroup] = Field(
        default_factory=list, description="Only with `group_by` (absent without): by spend, largest first"
    )


# ---------------------------------------------------------------- analysis


# A count (tokens, requests) or, for `metric=spend`, a USD string.
Measure = int | str


class DailyMeasure(_Exact):
    date: Day
    value: Measure


class AnalysisGroup(_Exact):
    group: str | int | None
    value: Measure = Field(description="Over the last `days` days")
    previous: Measure = Field(description="Over the `days` days before")
    change_percent: float | None = Field(description="null when there was nothing before")
    daily: list[DailyMeasure]


class ActivityAnalysis(_Exact):
    model_config = _examples(
        {
            "metric": "tokens", "group_by": "model", "days": 7,
            "since": "2026-11-23T10:00:00+00:00", "until": "2026-11-30T10:00:00+00:00",
            "groups": [
                {"group": "openai/gpt-4o-mini", "value": 7430, "previous": 5210, "change_percent": 42.6,
                 "daily": [{"date": "2026-11-29", "value": 3100}, {"date": "2026-11-30", "value": 4330}]},
            ],
        }
    )  # fmt: skip
    metric: Literal["tokens", "spend", "requests"]
    group_by: Literal["model", "provider", "key"]
    days: int
    since: Instant
    until: Instant
    groups: list[AnalysisGroup]
