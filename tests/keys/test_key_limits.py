"""What an API key may do, enforced on every relayed request against a real `modelyard serve`: models,
client addresses, expiry, requests and tokens per minute (shared by instances through Redis), and a credit
limit that is exact under concurrency and starts again with its window."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import delete, insert, select, update

from modelyard.billing.holds import Holds
from modelyard.billing.pricing import Price, max_cost_nanos
from modelyard.db.engine import create_engine, session_factory
from modelyard.db.writes import create_writer
from modelyard.kit.secrets import hash_api_key
from modelyard.models import ApiKey, Hold
from modelyard.relay.request import parse_chat_request
from tests.conftest import REDIS_URL, Cli, Env, Server, query, run_async, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

EMAIL = "limits@example.com"
MESSAGES = [{"role": "user", "content": "Say hello to the gateway please"}]


@dataclass
class Stack:
    server: Server
    env: Env
    cli: Cli
    upstream: FakeOpenAIUpstream

    def new_key(self, *options: str) -> tuple[str, int]:
        key = self.cli("keys", "create", EMAIL, "--name", "limited", *options).stdout.strip().splitlines()[-1]
        rows = query(
            self.env.database_url, "SELECT id FROM api_keys WHERE key_hash = :h", h=hash_api_key(key)
        )
        return key, int(rows[0][0])

    def post(
        self,
        key: str,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        server: Server | None = None,
    ) -> httpx.Response:
        return httpx.post(
            f"{(server or self.server).url}/v1/{path}",
            json=body,
            headers={"Authorization": f"Bearer {key}", **(headers or {})},
            timeout=30,
        )

    def chat(self, key: str, model: str = "openai/gpt-4o-mini", **extra: Any) -> httpx.Response:
        return self.post(key, "chat/completions", {"model": model, "messages": MESSAGES, **extra})

    def key_row(self, key_id: int) -> tuple[datetime | None, int, int]:
        async def read() -> tuple[datetime | None, int, int]:
            engine = create_engine(self.env.database_url)
            try:
                async with engine.connect() as conn:
                    row = (
                        await conn.execute(
                            select(
                                ApiKey.window_started_at, ApiKey.window_spent_nanos, ApiKey.held_nanos
                            ).where(ApiKey.id == key_id)
                        )
                    ).one()
            finally:
                await engine.dispose()
            return row[0], int(row[1]), int(row[2])

        return run_async(read())

    def set_key(self, key_id: int, **values: Any) -> None:
        async def write() -> None:
            engine = create_engine(self.env.database_url)
            try:
                async with engine.begin() as conn:
                    await conn.execute(update(ApiKey).where(ApiKey.id == key_id).values(**values))
            finally:
                await engine.dispose()

        run_async(write())

    def logged_costs(self, key_id: int) -> list[int]:
        rows = query(
            self.env.database_url,
            "SELECT cost_nanos FROM request_logs WHERE api_key_id = :k AND status = 'success'",
            k=key_id,
        )
        return [int(r[0]) for r in rows]

    def hold_of(self, model: str, max_tokens: int) -> int:
        """The credit a chat request with MESSAGES holds: what the relay computes, from the stored price."""
        price = query(
            self.env.database_url,
            "SELECT p.prompt_per_mtok_nanos, p.completion_per_mtok_nanos, p.request_nanos "
            "FROM model_prices p JOIN catalog_models m ON m.id = p.model_id WHERE m.slug = :s",
            s=model,
        )[0]
        body = {"model": model, "messages": MESSAGES, "max_tokens": max_tokens}
        estimate = parse_chat_request(orjson.dumps(body)).prompt_tokens_estimate
        return max_cost_nanos(
            Price(prompt_per_mtok_nanos=price[0], completion_per_mtok_nanos=price[1], request_nanos=price[2]),
            estimate,
            max_tokens,
        )


@pytest.fixture(scope="module")
def stack(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Stack]:
    env.extra.update({"MODELYARD_CACHE_REFRESH_SECONDS": "0.5"})
    if REDIS_URL is not None:  # rate limits counted in Redis, as a deployment of several instances does
        env.extra["MODELYARD_REDIS_URL"] = REDIS_URL
    # The first CLI call migrates the new database and imports the shipped catalogue.
    cli(
        "channels", "add", "fake-limits", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models",
        "openai/gpt-4o-mini=gpt-4o-mini-chunks-5,openai/gpt-4o=gpt-4o-chunks-5-delay-200ms,"
        "deepseek/deepseek-chat=deepseek-chunks-5,openai/text-embedding-3-small=embed-model",
    )  # fmt: skip
    cli("users", "create", EMAIL, "--password", "correct-horse-battery")
    cli("credits", "grant", EMAIL, "5")
    yield Stack(server=server_factory(env), env=env, cli=cli, upstream=upstream)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == status
    message: str = body["error"]["message"]
    return message


def _fresh_minute(margin: float = 3.0) -> None:
    """Rate windows are calendar minutes: start a test that counts within one well before it ends."""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 0.05)


def test_models_outside_the_allowed_patterns_are_refused(stack: Stack) -> None:
    key, _ = stack.new_key("--allowed-models", "openai/*")
    assert stack.chat(key).status_code == 200
    message = _error(stack.chat(key, "deepseek/deepseek-chat"), 403)
    assert "cannot use model deepseek/deepseek-chat" in message and "openai/*" in message
    # Every model the request may fall back to counts, not only the first.
    fallback = stack.chat(key, models=["openai/gpt-4o-mini", "deepseek/deepseek-chat"])
    assert "deepseek/deepseek-chat" in _error(fallback, 403)
    legacy = stack.post(key, "completions", {"model": "deepseek/deepseek-chat", "prompt": "hi"})
    assert _error(legacy, 403)
    embedded = stack.post(key, "embeddings", {"model": "openai/text-embedding-3-small", "input": "hi"})
    assert embedded.status_code == 200, embedded.text


def test_client_addresses_outside_the_allowed_ips_are_refused(stack: Stack) -> None:
    key, _ = stack.new_key("--allowed-ips", "10.1.2.0/24,2001:db8::1")
    assert "cannot be used from 127.0.0.1" in _error(stack.chat(key), 403)
    assert _error(
        stack.post(key, "embeddings", {"model": "openai/text-embedding-3-small", "input": "x"}), 403
    )
    # The client's address as uvicorn reports it: behind a trusted proxy (here 127.0.0.1), X-Forwarded-For.
    inside = stack.post(
        key, "chat/completions", {"model": "openai/gpt-4o-mini", "messages": MESSAGES},
        headers={"X-Forwarded-For": "10.1.2.77"},
    )  # fmt: skip
    assert inside.status_code == 200, inside.text
    outside = stack.post(
        key, "chat/completions", {"model": "openai/gpt-4o-mini", "messages": MESSAGES},
        headers={"X-Forwarded-For": "10.1.3.1"},
    )  # fmt: skip
    assert "10.1.3.1" in _error(outside, 403)


def test_expired_and_disabled_keys_are_refused(stack: Stack) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    key, key_id = stack.new_key("--expires-at", expires.isoformat())
    assert stack.chat(key).status_code == 200
    stack.set_key(key_id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    wait_until(lambda: stack.chat(key).status_code == 401, what="the expired key to be refused")
    assert _error(stack.chat(key), 401) == "API key has expired"

    key, key_id = stack.new_key()
    assert stack.chat(key).status_code == 200
    stack.set_key(key_id, is_enabled=False)
    wait_until(lambda: stack.chat(key).status_code == 401, what="the disabled key to be refused")
    assert _error(stack.chat(key), 401) == "API key is disabled"


def test_requests_per_minute(stack: Stack) -> None:
    key, _ = stack.new_key("--rpm", "2")
    _fresh_minute()
    assert stack.chat(key).status_code == 200
    assert (
        stack.post(key, "embeddings", {"model": "openai/text-embedding-3-small", "input": "x"}).status_code
        == 200
    )
    refused = stack.chat(key)
    assert "allows 2 requests per minute" in _error(refused, 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-limit"] == "2" and refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["error"]["metadata"]["error_type"] == "rate_limit_exceeded"


def test_tokens_per_minute_count_at_admission_and_give_back_what_was_not_used(stack: Stack) -> None:
    key, _ = stack.new_key("--tpm", "1000")
    assert "Request too large" in _error(stack.chat(key, max_tokens=2000), 429)
    _fresh_minute()
    stack.upstream.reset()
    with ThreadPoolExecutor(1) as pool:
        # ~1 s in flight: its prompt estimate + 900 tokens stay counted meanwhile.
        slow = pool.submit(stack.chat, key, "openai/gpt-4o", max_tokens=900)
        wait_until(lambda: bool(stack.upstream.requests), what="the slow request to be admitted")
        refused = stack.chat(key, max_tokens=900)
        assert "allows 1000 tokens per minute" in _error(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert slow.result().status_code == 200
    # The slow request used a few tokens of its 900: the rest came back at settlement.
    wait_until(lambda: stack.chat(key, max_tokens=900).status_code == 200, what="unused tokens to come back")


def test_credit_limit_is_exact_under_concurrency(stack: Stack) -> None:
    hold = stack.hold_of("openai/gpt-4o", 100)
    limit_nanos = 5 * hold  # room for exactly five requests in flight
    key, key_id = stack.new_key("--limit-usd", str(Decimal(limit_nanos) / 10**9))
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: stack.chat(key, "openai/gpt-4o", max_tokens=100), range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [402] * 15, [a.text for a in answers if a.status_code not in (200, 402)]
    refused = next(a for a in answers if a.status_code == 402)
    assert _error(refused, 402).startswith("Key limit reached")
    wait_until(lambda: len(stack.logged_costs(key_id)) == 5, what="five settlements")
    wait_until(lambda: stack.key_row(key_id)[2] == 0, what="the key's holds to be released")
    _, spent, held = stack.key_row(key_id)
    assert spent == sum(stack.logged_costs(key_id)) and held == 0
    # Refused key holds took no user hold either.
    assert query(stack.env.database_url, "SELECT held_nanos FROM users WHERE email = :e", e=EMAIL) == [(0,)]


def test_credit_limit_starts_again_with_its_window(stack: Stack) -> None:
    key, key_id = stack.new_key("--limit-usd", "0.001", "--limit-reset", "daily")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert stack.chat(key, max_tokens=100).status_code == 200
    wait_until(lambda: len(stack.logged_costs(key_id)) == 1, what="the first settlement")
    started, spent, held = stack.key_row(key_id)
    assert (started, spent, held) == (today, stack.logged_costs(key_id)[0], 0)

    stack.set_key(key_id, window_spent_nanos=1_000_000 - 1_000)  # the day's limit as good as spent
    assert _error(stack.chat(key, max_tokens=100), 402).startswith("Key limit reached")

    stack.set_key(key_id, window_started_at=today - timedelta(days=1))  # ... yesterday
    assert stack.chat(key, max_tokens=100).status_code == 200
    wait_until(lambda: len(stack.logged_costs(key_id)) == 2, what="the second settlement")
    started, spent, held = stack.key_row(key_id)
    assert started == today and held == 0
    assert spent == max(stack.logged_costs(key_id))  # only today's request counts (both cost the same)


def test_what_a_crashed_process_held_on_a_key_is_cleared_by_the_sweep(stack: Stack) -> None:
    key, key_id = stack.new_key("--limit-usd", "0.001")
    stack.set_key(key_id, held_nanos=1_000_000)  # a dead process's request in flight, never settled
    assert _error(stack.chat(key, max_tokens=100), 402).startswith("Key limit reached")
    user_id = int(query(stack.env.database_url, "SELECT id FROM users WHERE email = :e", e=EMAIL)[0][0])

    async def sweep(open_hold: bool) -> None:
        """A server's periodic sweep, while the owner has a request in flight (an open hold) or not."""
        engine = create_engine(stack.env.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(Hold).where(Hold.generation_id == "gen-live-elsewhere"))
                if open_hold:
                    now = datetime.now(UTC)
                    row = {"user_id": user_id, "generation_id": "gen-live-elsewhere", "amount_nanos": 1,
                           "created_at": now, "expires_at": now + timedelta(minutes=5)}  # fmt: skip
                    await conn.execute(insert(Hold).values(**row))
            writer = create_writer(stack.env.database_url, engine)
            await Holds(session_factory(engine), writer, ttl_seconds=60).sweep()
            await writer.close()
        finally:
            await engine.dispose()

    run_async(sweep(open_hold=True))
    assert stack.key_row(key_id)[2] == 1_000_000  # it may be that request's: kept
    run_async(sweep(open_hold=False))
    assert stack.key_row(key_id)[2] == 0
    assert stack.chat(key, max_tokens=100).status_code == 200


@pytest.mark.skipif(REDIS_URL is None, reason="needs MODELYARD_TEST_REDIS_URL")
def test_two_instances_sharing_redis_count_requests_per_minute_together(
    stack: Stack, server_factory: Callable[[Env], Server]
) -> None:
    first, second = stack.server, server_factory(stack.env)  # both count in the run's Redis
    key, _ = stack.new_key("--rpm", "3")
    _fresh_minute()
    for server in (first, second, first):
        answer = stack.post(key, "chat/completions", {"model": "openai/gpt-4o-mini", "messages": MESSAGES},
                            server=server)  # fmt: skip
        assert answer.status_code == 200, answer.text
    refused = stack.post(key, "chat/completions", {"model": "openai/gpt-4o-mini", "messages": MESSAGES},
                         server=second)  # fmt: skip
    assert "allows 3 requests per minute" in _error(refused, 429)
