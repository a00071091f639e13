"""Statistics and rankings from the hourly rollups (never from raw records): totals and time series for a
user, a key or everyone, and the public rankings of models, authors and providers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import UsageHourly

GROUPS = {"model": UsageHourly.model_slug, "provider": UsageHourly.provider, "key": UsageHourly.api_key_id}
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
RANK_BY = ("tokens", "requests", "spend", "growth")


@dataclass(frozen=True)
class Scope:
    user_id: int | None  # None = everyone
    key_id: int | None = None
    model: str | None = None
    provider: str | None = None


@dataclass
class Totals:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nanos: int = 0
    latency_ms_sum: int = 0

    def add(self, row: Any) -> None:
        self.requests += int(row.requests or 0)
        self.errors += int(row.errors or 0)
        self.prompt_tokens += int(row.prompt_tokens or 0)
        self.completion_tokens += int(row.completion_tokens or 0)
        self.cost_nanos += int(row.cost_nanos or 0)
        self.latency_ms_sum += int(row.latency_ms_sum or 0)

    def document(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.errors / self.requests, 4) if self.requests else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.prompt_tokens + self.completion_tokens,
            "spend": nanos_to_usd_str(self.cost_nanos),
            "average_latency_ms": round(self.latency_ms_sum / self.requests) if self.requests else None,
        }


def _where(scope: Scope, since: datetime, until: datetime) -> list[Any]:
    conditions: list[Any] = [UsageHourly.hour >= since, UsageHourly.hour < until]
    if scope.user_id is not None:
        conditions.append(UsageHourly.user_id == scope.user_id)
    if scope.key_id is not None:
        conditions.append(UsageHourly.api_key_id == scope.key_id)
    if scope.model is not None:
        conditions.append(UsageHourly.model_slug == scope.model)
    if scope.provider is not None:
        conditions.append(UsageHourly.provider == scope.provider)
    return conditions


_SUMMED = (
    func.sum(UsageHourly.requests).label("requests"),
    func.sum(UsageHourly.errors).label("errors"),
    func.sum(UsageHourly.prompt_tokens).label("prompt_tokens"),
    func.sum(UsageHourly.completion_tokens).label("completion_tokens"),
    func.sum(UsageHourly.cost_nanos).label("cost_nanos"),
    func.sum(UsageHourly.latency_ms_sum).label("latency_ms_sum"),
)


def bucket_of(hour: datetime, bucket: str) -> datetime:
    return hour if bucket == "hour" else hour.replace(hour=0)


async def stats(
    session: AsyncSession,
    scope: Scope,
    *,
    since: datetime,
    until: datetime,
    bucket: str,
    group_by: str | None,
) -> dict[str, Any]:
    """Totals, a time series in hour or day buckets (UTC), and per-group totals and series."""
    group_column = GROUPS[group_by] if group_by else None
    columns: list[Any] = [UsageHourly.hour, *_SUMMED]
    keys: list[Any] = [UsageHourly.hour]
    if group_column is not None:
        columns.append(group_column.label("group"))
        keys.append(group_column)
    rows = await session.execute(select(*columns).where(*_where(scope, since, until)).group_by(*keys))
    total = Totals()
    series: dict[datetime, Totals] = defaultdict(Totals)
    groups: dict[Any, Totals] = defaultdict(Totals)
    group_series: dict[Any, dict[datetime, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for row in rows:
        moment = bucket_of(row.hour, bucket)
        total.add(row)
        series[moment].add(row)
        if group_column is not None:
            groups[row.group].add(row)
            group_series[row.group][moment].add(row)
    result: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "bucket": bucket,
        "totals": total.document(),
        "series": [{"time": t.isoformat(), **series[t].document()} for t in sorted(series)],
    }
    if group_column is not None:
        ordered = sorted(groups, key=lambda g: -groups[g].cost_nanos)
        result["groups"] = [
            {
                "group": g,
                **groups[g].document(),
                "series": [
                    {"time": t.isoformat(), **s.document()} for t, s in sorted(group_series[g].items())
                ],
            }
            for g in ordered
        ]
    return result


async def period_totals(
    session: AsyncSession, scope: Scope, column: Any, since: datetime, until: datetime
) -> dict[Any, Totals]:
    rows = await session.execute(
        select(column.label("group"), *_SUMMED).where(*_where(scope, since, until)).group_by(column)
    )
    totals: dict[Any, Totals] = defaultdict(Totals)
    for row in rows:
        totals[row.group].add(row)
    return totals


def change(current: int, previous: int) -> float | None:
    """Period-over-period change in percent; None when there was nothing before."""
    if previous == 0:
        return None
    return float(round(Decimal(current - previous) * 100 / previous, 1))


def measure_document(document: dict[str, Any], by: str) -> int:
    """The same measure from a totals document (spend back in nano-USD)."""
    if by == "requests":
        return int(document["requests"])
    if by == "spend":
        return int(Decimal(document["spend"]) * 10**9)
    return int(document["tokens"])


def measure(totals: Totals, by: str) -> int:
    if by == "requests":
        return totals.requests
    if by == "spend":
        return totals.cost_nanos
    return totals.prompt_tokens + totals.completion_tokens


async def rankings(
    session: AsyncSession, *, by: str, period: str, now: datetime, limit: int
) -> dict[str, Any]:
    """Top models in the period ending now, with their share and change against the period before;
    `growth` ranks by that change (in tokens). Authors and providers by share; a daily series per top
    model over the period for trend charts."""
    length = PERIODS[period]
    until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    since, before = until - length, until - 2 * length
    everyone = Scope(user_id=None)
    current = await period_totals(session, everyone, UsageHourly.model_slug, since, until)
    previous = await period_totals(session, everyone, UsageHourly.model_slug, before, since)
    metric = "tokens" if by == "growth" else by
    grand = sum(measure(t, metric) for t in current.values())

    def entry(model: str) -> dict[str, Any]:
        now_value = measure(current[model], metric)
        then_value = measure(previous[model], metric) if model in previous else 0
        return {
            "model": model,
            "author": model.split("/", 1)[0],
            "value": shown(now_value),
            "share": round(now_value / grand, 4) if grand else None,
            "previous": shown(then_value),
            "change_percent": change(now_value, then_value),
        }

    def growth(model: str) -> tuple[int, float]:
        # Measured growth first; models new in this period (nothing before) after, by volume.
        before = measure(previous[model], metric) if model in previous else 0
        volume = measure(current[model], metric)
        return (1, change(volume, before) or 0.0) if before else (0, float(volume))

    models = [m for m in current if measure(current[m], metric) > 0]
    if by == "growth":
        models.sort(key=growth, reverse=True)
    else:
        models.sort(key=lambda m: -measure(current[m], metric))

    def shown(value: int) -> int | str:
        return nanos_to_usd_str(value) if metric == "spend" else value

    top = models[:limit]
    authors: dict[str, int] = defaultdict(int)
    for model, totals in current.items():
        authors[model.split("/", 1)[0]] += measure(totals, metric)
    providers = await period_totals(session, everyone, UsageHourly.provider, since, until)
    provider_values = {p: measure(t, metric) for p, t in providers.items() if p}
    provider_total = sum(provider_values.values())
    daily = await session.execute(
        select(UsageHourly.hour, UsageHourly.model_slug, *_SUMMED)
        .where(*_where(everyone, since, until), UsageHourly.model_slug.in_(top))
        .group_by(UsageHourly.hour, UsageHourly.model_slug)
    )
    series: dict[str, dict[datetime, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for row in daily:
        series[row.model_slug][bucket_of(row.hour, "day")].add(row)
    return {
        "by": by,
        "period": period,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "total": shown(grand),
        "models": [
            {
                **entry(m),
                "rank": i + 1,
                "daily": [
                    {"date": d.date().isoformat(), "value": shown(measure(t, metric))}
                    for d, t in sorted(series[m].items())
                ],
            }
            for i, m in enumerate(top)
        ],
        "authors": [
            {"author": a, "share": round(v / grand, 4) if grand else None, "value": shown(v)}
            for a, v in sorted(authors.items(), key=lambda item: -item[1])
            if v > 0
        ][:limit],
        "providers": [
            {
                "provider": p,
                "share": round(v / provider_total, 4) if provider_total else None,
                "value": shown(v),
            }
            for p, v in sorted(provider_values.items(), key=lambda item: -item[1])
            if v > 0
        ][:limit],
    }


async def daily_activity(
    session: AsyncSession, scope: Scope, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """OpenRouter's `/activity` rows: per UTC day, model and provider."""
    rows = await session.execute(
        select(
            UsageHourly.hour,
            UsageHourly.model_slug,
            UsageHourly.provider,
            *_SUMMED,
            func.sum(UsageHourly.reasoning_tokens).label("reasoning_tokens"),
            func.sum(UsageHourly.cached_tokens).label("cached_tokens"),
        )
        .where(*_where(scope, since, until))
        .group_by(UsageHourly.hour, UsageHourly.model_slug, UsageHourly.provider)
    )
    days: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.hour.date().isoformat(), row.model_slug, row.provider)
        entry = days.get(key)
        if entry is None:
            entry = days[key] = {
                "date": key[0], "model": key[1], "model_permaslug": key[1], "endpoint_id": None,
                "provider_name": key[2] or None, "usage_nanos": 0, "byok_usage_inference": 0, "requests": 0,
                "prompt_tokens": 0, "completion_tokens": 0, "reasoning_tokens": 0, "cached_tokens": 0,
            }  # fmt: skip
        entry["usage_nanos"] += int(row.cost_nanos or 0)
        entry["requests"] += int(row.requests or 0)
        for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens"):
            entry[name] += int(getattr(row, name) or 0)
    result = []
    for key in sorted(days, key=lambda k: (k[0], k[1], k[2]), reverse=True):
        entry = days[key]
        entry["usage"] = float(Decimal(entry.pop("usage_nanos")) / 10**9)
        result.append(entry)
    return result
