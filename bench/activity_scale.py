"""Activity at scale: N generation records on PostgreSQL, then the statistics, rankings, log pages and
export the web app uses, timed through the same code the API runs.

    .venv/bin/python bench/activity_scale.py [--rows 10000000] [--url postgresql://postgres@127.0.0.1:5432/postgres]

Creates (and drops at the end) a database `modelyard_scale_<random>`; the records are generated inside
PostgreSQL (generate_series), the rollups folded with one INSERT … SELECT as the settlement writer would have
kept them. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from modelyard.activity import records, stats
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.kit.clock import utcnow

USERS = 1000
MODELS = 60
PROVIDERS = 6
DAYS = 90

GENERATE = """
INSERT INTO request_logs (generation_id, user_id, api_key_id, model_slug, requested_model, api_type,
    channel_id, provider, upstream_model, is_stream, status, http_status, error_type, finish_reason,
    prompt_tokens,
    completion_tokens, is_usage_estimated, cost_nanos, latency_ms, ttft_ms, app_title, created_at)
SELECT 'gen-scale-' || g,
       u, u * 3 + (g % 3), m, m, 'chat', p, 'provider-' || p, m, g % 2 = 0,
       CASE WHEN g % 50 = 0 THEN 'error' ELSE 'success' END,
       CASE WHEN g % 50 = 0 THEN 502 ELSE 200 END,
       CASE WHEN g % 50 = 0 THEN 'provider_unavailable' END,
       CASE WHEN g % 50 = 0 THEN NULL ELSE 'stop' END,
       100 + (g % 900), 20 + (g % 400), false, (g % 5000) * 1000, 200 + (g % 3000), 50 + (g % 500),
       'app-' || (g % 40),
       now() - make_interval(secs => (g::bigint * 7919) % ({days} * 86400))
FROM (SELECT g, 1 + (g * 7) % {users} AS u,
             'author-' || (g % 12) || '/model-' || ((g * 13) % {models}) AS m,
             1 + (g % {providers}) AS p
      FROM generate_series({start}, {stop}) AS g) AS s
"""

FOLD = """
INSERT INTO usage_hourly (hour, user_id, api_key_id, model_slug, provider, requests, errors, cancelled,
    prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cost_nanos, latency_ms_sum,
    ttft_ms_sum, ttft_count)
SELECT date_trunc('hour', created_at), user_id, api_key_id, model_slug, coalesce(provider, ''),
       count(*),
       count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE status = 'cancelled'),
       coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), 0, 0, sum(cost_nanos),
       sum(latency_ms), coalesce(sum(ttft_ms), 0), count(ttft_ms)
FROM request_logs GROUP BY 1, 2, 3, 4, 5
"""

SITE_FOLDS = (
    """
INSERT INTO model_stats (hour, model_slug, provider, requests, errors, cancelled, prompt_tokens,
    completion_tokens, reasoning_tokens, cached_tokens, cost_nanos, latency_ms_sum, ttft_ms_sum, ttft_count)
SELECT hour, model_slug, provider, sum(requests), sum(errors), sum(cancelled), sum(prompt_tokens),
       sum(completion_tokens), 0, 0, sum(cost_nanos), sum(latency_ms_sum), sum(ttft_ms_sum), sum(ttft_count)
FROM usage_hourly GROUP BY 1, 2, 3
""",
    """
INSERT INTO model_stats_daily (day, model_slug, provider, requests, errors, cancelled, prompt_tokens,
    completion_tokens, reasoning_tokens, cached_tokens, cost_nanos, latency_ms_sum, ttft_ms_sum, ttft_count)
SELECT date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', model_slug, provider, sum(requests),
       sum(errors), sum(cancelled), sum(prompt_tokens), sum(completion_tokens), 0, 0, sum(cost_nanos),
       sum(latency_ms_sum), sum(ttft_ms_sum), sum(ttft_count)
FROM model_stats GROUP BY 1, 2, 3
""",
    # The same buckets as modelyard.activity.histogram: floor(4 * log2(1 + value)).
    """
INSERT INTO model_histograms (day, model_slug, provider, metric, bucket, count)
SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', model_slug,
       coalesce(provider, ''), metric, floor(4 * log(2.0, (1 + value)::numeric)), count(*)
FROM (SELECT created_at, model_slug, provider, 'latency_ms' AS metric, latency_ms::float AS value
      FROM request_logs WHERE status = 'success'
      UNION ALL
      SELECT created_at, model_slug, provider, 'ttft_ms', ttft_ms::float
      FROM request_logs WHERE status = 'success' AND ttft_ms IS NOT NULL
      UNION ALL
      SELECT created_at, model_slug, provider, 'throughput',
             completion_tokens * 1000.0 / (latency_ms - ttft_ms)
      FROM request_logs
      WHERE status = 'success' AND completion_tokens > 0 AND latency_ms > ttft_ms) AS v
