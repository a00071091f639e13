"""Hourly rollups of generation records, folded into `usage_hourly` in the settlement batch's transaction:
one upsert per (hour, user, key, model, provider) touched by the batch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from modelyard.models.rollups import UsageHourly

_SUMS = (
    "requests", "errors", "cancelled", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "cost_nanos", "latency_ms_sum", "ttft_ms_sum", "ttft_count",
)  # fmt: skip


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def aggregate(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
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
    return list(totals.values())


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
