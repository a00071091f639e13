"""Rollups of generation records, folded in the settlement batch's transaction: `usage_hourly` (hour, user,
key, model, provider) for a user's statistics; for everyone's, `model_stats` (hour, model, provider), its
daily sums `model_stats_daily`, `model_histograms` (day, model, provider, metric, bucket) and
`app_usage_hourly` (hour, app). One upsert per row the batch touches, so statistics never scan the raw
records and never drift from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from modelyard.activity import histogram
from modelyard.models.rollups import AppUsageHourly, ModelHistogram, ModelStats, ModelStatsDaily, UsageHourly

_SUMS = (
    "requests", "errors", "cancelled", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "cost_nanos", "latency_ms_sum", "ttft_ms_sum", "ttft_count",
)  # fmt: skip


class SiteRows(NamedTuple):
    models: list[dict[str, Any]]
    days: list[dict[str, Any]]
    histograms: list[dict[str, Any]]
    apps: list[dict[str, Any]]


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def aggregate(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Request-log rows (as the settlement writer inserts them) summed per rollup key."""
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        key = (
            hour_of(record["created_at"]),
            record["user_id"],
            record["api_key_id"],
            record["model_slug"],
            record.get("provider") or "",
        )
        row = totals.get(key)
        if row is None:
            row = totals[key] = {
                "hour": key[0], "user_id": key[1], "api_key_id": key[2], "model_slug": key[3],
                "provider": key[4], **dict.fromkeys(_SUMS, 0),
            }  # fmt: skip
        _add(row, record)
    return list(totals.values())


def _add(row: dict[str, Any], record: Mapping[str, Any]) -> None:
    row["requests"] += 1
    row["errors"] += record["status"] == "error"
    row["cancelled"] += record["status"] == "cancelled"
    for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens"):
        row[name] += record.get(name) or 0
    row["cost_nanos"] += record.get("cost_nanos") or 0
    row["latency_ms_sum"] += record.get("latency_ms") or 0
    if record.get("ttft_ms") is not None:
        row["ttft_ms_sum"] += record["ttft_ms"]
        row["ttft_count"] += 1