GROUP BY 1, 2, 3, 4, 5
""",
    """
INSERT INTO app_usage_hourly (hour, app, title, requests, prompt_tokens, completion_tokens, cost_nanos)
SELECT date_trunc('hour', created_at), coalesce(app_referer, app_title), max(app_title), count(*),
       coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), sum(cost_nanos)
FROM request_logs WHERE coalesce(app_referer, app_title) IS NOT NULL GROUP BY 1, 2
""",
)


async def timed(label: str, work: Callable[[], Awaitable[Any]], results: list[tuple[str, str]]) -> Any:
    best = float("inf")
    value = None
    for _ in range(3):  # the best of three: the first run also warms the cache
        started = time.perf_counter()
        value = await work()
        best = min(best, time.perf_counter() - started)
    results.append((label, f"{best * 1000:.0f} ms"))
    return value


async def main(rows: int, admin_url: str) -> None:
    name = f"modelyard_scale_{secrets.token_hex(4)}"
    admin = create_engine(admin_url)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    results: list[tuple[str, str]] = []
    try:
        await migrate.upgrade(engine)
        started = time.perf_counter()
        step = 1_000_000
        for start in range(1, rows + 1, step):
            async with engine.begin() as conn:
                await conn.execute(
                    text(GENERATE.format(start=start, stop=min(start + step - 1, rows), users=USERS,
                                         models=MODELS, providers=PROVIDERS, days=DAYS))
                )  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(text(FOLD))
            for fold in SITE_FOLDS:
                await conn.execute(text(fold))
            await conn.execute(text("ANALYZE"))
            counts = [
                (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
                for table in (
                    "usage_hourly",
                    "model_stats",
                    "model_stats_daily",
                    "model_histograms",
                    "app_usage_hourly",
                )
            ]
        results.append(("generate records + fold rollups", f"{time.perf_counter() - started:.0f} s"))
        results.append(
            (
                "records / rows of usage_hourly, model_stats, model_stats_daily, model_histograms, "
                "app_usage_hourly",
                f"{rows:,} / " + ", ".join(f"{c:,}" for c in counts),
            )
        )
        sessions = session_factory(engine)
        now = utcnow()
        user = stats.Scope(user_id=42)
        everyone = stats.Scope(user_id=None)

        async def user_stats() -> Any:
            async with sessions() as s:
                return await stats.stats(
                    s, user, since=now - timedelta(days=30), until=now, bucket="day", group_by="model"
                )

        async def all_stats() -> Any:
            async with sessions() as s:
                return await stats.stats(
                    s, everyone, since=now - timedelta(days=30), until=now, bucket="day", group_by="provider"
                )

        async def ranking(period: str) -> Any:
            async with sessions() as s:
                return await stats.rankings(s, by="tokens", period=period, now=now, limit=20)

        await timed("stats: one user, 30 days by model per day", user_stats, results)
        await timed("stats: everyone, 30 days by provider per day", all_stats, results)
        await timed("rankings: day", lambda: ranking("day"), results)
        await timed("rankings: week", lambda: ranking("week"), results)
        await timed("rankings: month", lambda: ranking("month"), results)

        async def model_page() -> Any:
            async with sessions() as s:
                return await stats.model_daily(
                    s, "author-1/model-13", since=now - timedelta(days=30), until=now
                )

        await timed("model stats: one model, 30 days, per provider with percentiles", model_page, results)
        where = records.LogFilter(user_id=42)
        holder: dict[str, Any] = {}

        async def first_page() -> Any:
            async with sessions() as s:
                page, cursor = await records.page(s, where, limit=50, before_id=None)
            holder["cursor"] = cursor
            return page

        async def deep_page() -> Any:
            async with sessions() as s:
                return await records.page(s, where, limit=50, before_id=rows // 3)

        async def filtered_page() -> Any:
            async with sessions() as s:
                return await records.page(
                    s, records.LogFilter(user_id=42, model="author-1/model-13", status="success"),
                    limit=50, before_id=None,
                )  # fmt: skip

        await timed("log page: one user, newest 50", first_page, results)
        await timed("log page: one user, 50 from a third of the way back", deep_page, results)
        await timed("log page: one user, model + status filter", filtered_page, results)
        started = time.perf_counter()
        exported = 0
        before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async for chunk in records.export(sessions, records.LogFilter(user_id=None), "csv"):
            exported += chunk.count(b"\n")
            if exported >= 1_000_000:
                break
        seconds = time.perf_counter() - started
        after_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results.append(("export: first 1,000,000 rows (CSV, everyone)", f"{exported / seconds:,.0f} rows/s"))
        results.append(("export: peak RSS growth", f"{(after_rss - before_rss) / 1024:.0f} MB"))
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print("| measure | result |\n| --- | --- |")
    for label, value in results:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.url))
