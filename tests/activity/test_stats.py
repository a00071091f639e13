"""Statistics and rankings from the rollups agree with a brute-force count over the raw records; buckets
cut at UTC hours and days."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from modelyard.activity import histogram, rollups
from modelyard.db.engine import create_engine
from modelyard.kit.clock import utcnow
from tests.conftest import Cli, Env, Server, query, run_async, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

MODELS = ["openai/gpt-4o-mini", "openai/gpt-4.1-nano", "mistralai/mistral-nemo"]


def test_buckets_cut_at_utc_hours_and_days() -> None:
    late = datetime(2026, 11, 29, 23, 59, 59, 999999, tzinfo=UTC)
    early = datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)
    rows = rollups.aggregate(
        [
            {"created_at": at, "user_id": 1, "api_key_id": 2, "model_slug": "a/b", "provider": "p",
             "status": status, "prompt_tokens": 3, "completion_tokens": 4, "reasoning_tokens": None,
             "cached_tokens": None, "cost_nanos": 10, "latency_ms": 100, "ttft_ms": ttft}
            for at, status, ttft in ((late, "success", 5), (late, "error", None), (early, "cancelled", 7))
        ]
    )  # fmt: skip
    by_hour = {r["hour"]: r for r in rows}
    assert set(by_hour) == {late.replace(minute=0, second=0, microsecond=0), early}
    before = by_hour[late.replace(minute=0, second=0, microsecond=0)]
    assert (before["requests"], before["errors"], before["ttft_count"], before["cost_nanos"]) == (2, 1, 1, 20)
    assert by_hour[early]["cancelled"] == 1 and by_hour[early]["prompt_tokens"] == 3
    site = rollups.aggregate_site(
        [
            {"created_at": at, "model_slug": "a/b", "provider": "p", "status": "success", "latency_ms": 100,
             "ttft_ms": 20, "completion_tokens": 8, "app_referer": None, "app_title": "Tool"}
            for at in (late, early, early)
        ]
    )  # fmt: skip
    assert sorted((r["hour"], r["requests"]) for r in site.models) == [
        (late.replace(minute=0, second=0, microsecond=0), 1), (early, 2),
    ]  # fmt: skip
    # Histograms cut at the UTC day: one latency bucket on each side of midnight.
    latency = sorted((r["day"], r["count"]) for r in site.histograms if r["metric"] == "latency_ms")
    assert latency == [(late.replace(hour=0, minute=0, second=0, microsecond=0), 1), (early, 2)]
    speed = [r for r in site.histograms if r["metric"] == "throughput"]
    assert {histogram.value_of(r["bucket"]) // 10 for r in speed} == {9.0}  # 8 tokens in 80 ms: 100/s
    assert sorted((r["app"], r["requests"]) for r in site.apps) == [("Tool", 1), ("Tool", 2)]


def test_percentiles_from_buckets_stay_within_a_bucket_of_the_exact_value() -> None:
    rng = random.Random(3)
    samples = [rng.lognormvariate(6, 1) for _ in range(5000)]
    counts: Counter[int] = Counter(histogram.bucket_of(v) for v in samples)
    ordered = sorted(samples)
    for q, estimate in histogram.percentiles(counts, (0.5, 0.9, 0.99)).items():
        exact = ordered[max(0, int(q * len(ordered)) - 1)]
        assert estimate is not None and abs(estimate - exact) / exact < 0.2, (q, estimate, exact)
    assert histogram.percentiles({}, (0.5,)) == {0.5: None}


@dataclass
class Traffic:
    server: Server
    env: Env
    users: dict[str, str]
    admin: str

    def get(self, key: str | None, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.get(f"{self.server.url}{path}", params=params, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def traffic(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Traffic]:
    cli(
        "channels", "add", "stats-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--no-probe", "--models",
        "openai/gpt-4o-mini=m-chunks-3,openai/gpt-4.1-nano=n-chunks-6,mistralai/mistral-nemo=x-fail-500",
    )  # fmt: skip
    users = {name: cli.create_user_with_key(f"{name}-stats@example.com", "5") for name in ("ann", "ben")}
    cli("users", "create", "stats-admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "stats-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    server = server_factory(env)
    sent = 0
    for name, count in (("ann", 5), ("ben", 3)):
        for i in range(count):
            httpx.post(
                f"{server.url}/v1/chat/completions",
                json={"model": MODELS[i % 3], "messages": [{"role": "user", "content": "count me in"}]},
                headers={"Authorization": f"Bearer {users[name]}"},
                timeout=30,
            )
            sent += 1
    wait_until(lambda: len(query(env.database_url, "SELECT id FROM request_logs")) == sent, what="records")
    yield Traffic(server, env, users, admin)


def brute_force(env: Env, user_id: int | None = None) -> dict[str, Any]:
    rows = query(
        env.database_url,
        "SELECT r.model_slug, r.status, r.prompt_tokens, r.completion_tokens, r.cost_nanos, r.user_id "
        "FROM request_logs r",
    )
    rows = [r for r in rows if user_id is None or r[5] == user_id]
    per_model: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for model, _status, prompt, completion, cost, _ in rows:
        per_model[model][0] += 1
        per_model[model][1] += (prompt or 0) + (completion or 0)
        per_model[model][2] += cost
    return {
        "requests": len(rows),
        "errors": sum(1 for r in rows if r[1] == "error"),
        "tokens": sum((r[2] or 0) + (r[3] or 0) for r in rows),
        "cost": sum(r[4] for r in rows),
        "per_model": per_model,
    }


def user_id_of(env: Env, email: str) -> int:
    return int(query(env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])


def test_stats_agree_with_the_raw_records(traffic: Traffic) -> None:
    ann = user_id_of(traffic.env, "ann-stats@example.com")
    expected = brute_force(traffic.env, ann)
    stats = traffic.get(traffic.users["ann"], "/api/activity/stats", group_by="model").json()
    totals = stats["totals"]
    assert (totals["requests"], totals["errors"], totals["tokens"]) == (
        expected["requests"], expected["errors"], expected["tokens"],
    )  # fmt: skip
    assert Decimal(totals["spend"]) * 10**9 == expected["cost"]
    assert {g["group"]: g["requests"] for g in stats["groups"]} == {
        m: v[0] for m, v in expected["per_model"].items()
    }
    assert sum(p["requests"] for p in stats["series"]) == expected["requests"]
    hourly = traffic.get(traffic.users["ann"], "/api/activity/stats", bucket="hour").json()
    assert all(p["time"].endswith(":00:00+00:00") for p in hourly["series"])
    everyone = traffic.get(traffic.admin, "/api/activity/stats", all="true").json()["totals"]
    assert everyone["requests"] == brute_force(traffic.env)["requests"]
    assert traffic.get(traffic.users["ben"], "/api/activity/stats", all="true").status_code == 403
    assert traffic.get(traffic.users["ben"], "/api/activity/stats", user_id=ann).status_code == 403
    analysis = traffic.get(traffic.users["ann"], "/api/activity/analysis", metric="tokens").json()
    assert {g["group"]: g["value"] for g in analysis["groups"]} == {
        m: v[1] for m, v in expected["per_model"].items()
    }
    assert all(g["change_percent"] is None for g in analysis["groups"])  # nothing the week before


def test_catalogue_popularity_sorts_follow_the_last_week(traffic: Traffic) -> None:
    tokens: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    for model, status, prompt, completion, _cost, _user in query(
        traffic.env.database_url,
        "SELECT model_slug, status, prompt_tokens, completion_tokens, cost_nanos, user_id FROM request_logs",
    ):
        if status == "success":
            tokens[model] += (prompt or 0) + (completion or 0)
            requests[model] += 1
    top = traffic.get(None, "/api/v1/models", sort="top-weekly").json()["data"]
    ranked = [m["id"] for m in top if tokens[m["id"]]]
    assert ranked == sorted(tokens, key=lambda m: -tokens[m])
    assert [m["id"] for m in top][: len(ranked)] == ranked  # used models first
    popular = traffic.get(None, "/api/v1/models", sort="most-popular").json()["data"]
    counts = [requests[m["id"]] for m in popular]
    assert counts == sorted(counts, reverse=True)


def test_rankings_agree_with_a_brute_force_count(traffic: Traffic) -> None:
    # History over the last two months, written through the same rollup code the settlement writer uses.
    rng = random.Random(7)
    now = utcnow()
    records: list[dict[str, Any]] = []
    for _ in range(400):
        at = now - timedelta(hours=rng.randrange(1, 24 * 60))
        records.append(
            {"created_at": at, "user_id": 999_999, "api_key_id": 1, "model_slug": rng.choice(MODELS),
             "provider": "stats-fake", "status": "success", "prompt_tokens": rng.randrange(1, 100),
             "completion_tokens": rng.randrange(1, 100), "reasoning_tokens": None, "cached_tokens": None,
             "cost_nanos": rng.randrange(1, 10_000), "latency_ms": 10, "ttft_ms": None,
             "app_referer": rng.choice(["https://one.example", "https://two.example", None]),
             "app_title": rng.choice(["One", None])}
        )  # fmt: skip
    write_history(traffic.env, records)
    live = query(
        traffic.env.database_url,
        "SELECT model_slug, prompt_tokens, completion_tokens, cost_nanos, created_at FROM request_logs",
    )
    for period, length in (("week", timedelta(days=7)), ("month", timedelta(days=30))):
        r0 = traffic.get(None, "/api/v1/rankings", period=period, by="tokens")
        assert r0.status_code == 200, r0.text
        data = r0.json()["data"]
        until = datetime.fromisoformat(data["until"])
        since = until - length
        tokens: Counter[str] = Counter()
        for r in records:
            if since <= r["created_at"].replace(minute=0, second=0, microsecond=0) < until:
                tokens[r["model_slug"]] += r["prompt_tokens"] + r["completion_tokens"]
        for model, prompt, completion, _cost, _at in live:
            tokens[model] += (prompt or 0) + (completion or 0)
        expected = [m for m, v in sorted(tokens.items(), key=lambda item: -item[1]) if v > 0]
        assert [m["model"] for m in data["models"]] == expected
        assert [m["value"] for m in data["models"]] == [tokens[m] for m in expected]
        assert abs(sum(m["share"] for m in data["models"]) - 1) < 0.001
        apps: Counter[str] = Counter()
        for r in records:
            app = r["app_referer"] or r["app_title"]
            if app and since <= r["created_at"].replace(minute=0, second=0, microsecond=0) < until:
                apps[app] += r["prompt_tokens"] + r["completion_tokens"]
        assert {a["app"]: a["tokens"] for a in data["apps"]} == dict(apps)
        assert [a["tokens"] for a in data["apps"]] == sorted(apps.values(), reverse=True)
        assert [d["partial"] for d in data["models"][0]["daily"]][:-1] == [False] * (
            len(data["models"][0]["daily"]) - 1
        )
    by_requests = traffic.get(None, "/api/v1/rankings", period="week", by="requests").json()["data"]
    assert by_requests["by"] == "requests" and by_requests["models"][0]["daily"]
    bad = traffic.get(None, "/api/v1/rankings", by="vibes")
    assert bad.status_code in (400, 422)


def write_history(env: Env, records: list[dict[str, Any]]) -> None:
    """Past records folded into the rollups through the same code the settlement writer uses."""

    async def write() -> None:
        engine = create_engine(env.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: rollups.fold_sync(c, records))
        await engine.dispose()

    run_async(write())


def test_model_stats_give_daily_figures_and_percentiles_per_provider(traffic: Traffic) -> None:
    rng = random.Random(11)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    records: list[dict[str, Any]] = [
        {"created_at": today - timedelta(days=rng.randrange(0, 3), minutes=-rng.randrange(0, 60)),
         "user_id": 999_998, "api_key_id": 1, "model_slug": MODELS[0], "provider": "hist-provider",
         "status": rng.choice(["success"] * 9 + ["error"]), "prompt_tokens": 10, "completion_tokens": 50,
         "reasoning_tokens": None, "cached_tokens": None, "cost_nanos": 7,
         "latency_ms": rng.randrange(200, 4000), "ttft_ms": rng.randrange(50, 150)}
        for _ in range(300)
    ]  # fmt: skip
    write_history(traffic.env, records)
    response = traffic.get(None, f"/api/v1/models/{MODELS[0]}/stats", days=7)
    assert response.status_code == 200
    (entry,) = [p for p in response.json()["data"]["providers"] if p["provider"] == "hist-provider"]
    per_day = Counter(r["created_at"].date().isoformat() for r in records)
    assert {d["date"]: d["requests"] for d in entry["daily"]} == dict(per_day)
    assert sum(d["errors"] for d in entry["daily"]) == sum(r["status"] == "error" for r in records)
    ok = sorted(r["latency_ms"] for r in records if r["status"] == "success")
    for q in (50, 90):
        exact = ok[max(0, int(q / 100 * len(ok)) - 1)]
        assert abs(entry[f"latency_ms_p{q}"] - exact) / exact < 0.2
    assert entry["throughput_p50"] is not None
    assert traffic.get(None, "/api/v1/models/nobody/nothing/stats").status_code == 404
    assert traffic.get(None, f"/api/v1/models/{MODELS[0]}/stats", days=0).status_code in (400, 422)


def test_openrouter_activity_lists_completed_days_for_a_management_key(traffic: Traffic, cli: Cli) -> None:
    ann = user_id_of(traffic.env, "ann-stats@example.com")
    yesterday = utcnow().replace(hour=5, minute=0, second=0, microsecond=0) - timedelta(days=1)
    records = [
        {"created_at": yesterday + timedelta(minutes=m), "user_id": ann, "api_key_id": 999,
         "model_slug": "openai/gpt-4o-mini", "provider": "stats-fake", "status": "success",
         "prompt_tokens": 10, "completion_tokens": 5, "reasoning_tokens": 2, "cached_tokens": 1,
         "cost_nanos": 1_500_000, "latency_ms": 10, "ttft_ms": None}
        for m in range(3)
    ]  # fmt: skip

    async def write() -> None:
        engine = create_engine(traffic.env.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: rollups.apply_sync(c, rollups.aggregate(records)))
        await engine.dispose()

    run_async(write())
    manager = cli("keys", "create", "ann-stats@example.com", "--name", "m", "--management")
    management_key = manager.stdout.strip().splitlines()[-1]
    rows = traffic.get(management_key, "/api/v1/activity").json()["data"]
    assert rows == [
        {"date": yesterday.date().isoformat(), "model": "openai/gpt-4o-mini",
         "model_permaslug": "openai/gpt-4o-mini", "endpoint_id": "stats-fake", "provider_name": "stats-fake",
         "usage": 0.0045, "byok_usage_inference": 0, "requests": 3, "prompt_tokens": 30,
         "completion_tokens": 15, "reasoning_tokens": 6, "cached_tokens": 3},
    ]  # fmt: skip
    one_day = traffic.get(management_key, "/api/v1/activity", date=yesterday.date().isoformat())
    assert one_day.json()["data"] == rows
    assert traffic.get(management_key, "/api/v1/activity", date="1999-01-01").status_code == 400
    assert traffic.get(traffic.users["ann"], "/api/v1/activity").status_code == 403
