"""Routing against the real app with several fake upstreams: default spreading, sort and price controls,
fallback models, cool-downs, failover when an upstream dies, recovery when it returns, and health shared
between two instances through Redis."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import REDIS_URL, Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

# Wire shapes, routing and the catalogue do not depend on the database's kind: one run, on SQLite, keeps
# the suite short (Redis, when the run has it, is still used).
SQLITE_ONLY = True

MODEL = "openai/gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "route me"}]
# Endpoint prices in USD per million tokens (prompt and completion), one per channel.
PRICES = {"cheap-a": "1", "slow-b": "2", "dear-c": "3"}


@dataclass
class Fleet:
    env: Env
    server: Server
    admin: str
    user: str
    fakes: dict[str, FakeOpenAIUpstream]
    channel_ids: dict[str, int] = field(default_factory=dict)

    def admin_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def chat(self, server: Server | None = None, **body: Any) -> httpx.Response:
        payload = {"model": MODEL, "messages": MESSAGES, **body}
        return httpx.post(
            f"{(server or self.server).url}/v1/chat/completions",
            json=payload,
            headers={"Authorization": f"Bearer {self.user}"},
            timeout=30,
        )

    def add_channel(self, name: str, fake: FakeOpenAIUpstream, models: dict[str, str], **extra: Any) -> int:
        response = self.admin_call(
            "POST",
            "/api/admin/channels",
            json={
                "name": name,
                "provider": "openai",
                "base_url": fake.base_url,
                "api_key": "sk-upstream-test",
                "models": [{"slug": slug, "upstream_name": upstream} for slug, upstream in models.items()],
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        channel_id: int = response.json()["id"]
        self.channel_ids[name] = channel_id
        return channel_id


def fixed_port() -> int:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])  # noqa: SIM115
    for _ in range(100):
        port = random.randrange(max(low - 8000, 10000), low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def chats_seen(fake: FakeOpenAIUpstream, upstream_model: str | None = None) -> int:
    return sum(
        1
        for r in list(fake.requests)
        if r.path.endswith("/chat/completions")
        and (upstream_model is None or (r.body or {}).get("model") == upstream_model)
    )


@pytest.fixture(scope="module")
def fleet(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> Iterator[Fleet]:
    env.extra.update(
        {
            # Probes every second find a returning upstream quickly; failed tries move on without a pause.
            "MODELYARD_HEALTH_PROBE_INTERVAL_SECONDS": "1",
            "MODELYARD_ROUTING_RETRY_DELAY_SECONDS": "0",
            "MODELYARD_HEALTH_PERSIST_SECONDS": "0.5",
        }
    )
    if REDIS_URL is not None:
        env.extra["MODELYARD_REDIS_URL"] = REDIS_URL
    fakes = {name: FakeOpenAIUpstream(api_key="sk-upstream-test") for name in PRICES}
    for name, fake in fakes.items():
        # cheap-a is killed and restarted on its port: one outside the ephemeral range, which the
        # gateway's own outgoing connections could otherwise take while it is down.
        fake.start(port=fixed_port() if name == "cheap-a" else None)
    cli("users", "create", "routing-admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "routing-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("routing-user@example.com", "100")
    fleet = Fleet(env, server_factory(env), admin, user, fakes)
    upstreams = {"cheap-a": "mini-chunks-5", "slow-b": "mini-chunks-5-ttft-300ms", "dear-c": "mini-chunks-5"}
    for name, price in PRICES.items():
        channel_id = fleet.add_channel(name, fakes[name], {MODEL: upstreams[name]})
        priced = fleet.admin_call(
            "PATCH",
            f"/api/admin/models/{MODEL}/endpoints/{channel_id}",
            json={"prices": {"prompt": price, "completion": price}},
        )
        assert priced.status_code == 200, priced.text
    try:
        yield fleet
    finally:
        for fake in fakes.values():
            fake.stop()


def provider_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    provider: str = response.json()["provider"]
    return provider


def test_default_prefers_the_cheapest_by_inverse_square_of_price(fleet: Fleet) -> None:
    # Weights 1/2², 1/4², 1/6² put cheap-a first about 74% of the time; the rest are fallbacks only.
    counts = Counter(provider_of(fleet.chat()) for _ in range(40))
    assert counts["cheap-a"] > 20 and counts["cheap-a"] > 2 * counts["slow-b"]
    assert counts["cheap-a"] > counts["dear-c"]


def test_order_without_fallbacks_and_sort_by_latency(fleet: Fleet) -> None:
    for name in PRICES:
        for _ in range(3):
            answer = fleet.chat(provider={"order": [name], "allow_fallbacks": False})
            assert provider_of(answer) == name
    # slow-b answers ~300 ms later than the others: sorted by latency it is never first.
    chosen = {provider_of(fleet.chat(provider={"sort": "latency"})) for _ in range(10)}
    assert "slow-b" not in chosen
    # By price: always the cheapest; `:floor` means the same.
    assert {provider_of(fleet.chat(provider={"sort": "price"})) for _ in range(5)} == {"cheap-a"}
    assert {provider_of(fleet.chat(model=f"{MODEL}:floor")) for _ in range(5)} == {"cheap-a"}
    endpoints = httpx.get(f"{fleet.server.url}/api/v1/models/{MODEL}/endpoints", timeout=30).json()["data"]
    figures = {e["provider_name"]: e for e in endpoints["endpoints"]}
    assert figures["slow-b"]["latency_last_30m"]["p50"] > figures["cheap-a"]["latency_last_30m"]["p50"]
    assert figures["cheap-a"]["uptime_last_30m"] == 100.0


def test_max_price_excludes_dear_endpoints_and_says_so_when_none_is_left(fleet: Fleet) -> None:
    chosen = Counter(
        provider_of(fleet.chat(provider={"max_price": {"prompt": 2.5, "completion": 2.5}})) for _ in range(15)
    )
    assert "dear-c" not in chosen
    refused = fleet.chat(provider={"max_price": {"prompt": 0.5}})
    assert refused.status_code == 404, refused.text
    error = refused.json()["error"]
    assert "max_price" in error["message"]
    assert error["metadata"]["availability"]["excluded_by"] == ["max_price"]
    bad = fleet.chat(provider={"sort": "cheapest"})
    assert bad.status_code == 400 and "provider.sort" in bad.json()["error"]["message"]
    ignored = {provider_of(fleet.chat(provider={"ignore": ["cheap-a"]})) for _ in range(8)}
    assert "cheap-a" not in ignored
    # No channel is known not to keep prompts until an operator says so of one.
    private = fleet.chat(provider={"data_collection": "deny"})
    assert private.status_code == 404, private.text
    assert private.json()["error"]["metadata"]["availability"]["excluded_by"] == ["data_policy:training"]
    marked = fleet.admin_call(
        "PATCH", f"/api/admin/channels/{fleet.channel_ids['dear-c']}", json={"options": {"no_training": True}}
    )
    assert marked.status_code == 200, marked.text
    assert {provider_of(fleet.chat(provider={"data_collection": "deny"})) for _ in range(4)} == {"dear-c"}


def test_fallback_models_answer_and_bill_as_the_model_that_answered(fleet: Fleet) -> None:
    fleet.add_channel(
        "broken-d", fleet.fakes["cheap-a"], {"openai/gpt-4o": "4o-fail-500"}, options={"probe_enabled": False}
    )
    answer = fleet.chat(model="openai/gpt-4o", models=[MODEL])
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["model"] == MODEL
    usage = document["usage"]
    price = Decimal(PRICES[document["provider"]])
    expected = (usage["prompt_tokens"] + usage["completion_tokens"]) * price / 1_000_000
    assert Decimal(str(usage["cost"])) == expected
    generation = answer.headers["x-generation-id"]

    def attempts() -> list[dict[str, Any]] | None:
        rows = query(
            fleet.env.database_url, "SELECT attempts FROM request_logs WHERE generation_id = :g", g=generation
        )
        if not rows:
            return None
        value = rows[0][0]
        decoded: list[dict[str, Any]] = json.loads(value) if isinstance(value, str) else value
        return decoded

    wait_until(lambda: attempts() is not None, what="the request log")
    tries = attempts()
    assert tries is not None
    assert [(t["channel"], t["model"], t["status"]) for t in tries] == [
        ("broken-d", "openai/gpt-4o", 500),
        (document["provider"], MODEL, 200),
    ]


def test_a_429_cools_the_channel_for_its_retry_after(fleet: Fleet) -> None:
    fake = fleet.fakes["slow-b"]
    fleet.add_channel(
        "limited-e", fake, {"openai/gpt-4.1-nano": "nano-fail-429"}, options={"probe_enabled": False}
    )
    first = fleet.chat(model="openai/gpt-4.1-nano")
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    seen = chats_seen(fake, "nano-fail-429")
    cooled = fleet.chat(model="openai/gpt-4.1-nano")
    assert cooled.status_code == 503, cooled.text
    assert cooled.json()["error"]["metadata"]["availability"]["excluded_by"] == ["circuit_open"]
    assert "retry-after" in cooled.headers
    assert chats_seen(fake, "nano-fail-429") == seen  # the cooling channel was not called
    time.sleep(1.1)
    assert fleet.chat(model="openai/gpt-4.1-nano").status_code == 429  # tried again once cooled
    assert chats_seen(fake, "nano-fail-429") == seen + 1


@pytest.mark.skipif(REDIS_URL is None, reason="health is shared between instances through Redis")
def test_a_failure_seen_by_one_instance_steers_the_other(
    fleet: Fleet, server_factory: Callable[[Env], Server]
) -> None:
    fake = fleet.fakes["dear-c"]
    fleet.add_channel(
        "flaky-f", fake, {"openai/gpt-4.1-mini": "f-fail-502"}, options={"probe_enabled": False}
    )
    other = server_factory(fleet.env)
    for _ in range(3):
        assert fleet.chat(model="openai/gpt-4.1-mini").status_code == 502
    seen = chats_seen(fake, "f-fail-502")

    def other_sees_it_down() -> bool:
        endpoints = httpx.get(f"{other.url}/api/v1/models/openai/gpt-4.1-mini/endpoints", timeout=30)
        return bool(endpoints.json()["data"]["endpoints"][0]["status"] == -1)

    wait_until(other_sees_it_down, what="the other instance to hear of the failures")
    steered = fleet.chat(server=other, model="openai/gpt-4.1-mini")
    assert steered.status_code == 503, steered.text
    assert chats_seen(fake, "f-fail-502") == seen


def test_an_open_breaker_is_written_down_and_survives_a_restart(
    fleet: Fleet, server_factory: Callable[[Env], Server]
) -> None:
    fake = fleet.fakes["dear-c"]
    channel_id = fleet.add_channel(
        "gone-g", fake, {"mistralai/mistral-nemo": "nemo-fail-503"}, options={"probe_enabled": False}
    )
    for _ in range(3):
        assert fleet.chat(model="mistralai/mistral-nemo").status_code in (502, 503)

    def stored() -> list[tuple[Any, ...]]:
        return query(
            fleet.env.database_url,
            "SELECT breaker, consecutive_failures, open_until, last_error FROM channel_health "
            "WHERE channel_id = :c AND model_slug = 'mistralai/mistral-nemo'",
            c=channel_id,
        )

    wait_until(lambda: bool(stored()) and stored()[0][0] == "open", what="the open breaker in channel_health")
    _, failures, open_until, last_error = stored()[0]
    assert failures == 3 and open_until is not None and last_error
    seen = chats_seen(fake, "nemo-fail-503")
    restarted = server_factory(fleet.env)
    answer = fleet.chat(server=restarted, model="mistralai/mistral-nemo")
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["metadata"]["availability"]["excluded_by"] == ["circuit_open"]
    assert chats_seen(fake, "nemo-fail-503") == seen


def test_a_users_preferred_strategy_applies_when_a_request_names_none(fleet: Fleet) -> None:
    def preference(method: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {fleet.user}"}
        return httpx.request(
            method, f"{fleet.server.url}/api/account/routing", headers=headers, timeout=30, **kwargs
        )

    assert preference("GET").json() == {"strategy": None, "effective": "default"}
    chosen = preference("PUT", json={"strategy": "price"})
    assert chosen.status_code == 200 and chosen.json() == {"strategy": "price", "effective": "price"}
    assert {provider_of(fleet.chat()) for _ in range(8)} == {"cheap-a"}
    # A request's own sort still wins over the user's preference.
    latency = {provider_of(fleet.chat(provider={"sort": "latency"})) for _ in range(5)}
    assert "slow-b" not in latency
    bad = preference("PUT", json={"strategy": "fastest"})
    assert bad.status_code == 400, bad.text
    assert preference("PUT", json={"strategy": None}).json()["effective"] == "default"


def test_an_upstream_dying_mid_run_fails_no_request_and_traffic_returns_when_it_is_back(fleet: Fleet) -> None:
    client = openai.OpenAI(base_url=f"{fleet.server.url}/v1", api_key=fleet.user, max_retries=0)
    dying = fleet.fakes["cheap-a"]
    port = int(dying.base_url.split(":")[2].split("/")[0])
    failures: list[str] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    done = 0

    def one(index: int) -> None:
        nonlocal done
        try:
            if index % 2:
                answer = client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
                outcome = f"ok:{answer.provider}"  # type: ignore[attr-defined]
            else:
                stream = client.chat.completions.create(
                    model=MODEL,
                    messages=MESSAGES,  # type: ignore[arg-type]
                    stream=True,
                )
                provider = "?"
                for chunk in stream:
                    provider = getattr(chunk, "provider", provider)
                outcome = f"ok:{provider}"
        except openai.APIError as exc:
            # Only a stream already under way on the dying upstream may fail (it cannot be retried).
            body = exc.body if isinstance(exc.body, dict) else {}
            outcome = f"stream-cut:{body}"
            if index % 2 or "cheap-a" not in str(exc):
                with lock:
                    failures.append(f"request {index}: {exc}")
        with lock:
            outcomes[outcome.split(":")[0]] += 1
            done += 1

    workers = [threading.Thread(target=one, args=(i,)) for i in range(60)]
    for number, worker in enumerate(workers):
        worker.start()
        if number == 20:
            dying.stop()  # killed while requests are in flight
        time.sleep(0.01)
    for worker in workers:
        worker.join(timeout=60)
    assert done == 60 and failures == [], failures

    # While it is down, nothing is sent its way; once it is back, its probe lets a trial through and the
    # cheapest channel takes its share again.
    after_kill = Counter(provider_of(fleet.chat()) for _ in range(10))
    assert "cheap-a" not in after_kill
    dying.start(port=port)
    wait_until(lambda: provider_of(fleet.chat()) == "cheap-a", timeout=20, what="traffic to return")
