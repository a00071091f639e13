"""Old raw records are purged in batches; newer ones and the rollups stay."""

from __future__ import annotations

from datetime import timedelta

from modelyard.activity.retention import purge
from modelyard.db.engine import create_engine
from modelyard.db.writes import create_writer
from modelyard.kit.clock import utcnow
from tests.conftest import Cli, Env, query, run_async


def test_purge_removes_only_records_past_retention_in_batches(env: Env, cli: Cli) -> None:
    cli("db", "upgrade")
    now = utcnow()
    for index, age_days in enumerate((200, 120, 91, 89, 1)):
        query(
            env.database_url,
            "INSERT INTO request_logs (generation_id, user_id, api_key_id, model_slug, is_stream, status, "
            "http_status, is_usage_estimated, cost_nanos, latency_ms, created_at) VALUES "
            "(:g, 1, 1, 'a/b', false, 'success', 200, false, 5, 10, :at)",
            g=f"gen-retention-{index}",
            at=now - timedelta(days=age_days),
        )
    query(
        env.database_url,
        "INSERT INTO usage_hourly (hour, user_id, api_key_id, model_slug, provider, requests, errors, "
        "cancelled, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cost_nanos, "
        "latency_ms_sum, "
        "ttft_ms_sum, ttft_count) VALUES (:h, 1, 1, 'a/b', '', 5, 0, 0, 0, 0, 0, 0, 25, 50, 0, 0)",
        h=(now - timedelta(days=200)).replace(minute=0, second=0, microsecond=0),
    )

    async def run() -> int:
        engine = create_engine(env.database_url)
        writer = create_writer(env.database_url, engine)
        try:
            return await purge(writer, 90, batch=2)
        finally:
            await writer.close()
            await engine.dispose()

    assert run_async(run()) == 3
    left = sorted(r[0] for r in query(env.database_url, "SELECT generation_id FROM request_logs"))
    assert left == ["gen-retention-3", "gen-retention-4"]
    assert query(env.database_url, "SELECT requests, cost_nanos FROM usage_hourly") == [(5, 25)]
