"""Statistics and rankings from the rollups (never from raw records): totals and time series for a user, a
key or everyone, the public rankings of models, authors, providers and apps, and a model's daily figures with
latency and throughput percentiles. A user's or key's figures read `usage_hourly`; everyone's read
`model_stats`, which has one row per hour, model and provider however many users there are, and for whole UTC
days inside a range its daily sums, `model_stats_daily`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.activity import histogram
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import AppUsageHourly, ModelHistogram, ModelStats, ModelStatsDaily, UsageHourly

GROUP_NAMES = ("model", "provider", "key")
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
RANK_BY = ("tokens", "requests", "spend", "growth")


@dataclass(frozen=True)
class Scope:
    user_id: int | None  # None = everyone
    key_id: int | None = None
    model: str | None = None
    provider: str | None = None

    def source(self, group_by: str | None = None) -> Any:
        """The smallest rollup that answers: everyone's figures not split by key come from `model_stats`."""
        if self.user_id is None and self.key_id is None and group_by != "key":
            return ModelStats
        return UsageHourly


def spans(
    source: Any, since: datetime, until: datetime, bucket: str = "day"
) -> list[tuple[Any, datetime, datetime]]:
    """Where to read [since, until): everyone's whole UTC days from the daily rollup and the hours at either
    end from the hourly one (unless the figures are wanted per hour); anything else from `source` itself."""
    if source is not ModelStats or bucket == "hour":
        return [(source, since, until)]
    first = bucket_of(since, "day")
    if first < since:
        first += timedelta(days=1)
    last = bucket_of(until, "day")
    if first >= last:
        return [(ModelStats, since, until)]
    parts: list[tuple[Any, datetime, datetime]] = [(ModelStatsDaily, first, last)]
    if since < first:
        parts.append((ModelStats, since, first))
    if last < until:
        parts.append((ModelStats, last, until))
    return parts


def group_column(source: Any, group_by: str) -> Any:
    return getattr(source, {"model": "model_slug", "provider": "provider", "key": "api_key_id"}[group_by])


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


def _where(source: Any, scope: Scope, since: datetime, until: datetime) -> list[Any]:
    conditions: list[Any] = [source.hour >= since, source.hour < until]
    if scope.user_id is not None:
        conditions.append(source.user_id == scope.user_id)
    if scope.key_id is not None:
        conditions.append(source.api_key_id == scope.key_id)
    if scope.model is not None:
        conditions.append(source.model_slug == scope.model)
    if scope.provider is not None:
        conditions.append(source.provider == scope.provider)
    return conditions


def _summed(source: Any) -> tuple[Any, ...]:
    return tuple(
        func.sum(getattr(source, name)).label(name)
        for name in (
            "requests",
            "errors",
            "prompt_tokens",
            "completion_tokens",
            "cost_nanos",
            "latency_ms_sum",
        )
    )


