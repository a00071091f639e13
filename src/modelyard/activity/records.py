"""Reading generation records (request_logs): one request's record in OpenRouter's generation shape, the
filtered log newest first with a cursor, and a streamed export that never holds the range in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.activity.rollups import tokens_per_second
from modelyard.kit.money import nanos_to_usd_number, nanos_to_usd_str
from modelyard.models import RequestLog

STATUSES = ("success", "error", "cancelled")
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class LogFilter:
    """Who and what to read. `user_id` None = every user (admins only; the API decides)."""

    user_id: int | None
    since: datetime | None = None
    until: datetime | None = None
    model: str | None = None
    provider: str | None = None
    key_id: int | None = None
    status: str | None = None
    app: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        conditions = []
        if self.user_id is not None:
            conditions.append(RequestLog.user_id == self.user_id)
        if self.since is not None:
            conditions.append(RequestLog.created_at >= self.since)
        if self.until is not None:
            conditions.append(RequestLog.created_at < self.until)
        if self.model is not None:
            conditions.append(RequestLog.model_slug == self.model)
        if self.provider is not None:
            conditions.append(RequestLog.provider == self.provider)
        if self.key_id is not None:
            conditions.append(RequestLog.api_key_id == self.key_id)
        if self.status is not None:
            conditions.append(RequestLog.status == self.status)
        if self.app is not None:
            conditions.append((RequestLog.app_title == self.app) | (RequestLog.app_referer == self.app))
        return query.where(*conditions) if conditions else query


async def find(session: AsyncSession, generation_id: str, user_id: int | None) -> RequestLog | None:
    query = select(RequestLog).where(RequestLog.generation_id == generation_id)
    if user_id is not None:
        query = query.where(RequestLog.user_id == user_id)
    row: RequestLog | None = await session.scalar(query)
    return row


async def page(
    session: AsyncSession, where: LogFilter, *, limit: int, before_id: int | None
) -> tuple[list[RequestLog], int | None]:
    """Newest first; the cursor is the id to continue below (ids grow with time)."""
    query = where.apply(select(RequestLog)).order_by(RequestLog.id.desc()).limit(limit + 1)
    if before_id is not None:
        query = query.where(RequestLog.id < before_id)
    rows = list((await session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def log_document(row: RequestLog) -> dict[str, Any]:
    """The web app's row: every field of the record, money as USD strings."""
    tps = _tokens_per_second(row)
    return {
        "id": row.generation_id,
        "created_at": row.created_at.isoformat(),
        "model": row.model_slug,
        "requested_model": row.requested_model,
        "api_type": row.api_type,
        "provider": row.provider,
        "channel_id": row.channel_id,
        "upstream_model": row.upstream_model,
        "api_key_id": row.api_key_id,
        "user_id": row.user_id,
        "app": row.app_title or row.app_referer,
        "app_referer": row.app_referer,
        "streamed": row.is_stream,
        "status": row.status,
        "http_status": row.http_status,
        "error_type": row.error_type,
        "error_message": row.error_message,
        "finish_reason": row.finish_reason,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "reasoning_tokens": row.reasoning_tokens,
        "cached_tokens": row.cached_tokens,
        "usage_estimated": row.is_usage_estimated,
        "cost": nanos_to_usd_str(row.cost_nanos),
        "latency_ms": row.latency_ms,
        "ttft_ms": row.ttft_ms,
        "tokens_per_second": tps,
        "attempts": row.attempts or [],
    }


def generation_document(row: RequestLog) -> dict[str, Any]:
    """OpenRouter's generation object; null where Modelyard has no value."""
    attempts = row.attempts or []
    generation_ms = row.latency_ms - row.ttft_ms if row.ttft_ms is not None else None
    return {
        "id": row.generation_id,
        "upstream_id": None,
        "request_id": None,
        "session_id": None,
        "created_at": row.created_at.isoformat(),
        "model": row.model_slug,
        "provider_name": row.provider,
        "router": None,
        "api_type": "embeddings"
        if row.finish_reason is None and row.completion_tokens == 0
        else "completions",
        "data_region": "global",
        "service_tier": None,
        "preset_id": None,
        "workspace_id": None,
        "total_cost": nanos_to_usd_number(row.cost_nanos),
        "usage": nanos_to_usd_number(row.cost_nanos),
        "cache_discount": None,
        "upstream_inference_cost": None,
        "is_byok": False,
        "tokens_prompt": row.prompt_tokens,
        "tokens_completion": row.completion_tokens,
        "native_tokens_prompt": row.prompt_tokens,
        "native_tokens_completion": row.completion_tokens,
        "native_tokens_reasoning": row.reasoning_tokens,
        "native_tokens_cached": row.cached_tokens,
        "native_tokens_completion_images": None,
        "latency": row.latency_ms,
        "generation_time": generation_ms,
        "moderation_latency": None,
        "streamed": row.is_stream,
        "cancelled": row.status == "cancelled",
        "finish_reason": row.finish_reason,
        "native_finish_reason": row.finish_reason,
        "num_media_prompt": None,
        "num_media_completion": None,
        "num_input_audio_prompt": None,
        "num_search_results": None,
        "num_fetches": None,
        "web_search_engine": None,
        "app_id": None,
        # OpenRouter's SDK requires a string here: "" when the request named no app.
        "origin": row.app_referer or "",
        "http_referer": row.app_referer,
        "user_agent": None,
        "external_user": None,
        "provider_responses": [
            {
                "status": attempt.get("status"),
                "id": None,
                "endpoint_id": str(attempt.get("channel_id")) if attempt.get("channel_id") else None,
                "model_permaslug": attempt.get("model"),
                "provider_name": attempt.get("provider"),
                "latency": attempt.get("latency_ms"),
                "is_byok": False,
                "routed_service_tier": None,
            }
            for attempt in attempts
        ]
        or None,
    }


EXPORT_COLUMNS = (
    "id", "created_at", "model", "provider", "api_key_id", "app", "streamed", "status", "http_status",
    "error_type", "finish_reason", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens",
    "usage_estimated", "cost", "latency_ms", "ttft_ms", "tokens_per_second",
)  # fmt: skip


async def export(
    sessions: async_sessionmaker[AsyncSession], where: LogFilter, fmt: str
) -> AsyncIterator[bytes]:
    """The filtered range, newest first, in keyset-paged batches: memory stays flat however many rows."""
    if fmt == "csv":
        yield _csv_line(EXPORT_COLUMNS)
    before: int | None = None
    while True:
        async with sessions() as session:
            rows, before = await page(session, where, limit=EXPORT_BATCH, before_id=before)
        chunk = io.BytesIO()
        for row in rows:
            document = log_document(row)
            if fmt == "csv":
                chunk.write(_csv_line(tuple(_cell(document[c]) for c in EXPORT_COLUMNS)))
            else:
                chunk.write(orjson.dumps(document) + b"\n")
        if rows:
            yield chunk.getvalue()
        if before is None:
            return


def _csv_line(values: tuple[Any, ...]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _tokens_per_second(row: RequestLog) -> float | None:
    """The rollups' definition (rollups.tokens_per_second), read off a stored record."""
    fields = {
        "completion_tokens": row.completion_tokens,
        "ttft_ms": row.ttft_ms,
        "latency_ms": row.latency_ms,
    }
    speed = tokens_per_second(fields)
    return None if speed is None else round(speed, 1)
