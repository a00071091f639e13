"""Money under pressure: concurrent requests cannot overspend, a shutdown loses no charge, and changes made
by the CLI reach a running server through Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from modelyard.billing.pricing import Price, max_cost_nanos
from modelyard.relay.request import parse_chat_request
from tests.conftest import REDIS_URL, Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

MESSAGES = [{"role": "user", "content": "hello there"}]


def chat(server: Server, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def user_id(env: Env, email: str) -> int:
    return int(query(env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])


def totals(env: Env, email: str) -> tuple[int, int, int]:
    """(cached balance, sum of ledger entries, sum of logged costs) for one user."""
    uid = user_id(env, email)
    balance = query(env.database_url, "SELECT balance_nanos FROM users WHERE id = :u", u=uid)[0][0]
    ledger = query(
        env.database_url,
        "SELECT COALESCE(SUM(amount_nanos), 0) FROM ledger_entries WHERE user_id = :u",
        u=uid,
    )
    logged = query(
        env.database_url, "SELECT COALESCE(SUM(cost_nanos), 0) FROM request_logs WHERE user_id = :u", u=uid
    )
    return int(balance), int(ledger[0][0]), int(logged[0][0])


def _settled(env: Env, uid: int) -> int:
    """How many of the user's requests are settled (recorded, their holds released)."""
    held = query(env.database_url, "SELECT COUNT(*) FROM holds WHERE user_id = :u", u=uid)[0][0]
    records = query(env.database_url, "SELECT COUNT(*) FROM request_logs WHERE user_id = :u", u=uid)[0][0]
    return -1 if held else int(records)


@pytest.fixture(scope="module")
def channel(cli: Cli, upstream: FakeOpenAIUpstream) -> None:
    cli(
        "channels", "add", "fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models",
        "openai/gpt-4o=gpt-4o-chunks-8-delay-150ms,openai/gpt-4o-mini=gpt-4o-mini-chunks-3",
    )  # fmt: skip


@pytest.mark.usefixtures("channel")
def test_concurrent_requests_cannot_overspend(
    env: Env, cli: Cli, server_factory: Callable[[Env], Server]
) -> None:
    """Each request reserves its worst case (here ~$0.0101: 1,000 tokens at $10/M plus the prompt) before the
    upstream is called; $0.035 covers three such reservations at once, never four."""
    key = cli.create_user_with_key("concurrent@example.com", "0.035")
    server = server_factory(env)
    body = {"model": "openai/gpt-4o", "messages": MESSAGES, "max_tokens": 1000}
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: chat(server, key, body), range(10)))
    assert statuses == [200] * 3 + [402] * 7
    # An answer leaves once its settlement is durable; its batch follows within the writer's window.
    uid = user_id(env, "concurrent@example.com")
    wait_until(lambda: _settled(env, uid) == 3, what="the charges")
    balance, ledger, logged = totals(env, "concurrent@example.com")
    assert balance == ledger == 35_000_000 - logged
    assert balance > 0


@pytest.mark.usefixtures("channel")
def test_two_server_processes_on_one_database_cannot_overspend(
    env: Env, cli: Cli, server_factory: Callable[[Env], Server]
) -> None:
    """A user funded for exactly K requests' holds (one nano short of K + 1) fires 16 at two servers sharing
    the database: at most K get an answer, the rest 402, and every charged nano is in the ledger once."""
    body = {"model": "openai/gpt-4o", "messages": MESSAGES, "max_tokens": 1000}
    gpt_4o = Price(prompt_per_mtok_nanos=2_500_000_000, completion_per_mtok_nanos=10_000_000_000)
    hold = max_cost_nanos(gpt_4o, parse_chat_request(json.dumps(body).encode()).prompt_tokens_estimate, 1000)
    k = 4
    grant_nanos = (k + 1) * hold - 1
    key = cli.create_user_with_key("two-servers@example.com", f"{Decimal(grant_nanos) / 10**9}")
    servers = [server_factory(env), server_factory(env)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda i: chat(servers[i % 2], key, body), range(16)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 402}
    assert 1 <= statuses.count(200) <= k
    uid = user_id(env, "two-servers@example.com")
    # Each 200 was sent once its settlement was durable (402s never held anything); the batches follow.
    wait_until(lambda: _settled(env, uid) == statuses.count(200), what="the charges")
    assert query(env.database_url, "SELECT held_nanos FROM users WHERE id = :u", u=uid)[0][0] == 0
    balance, ledger_sum, logged = totals(env, "two-servers@example.com")
    assert balance == ledger_sum == grant_nanos - logged >= 0
    usage_entries = query(
        env.database_url,
        "SELECT COUNT(DISTINCT generation_id), COUNT(*) FROM ledger_entries "
        "WHERE user_id = :u AND kind = 'usage'",
        u=uid,
    )[0]
    assert tuple(usage_entries) == (statuses.count(200), statuses.count(200))


@pytest.mark.usefixtures("channel")
def test_shutdown_writes_every_queued_charge(
    env: Env, cli: Cli, server_factory: Callable[[Env], Server]
) -> None:
    """With answers not waiting for their charges and a 10 s batch window, nothing is written before SIGTERM;
    the graceful shutdown must write it all."""
    key = cli.create_user_with_key("shutdown@example.com", "1")
    slow_writer = Env(
        env.data_dir,
        env.database_url,
        {**env.extra, "MODELYARD_WRITER_FLUSH_SECONDS": "10", "MODELYARD_WRITER_COMMIT_WAIT_SECONDS": "0"},
    )
    server = server_factory(slow_writer)
    body = {"model": "openai/gpt-4o-mini", "messages": MESSAGES}
    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: chat(server, key, body), range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    returned_nanos = sum(round(r.json()["usage"]["cost"] * 10**9) for r in responses)
    # uvicorn re-raises SIGTERM once it has shut down cleanly, as process managers expect.
    assert server.stop() in (0, -15)
    uid = user_id(env, "shutdown@example.com")
    assert query(env.database_url, "SELECT COUNT(*) FROM request_logs WHERE user_id = :u", u=uid)[0][0] == 20
    balance, ledger, logged = totals(env, "shutdown@example.com")
    assert logged == returned_nanos > 0
    assert balance == ledger == 1_000_000_000 - logged


@pytest.mark.skipif(REDIS_URL is None, reason="needs MODELYARD_TEST_REDIS_URL")
@pytest.mark.usefixtures("channel")
def test_cli_changes_reach_a_running_server_through_redis(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> None:
    """The server re-reads the database only every 300 s here, so only the Redis message can explain it
    routing a model that was added after it started."""
    assert REDIS_URL is not None
    redis_env = Env(
        env.data_dir,
        env.database_url,
        {**env.extra, "MODELYARD_REDIS_URL": REDIS_URL, "MODELYARD_CACHE_REFRESH_SECONDS": "300"},
    )
    redis_cli = Cli(redis_env)
    key = redis_cli.create_user_with_key("redis@example.com", "1")
    server = server_factory(redis_env)
    body = {"model": "openai/gpt-4.1-mini", "messages": MESSAGES}
    refused = chat(server, key, body)
    assert refused.status_code == 404, refused.text
    redis_cli(
        "channels", "add", "late", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4.1-mini=gpt-4.1-mini-chunks-2",
    )  # fmt: skip
    wait_until(
        lambda: chat(server, key, body).status_code == 200, timeout=5, what="the new channel to be used"
    )
    reply = chat(server, key, body).json()
    assert json.dumps(reply["choices"][0]["message"]["content"]) == json.dumps("tok0 tok1 ")