def bucket_of(moment: datetime, bucket: str) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
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
    rows: list[Any] = []
    for source, start, end in spans(scope.source(group_by), since, until, bucket):
        grouped = group_column(source, group_by) if group_by else None
        columns: list[Any] = [source.hour.label("hour"), *_summed(source)]
        keys: list[Any] = [source.hour]
        if grouped is not None:
            columns.append(grouped.label("group"))
            keys.append(grouped)
        query = select(*columns).where(*_where(source, scope, start, end)).group_by(*keys)
        rows.extend(await session.execute(query))
    total = Totals()
    series: dict[datetime, Totals] = defaultdict(Totals)
    groups: dict[Any, Totals] = defaultdict(Totals)
    group_series: dict[Any, dict[datetime, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for row in rows:
        moment = bucket_of(row.hour, bucket)
        total.add(row)
        series[moment].add(row)
        if group_by is not None:
            groups[row.group].add(row)
            group_series[row.group][moment].add(row)
    result: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "bucket": bucket,
        "totals": total.document(),
        "series": [{"time": t.isoformat(), **series[t].document()} for t in sorted(series)],
    }
    if group_by is not None:
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
    session: AsyncSession, scope: Scope, group_by: str, since: datetime, until: datetime
) -> dict[Any, Totals]:
    totals: dict[Any, Totals] = defaultdict(Totals)
    for source, start, end in spans(scope.source(group_by), since, until):
        column = group_column(source, group_by)
        rows = await session.execute(
            select(column.label("group"), *_summed(source))
            .where(*_where(source, scope, start, end))
            .group_by(column)
        )
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
    current = await period_totals(session, everyone, "model", since, until)
    previous = await period_totals(session, everyone, "model", before, since)
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
    providers = await period_totals(session, everyone, "provider", since, until)
    provider_values = {p: measure(t, metric) for p, t in providers.items() if p}
    provider_total = sum(provider_values.values())
    series: dict[str, dict[datetime, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for source, start, end in spans(ModelStats, since, until):
        daily = await session.execute(
            select(source.hour.label("hour"), source.model_slug, *_summed(source))
            .where(*_where(source, everyone, start, end), source.model_slug.in_(top))
            .group_by(source.hour, source.model_slug)
        )
        for row in daily:
            series[row.model_slug][bucket_of(row.hour, "day")].add(row)
    today = bucket_of(until - timedelta(hours=1), "day")
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
                # The last day is still under way: `partial` lets a chart mark it.
                "daily": [
                    {"date": d.date().isoformat(), "value": shown(measure(t, metric)), "partial": d == today}
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
        "apps": await top_apps(session, since, until, limit),
    }


async def top_apps(
    session: AsyncSession, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """Apps (identified by `HTTP-Referer`, else `X-Title`) by tokens in the period."""
    tokens = func.sum(AppUsageHourly.prompt_tokens + AppUsageHourly.completion_tokens)
    rows = await session.execute(
        select(
            AppUsageHourly.app,
            func.max(AppUsageHourly.title).label("title"),
            tokens.label("tokens"),
            func.sum(AppUsageHourly.requests).label("requests"),
        )
        .where(AppUsageHourly.hour >= since, AppUsageHourly.hour < until)
        .group_by(AppUsageHourly.app)
        .order_by(tokens.desc(), AppUsageHourly.app)
        .limit(limit)
    )
    return [
        {
            "app": row.app,
            "title": row.title,
            "tokens": int(row.tokens or 0),
            "requests": int(row.requests or 0),
        }
        for row in rows
    ]


QUANTILES = (0.5, 0.9, 0.99)
METRICS = ("latency_ms", "ttft_ms", "throughput")  # throughput in tokens per second


async def model_daily(
    session: AsyncSession, model: str, *, since: datetime, until: datetime
) -> dict[str, Any]:
    """One model's figures per UTC day and provider: requests, tokens, errors, spend, and latency, time to
    first token and throughput percentiles from the day histograms."""
    days: dict[tuple[datetime, str], Totals] = defaultdict(Totals)
    for source, start, end in spans(ModelStats, since, until):
        rows = await session.execute(
            select(source.hour.label("hour"), source.provider, *_summed(source))
            .where(*_where(source, Scope(user_id=None, model=model), start, end))
            .group_by(source.hour, source.provider)
        )
        for row in rows:
            days[(bucket_of(row.hour, "day"), row.provider)].add(row)
    buckets = await session.execute(
        select(ModelHistogram.day, ModelHistogram.provider, ModelHistogram.metric, ModelHistogram.bucket,
               ModelHistogram.count)
        .where(ModelHistogram.model_slug == model, ModelHistogram.day >= bucket_of(since, "day"),
               ModelHistogram.day < until)
    )  # fmt: skip
    counts: dict[tuple[datetime, str, str], dict[int, int]] = defaultdict(dict)
    overall: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for day, provider, metric, bucket, count in buckets:
        counts[(day, provider, metric)][bucket] = int(count)
        overall[(provider, metric)][bucket] += int(count)

    def figures(histograms: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for metric in METRICS:
            values = histogram.percentiles(histograms(metric), QUANTILES)
            for q, value in values.items():
                result[f"{metric}_p{round(q * 100)}"] = None if value is None else round(value, 1)
        return result

    providers = sorted({p for _, p in days} | {p for p, _ in overall})
    return {
        "model": model,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "providers": [
            {
                "provider": p or None,
                **figures(lambda m, p=p: overall.get((p, m), {})),
                "daily": [
                    {
                        "date": d.date().isoformat(),
                        **t.document(),
                        **figures(lambda m, d=d, p=p: counts.get((d, p, m), {})),
                    }
                    for (d, provider), t in sorted(days.items())
                    if provider == p
                ],
            }
            for p in providers
        ],
    }


async def daily_activity(
    session: AsyncSession, scope: Scope, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """OpenRouter's `/activity` rows: per UTC day, model and provider. A Modelyard endpoint is a channel, so
    `endpoint_id` is the channel's name, as `provider_name` is; both "" for requests no channel answered
    (OpenRouter's SDK requires strings)."""
    source = scope.source()
    rows = await session.execute(
        select(
            source.hour,
            source.model_slug,
            source.provider,
            *_summed(source),
            func.sum(source.reasoning_tokens).label("reasoning_tokens"),
            func.sum(source.cached_tokens).label("cached_tokens"),
        )
        .where(*_where(source, scope, since, until))
        .group_by(source.hour, source.model_slug, source.provider)
    )
    days: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.hour.date().isoformat(), row.model_slug, row.provider)
        entry = days.get(key)
        if entry is None:
            entry = days[key] = {
                "date": key[0], "model": key[1], "model_permaslug": key[1], "endpoint_id": key[2],
                "provider_name": key[2], "usage_nanos": 0, "byok_usage_inference": 0, "requests": 0,
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