def apply_sync(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = UsageHourly.__table__
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(UsageHourly)
    statement = statement.on_conflict_do_update(
        index_elements=["hour", "user_id", "api_key_id", "model_slug", "provider"],
        set_={name: table.c[name] + statement.excluded[name] for name in _SUMS},
    )
    connection.execute(statement, rows)


def tokens_per_second(record: Mapping[str, Any]) -> float | None:
    """Generation speed: completion tokens over the time after the first token (streams only)."""
    completion, ttft = record.get("completion_tokens"), record.get("ttft_ms")
    latency = record.get("latency_ms")
    if not completion or ttft is None or latency is None or latency - ttft <= 0:
        return None
    return float(completion * 1000 / (latency - ttft))


def app_of(record: Mapping[str, Any]) -> str | None:
    return record.get("app_referer") or record.get("app_title") or None


def aggregate_site(records: Iterable[Mapping[str, Any]]) -> SiteRows:
    """The batch's records summed per model-and-provider hour, per day histogram bucket and per app hour."""
    models: dict[tuple[Any, ...], dict[str, Any]] = {}
    buckets: dict[tuple[Any, ...], int] = defaultdict(int)
    apps: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        hour = hour_of(record["created_at"])
        provider = record.get("provider") or ""
        key = (hour, record["model_slug"], provider)
        row = models.get(key)
        if row is None:
            row = models[key] = {
                "hour": hour, "model_slug": key[1], "provider": provider, **dict.fromkeys(_SUMS, 0),
            }  # fmt: skip
        _add(row, record)
        if record["status"] == "success":
            day = hour.replace(hour=0)
            for metric, value in (
                ("latency_ms", record.get("latency_ms")),
                ("ttft_ms", record.get("ttft_ms")),
                ("throughput", tokens_per_second(record)),
            ):
                if value is not None:
                    buckets[(day, key[1], provider, metric, histogram.bucket_of(value))] += 1
        app = app_of(record)
        if app is not None:
            app_key = (hour, app[:500])
            app_row = apps.get(app_key)
            if app_row is None:
                app_row = apps[app_key] = {
                    "hour": hour, "app": app_key[1], "title": None, "requests": 0, "prompt_tokens": 0,
                    "completion_tokens": 0, "cost_nanos": 0,
                }  # fmt: skip
            app_row["title"] = record.get("app_title") or app_row["title"]
            app_row["requests"] += 1
            app_row["prompt_tokens"] += record.get("prompt_tokens") or 0
            app_row["completion_tokens"] += record.get("completion_tokens") or 0
            app_row["cost_nanos"] += record.get("cost_nanos") or 0
    histogram_rows = [
        {"day": d, "model_slug": m, "provider": p, "metric": metric, "bucket": b, "count": n}
        for (d, m, p, metric, b), n in buckets.items()
    ]
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in models.values():
        day = row["hour"].replace(hour=0)
        key = (day, row["model_slug"], row["provider"])
        total = days.get(key)
        if total is None:
            days[key] = {**row, "day": day}
            del days[key]["hour"]
        else:
            for name in _SUMS:
                total[name] += row[name]
    return SiteRows(list(models.values()), list(days.values()), histogram_rows, list(apps.values()))


def apply_site_sync(connection: Connection, rows: SiteRows) -> None:
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    if rows.models:
        table = ModelStats.__table__
        statement = insert(ModelStats)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["hour", "model_slug", "provider"],
                set_={name: table.c[name] + statement.excluded[name] for name in _SUMS},
            ),
            rows.models,
        )
    if rows.days:
        table = ModelStatsDaily.__table__
        statement = insert(ModelStatsDaily)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "model_slug", "provider"],
                set_={name: table.c[name] + statement.excluded[name] for name in _SUMS},
            ),
            rows.days,
        )
    if rows.histograms:
        statement = insert(ModelHistogram)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "model_slug", "provider", "metric", "bucket"],
                set_={"count": ModelHistogram.__table__.c.count + statement.excluded.count},
            ),
            rows.histograms,
        )
    if rows.apps:
        table = AppUsageHourly.__table__
        statement = insert(AppUsageHourly)
        sums = ("requests", "prompt_tokens", "completion_tokens", "cost_nanos")
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["hour", "app"],
                set_={
                    **{name: table.c[name] + statement.excluded[name] for name in sums},
                    "title": func.coalesce(statement.excluded.title, table.c.title),
                },
            ),
            rows.apps,
        )


def fold_sync(connection: Connection, records: list[dict[str, Any]]) -> None:
    """Every rollup of a batch of records, in the caller's transaction."""
    apply_sync(connection, aggregate(records))
    apply_site_sync(connection, aggregate_site(records))


def unfold_sync(connection: Connection, records: list[dict[str, Any]]) -> None:
    """Takes records that are being deleted back out of every rollup (the sweep's record of an interrupted
    request, replaced by its late settlement), in the caller's transaction. Rollup rows left with no request
    are deleted, so no empty group shows in statistics."""
    if not records:
        return
    rows = aggregate(records)
    site = aggregate_site(records)
    for row in (*rows, *site.models, *site.days):
        for name in _SUMS:
            row[name] = -row[name]
    for row in site.histograms:
        row["count"] = -row["count"]
    for row in site.apps:
        for name in ("requests", "prompt_tokens", "completion_tokens", "cost_nanos"):
            row[name] = -row[name]
    apply_sync(connection, rows)
    apply_site_sync(connection, site)
    hours = {row["hour"] for row in rows}
    days = {row["day"] for row in site.days}
    for table in (UsageHourly, ModelStats, AppUsageHourly):
        connection.execute(delete(table).where(table.hour.in_(hours), table.requests == 0))
    connection.execute(
        delete(ModelStatsDaily).where(ModelStatsDaily.day.in_(days), ModelStatsDaily.requests == 0)
    )
    connection.execute(delete(ModelHistogram).where(ModelHistogram.day.in_(days), ModelHistogram.count == 0))
