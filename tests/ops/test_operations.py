"""Operations: Prometheus metrics that count what was relayed, liveness and readiness, request ids on every
answer and in the JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from modelyard.ops.logs import REQUEST_ID, JsonFormatter
from modelyard.ops.probes import readiness
from tests.conftest import REDIS_URL, Cli, Env, Server, query, run_async, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

SQLITE_ONLY = True  # nothing here depends on the database's kind
TOKEN = "metrics-token-for-tests"


@dataclass
class Stack:
    server: Server
    key: str
    env: Env


@pytest.fixture(scope="module")
def stack(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Stack]:
    cli(
        "channels", "add", "ops-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--no-probe", "--models",
        "openai/gpt-4o-mini=m-chunks-3,mistralai/mistral-nemo=x-fail-500",
    )  # fmt: skip
    key = cli.create_user_with_key("ops@example.com", "5")
    extra = {"MODELYARD_METRICS_TOKEN": TOKEN, **({"MODELYARD_REDIS_URL": REDIS_URL} if REDIS_URL else {})}
    yield Stack(server_factory(replace(env, extra={**env.extra, **extra})), key, env)


def samples(body: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict[str, list[Any]], name: str, **labels: str) -> float:
    return float(
        sum(s.value for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))
    )


def test_metrics_count_what_was_relayed(stack: Stack) -> None:
    url = stack.server.url
    headers = {"Authorization": f"Bearer {stack.key}"}
    for model, stream in (
        ("openai/gpt-4o-mini", False),
        ("openai/gpt-4o-mini", True),
        ("mistralai/mistral-nemo", False),
    ):
        body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": "count me"}]}
        httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30).read()
    wait_until(lambda: len(query(stack.env.database_url, "SELECT id FROM request_logs")) == 3, what="records")

    assert httpx.get(f"{url}/metrics", timeout=30).status_code == 401
    scraped = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)
    assert value(found, "modelyard_requests_total", model="openai/gpt-4o-mini", status="success") == 2
    assert value(found, "modelyard_requests_total", model="mistralai/mistral-nemo", status="error") == 1
    assert value(found, "modelyard_request_duration_seconds_count", model="openai/gpt-4o-mini") == 2
    assert value(found, "modelyard_time_to_first_token_seconds_count", model="openai/gpt-4o-mini") == 1
    assert value(found, "modelyard_upstream_errors_total", channel="ops-fake") >= 1
    assert value(found, "modelyard_tokens_total", model="openai/gpt-4o-mini", kind="completion") > 0
    assert (
        value(found, "modelyard_circuit_breaker_state", channel="ops-fake", model="openai/gpt-4o-mini") == 0
    )
    assert value(found, "modelyard_queue_depth", queue="settlements") == 0
    assert value(found, "modelyard_ledger_holds") == 0  # every request settled


def test_liveness_readiness_and_request_ids(stack: Stack) -> None:
    url = stack.server.url
    assert httpx.get(f"{url}/healthz", timeout=30).json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz", timeout=30)
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["redis"] == ("ok" if REDIS_URL else "not configured")

    fresh = httpx.get(f"{url}/api/v1/models", timeout=30).headers["x-request-id"]
    assert fresh.startswith("req-") and len(fresh) > 12
    echoed = httpx.get(f"{url}/v1/models", headers={"X-Request-ID": "trace-1234abcd"}, timeout=30)
    assert echoed.headers["x-request-id"] == "trace-1234abcd"
    refused = httpx.get(f"{url}/v1/models", headers={"X-Request-ID": "bad id\twith spaces"}, timeout=30)
    assert refused.headers["x-request-id"].startswith("req-")
    traced = {"Authorization": f"Bearer {stack.key}", "X-Request-ID": "relay-5678efgh"}
    relayed = httpx.post(
        f"{url}/v1/chat/completions", headers=traced, timeout=30,
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )  # fmt: skip
    assert relayed.headers["x-request-id"] == "relay-5678efgh"


def test_readiness_says_which_dependency_is_down() -> None:
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    gateway = SimpleNamespace(engine=engine, redis=None)

    async def probe() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(readiness(lambda _request: gateway)))  # type: ignore[arg-type,return-value]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/readyz")

    answer = run_async(probe())
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"].startswith("failed")


def _app(endpoint: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route

    return Starlette(routes=[Route("/readyz", endpoint)])


def test_json_log_lines_carry_the_request_id() -> None:
    token = REQUEST_ID.set("req-abc123def456")
    try:
        record = logging.LogRecord(
            "modelyard.relay", logging.WARNING, __file__, 1, "upstream %s failed", ("x",), None
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "req-abc123def456" and line["message"] == "upstream x failed"
    assert (
        line["level"] == "warning" and line["logger"] == "modelyard.relay" and line["time"].endswith("+00:00")
    )
