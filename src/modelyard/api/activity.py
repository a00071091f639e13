"""The caller's generation records: OpenRouter's `/api/v1/generation`, the web app's log and its export.

Everyone reads their own records; an admin may read one user's (`user_id=`) or everyone's (`all=true`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.responses import StreamingResponse

from modelyard.activity import records, stats
from modelyard.api.activity_schemas import (
    ActivityAnalysis,
    ActivityOut,
    ActivityStats,
    GenerationOut,
    LogPage,
    LogRowOut,
)
from modelyard.api.deps import Caller, CallerDep, GatewayDep
from modelyard.errors import AppError, bad_request
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import ApiKey

router = APIRouter(tags=["account"])
openrouter_router = APIRouter(tags=["OpenRouter-compatible"])

MAX_PAGE = 500


def _scope(caller: Caller, user_id: int | None, everyone: bool) -> int | None:
    if user_id is None and not everyone:
        return caller.user_id
    if not caller.is_admin:
        raise AppError(403, "Only administrators can read other users' activity",
                       metadata={"error_type": "permission_denied"})  # fmt: skip
    return None if everyone else user_id


def log_filter(
    caller: CallerDep,
    since: datetime | None = None,
    until: datetime | None = None,
    model: str | None = None,
    provider: str | None = None,
    key_id: int | None = None,
    status: str | None = None,
    app: str | None = None,
    user_id: int | None = None,
    everyone: Annotated[bool, Query(alias="all", description="Admins: every user's records")] = False,
) -> records.LogFilter:
    """The filters the log and its export share, checked, scoped to what the caller may read."""
    if status is not None and status not in records.STATUSES:
        raise bad_request(f"`status` must be one of {', '.join(records.STATUSES)}", field="status")
    if since is not None and until is not None and since >= until:
        raise bad_request("`since` must be before `until`", field="since")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise bad_request(f"`{name}` must carry a time zone, e.g. 2026-11-30T00:00:00Z", field=name)
    return records.LogFilter(
        user_id=_scope(caller, user_id, everyone),
        since=since,
        until=until,
        model=model,
        provider=provider,
        key_id=key_id,
        status=status,
        app=app,
    )


LogFilterDep = Annotated[records.LogFilter, Depends(log_filter)]


@openrouter_router.get(
    "/api/v1/generation", response_model=GenerationOut, summary="One generation, as OpenRouter describes it"
)
async def get_generation(
    caller: CallerDep, gateway: GatewayDep, id: Annotated[str, Query(min_length=1, max_length=64)]
) -> dict[str, Any]:
    async with gateway.sessions() as session:
        row = await records.find(session, id, None if caller.is_admin else caller.user_id)
    if row is None:
        raise AppError(404, f"Generation {id} not found", metadata={"error_type": "not_found"})
    return {"data": records.generation_document(row)}


@router.get("/api/activity/logs", response_model=LogPage, summary="Your requests, newest first")
async def list_logs(
    where: LogFilterDep,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[int | None, Query(ge=1, description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    async with gateway.sessions() as session:
        rows, next_cursor = await records.page(session, where, limit=limit, before_id=cursor)
    return {"data": [records.log_document(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/api/activity/logs/{generation_id}",
    response_model=LogRowOut,
    summary="One of your requests, as the log lists it",
)
async def get_log(caller: CallerDep, gateway: GatewayDep, generation_id: str) -> dict[str, Any]:
    """The log's row for one generation (with every attempt and the error), for the web app's detail view;
    an admin may read anyone's."""
    if not 0 < len(generation_id) <= 64:
        raise AppError(404, f"Generation {generation_id} not found", metadata={"error_type": "not_found"})
    async with gateway.sessions() as session:
        row = await records.find(session, generation_id, None if caller.is_admin else caller.user_id)
    if row is None:
        raise AppError(404, f"Generation {generation_id} not found", metadata={"error_type": "not_found"})
    return {"data": records.log_document(row)}


@router.get(
    "/api/activity/export",
    summary="Your requests as CSV or JSON lines, streamed",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`format=csv`: CSV with a header row; `format=jsonl`: one JSON object per line",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def export_logs(
    where: LogFilterDep,
    gateway: GatewayDep,
    fmt: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "csv",
) -> StreamingResponse:
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(
        records.export(gateway.sessions, where, fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="modelyard-activity.{fmt}"'},
    )


def _window(since: datetime | None, until: datetime | None, default_days: int) -> tuple[datetime, datetime]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise bad_request(f"`{name}` must carry a time zone, e.g. 2026-11-30T00:00:00Z", field=name)
    end = until or (utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    start = since or (end - timedelta(days=default_days))
    if start >= end:
        raise bad_request("`since` must be before `until`", field="since")
    if end - start > timedelta(days=MAX_STATS_DAYS):
        raise bad_request(f"a range spans at most {MAX_STATS_DAYS} days", field="since")
    return start, end


MAX_STATS_DAYS = 400


@router.get(
    "/api/activity/stats",
    response_model=ActivityStats,
    response_model_exclude_unset=True,  # `groups` only with `group_by`, as stats.stats answers
    summary="Totals and time series of requests, tokens, spend, errors",
)
async def activity_stats(
    caller: CallerDep,
    gateway: GatewayDep,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: Literal["hour", "day"] = "day",
    group_by: Literal["model", "provider", "key"] | None = None,
    model: str | None = None,
    provider: str | None = None,
    key_id: int | None = None,
    user_id: int | None = None,
    everyone: Annotated[bool, Query(alias="all", description="Admins: every user's records")] = False,
) -> dict[str, Any]:
    """UTC buckets; the range defaults to the last 30 days up to the current hour."""
    start, end = _window(since, until, 30)
    scope = stats.Scope(_scope(caller, user_id, everyone), key_id=key_id, model=model, provider=provider)
    async with gateway.sessions() as session:
        return await stats.stats(session, scope, since=start, until=end, bucket=bucket, group_by=group_by)


@router.get(
    "/api/activity/analysis",
    response_model=ActivityAnalysis,
    summary="Tokens or spend per model or key per day, with the change",
)
async def activity_analysis(
    caller: CallerDep,
    gateway: GatewayDep,
    metric: Literal["tokens", "spend", "requests"] = "tokens",
    group_by: Literal["model", "provider", "key"] = "model",
    days: Annotated[int, Query(ge=1, le=MAX_STATS_DAYS // 2)] = 7,
    user_id: int | None = None,
    everyone: Annotated[bool, Query(alias="all", description="Admins: every user's records")] = False,
) -> dict[str, Any]:
    """The last `days` UTC days per group and day, and each group's change against the `days` before."""
    end = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start, before = end - timedelta(days=days), end - timedelta(days=2 * days)
    scope = stats.Scope(_scope(caller, user_id, everyone))
    async with gateway.sessions() as session:
        current = await stats.stats(session, scope, since=start, until=end, bucket="day", group_by=group_by)
        previous = await stats.period_totals(session, scope, group_by, before, start)
    field = {"tokens": "tokens", "spend": "spend", "requests": "requests"}[metric]
    groups = []
    for group in current.get("groups", []):
        now_value = stats.measure_document(group, metric)
        then_value = stats.measure(previous[group["group"]], metric) if group["group"] in previous else 0
        groups.append(
            {
                "group": group["group"],
                "value": group[field],
                "previous": nanos_to_usd_str(then_value) if metric == "spend" else then_value,
                "change_percent": stats.change(now_value, then_value),
                "daily": [{"date": p["time"][:10], "value": p[field]} for p in group["series"]],
            }
        )
    return {"metric": metric, "group_by": group_by, "days": days, "since": start.isoformat(),
            "until": end.isoformat(), "groups": groups}  # fmt: skip


# `value` is a count (tokens, requests) or, when ranking by spend, a USD string.
Value = int | str


class DailyValue(BaseModel):
    date: str
    value: Value
    partial: bool = Field(description="The day still under way (the window ends at the current hour)")


class RankedModel(BaseModel):
    rank: int
    model: str
    author: str
    value: Value
    share: float | None
    previous: Value = Field(description="The same measure over the period before")
    change_percent: float | None = Field(description="null when the model had nothing the period before")
    daily: list[DailyValue]


class AuthorShare(BaseModel):
    author: str
    share: float | None
    value: Value


class ProviderShare(BaseModel):
    provider: str
    share: float | None
    value: Value


class RankedApp(BaseModel):
    app: str = Field(description="The app's HTTP-Referer, else its X-Title")
    title: str | None
    tokens: int
    requests: int


class Rankings(BaseModel):
    by: str
    period: str
    since: datetime
    until: datetime
    total: Value
    models: list[RankedModel]
    authors: list[AuthorShare]
    providers: list[ProviderShare]
    apps: list[RankedApp]


class RankingsOut(BaseModel):
    data: Rankings


@openrouter_router.get(
    "/api/v1/rankings", response_model=RankingsOut, summary="Public model rankings (no sign-in)"
)
async def model_rankings(
    gateway: GatewayDep,
    by: Literal["tokens", "requests", "spend", "growth"] = "tokens",
    period: Literal["day", "week", "month"] = "week",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    async with gateway.sessions() as session:
        data = await stats.rankings(session, by=by, period=period, now=utcnow(), limit=limit)
    return {"data": data}


class Percentiles(BaseModel):
    """Of successful requests: milliseconds for latency and time to first token, tokens per second for
    throughput (within a histogram bucket, ~19 %); null without such requests."""

    latency_ms_p50: float | None
    latency_ms_p90: float | None
    latency_ms_p99: float | None
    ttft_ms_p50: float | None
    ttft_ms_p90: float | None
    ttft_ms_p99: float | None
    throughput_p50: float | None
    throughput_p90: float | None
    throughput_p99: float | None


class ModelDay(Percentiles):
    date: str = Field(description="UTC day")
    requests: int
    errors: int
    error_rate: float | None
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    spend: str = Field(description="USD")
    average_latency_ms: int | None


class ProviderFigures(Percentiles):
    provider: str | None = Field(description="null: requests no channel answered")
    daily: list[ModelDay]


class ModelFigures(BaseModel):
    model: str
    since: datetime
    until: datetime
    providers: list[ProviderFigures]


class ModelFiguresOut(BaseModel):
    data: ModelFigures


@openrouter_router.get(
    "/api/v1/models/{author}/{slug}/stats",
    response_model=ModelFiguresOut,
    summary="A model's daily usage, latency and throughput (public)",
)
async def model_stats(
    gateway: GatewayDep, author: str, slug: str, days: Annotated[int, Query(ge=1, le=MAX_STATS_DAYS)] = 30
) -> dict[str, Any]:
    """Everyone's requests per UTC day and provider over the last `days` days (today included, partial), with
    p50/p90/p99 latency, time to first token and tokens per second of successful requests."""
    model = f"{author}/{slug}"
    if model not in gateway.cache.catalog.by_slug:
        raise AppError(404, f"Model {model} does not exist", metadata={"error_type": "not_found"})
    end = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = (end - timedelta(days=days)).replace(hour=0)
    async with gateway.sessions() as session:
        data = await stats.model_daily(session, model, since=start, until=end)
    return {"data": data}


@openrouter_router.get(
    "/api/v1/activity",
    response_model=ActivityOut,
    summary="Usage per day, model and provider (management key)",
)
async def openrouter_activity(
    caller: CallerDep,
    gateway: GatewayDep,
    date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="One UTC day")] = None,
    api_key_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> dict[str, Any]:
    """The last 30 completed UTC days of the management key owner's usage, as OpenRouter reports it."""
    if not caller.is_management_key:
        raise AppError(403, "Only management keys can perform this operation",
                       metadata={"error_type": "permission_denied"})  # fmt: skip
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = today - timedelta(days=30), today
    if date is not None:
        try:
            day = datetime.fromisoformat(date).replace(tzinfo=UTC)
        except ValueError:
            raise bad_request("`date` must be a day such as 2026-11-29", field="date") from None
        if not since <= day < until:
            raise bad_request("`date` must be one of the last 30 completed UTC days", field="date")
        since, until = day, day + timedelta(days=1)
    key_id = None
    async with gateway.sessions() as session:
        if api_key_hash is not None:
            key = await session.scalar(
                select(ApiKey).where(ApiKey.key_hash == api_key_hash, ApiKey.user_id == caller.user_id)
            )
            if key is None:
                raise AppError(404, "No key of yours has that hash", metadata={"error_type": "not_found"})
            key_id = key.id
        scope = stats.Scope(caller.user_id, key_id=key_id)
        rows = await stats.daily_activity(session, scope, since=since, until=until)
    return {"data": rows}
