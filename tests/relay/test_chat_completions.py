"""The main job, end to end: the official `openai` SDK -> a real `modelyard serve` -> a fake OpenAI upstream,
with exact charges checked against the ledger and the request log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage

from tests.conftest import Cli, Env, Server, free_port, query, wait_until
from tests.fakes.openai_upstream import (
    FakeOpenAIUpstream,
    completion_text,
    expected_prompt_tokens,
)

# Per-token USD prices of the catalogue rows used here (from the shipped OpenRouter snapshot).
PRICES = {
    "openai/gpt-4o-mini": (Decimal("0.00000015"), Decimal("0.0000006")),
    "openai/gpt-4o": (Decimal("0.0000025"), Decimal("0.00001")),
    "deepseek/deepseek-chat": (Decimal("0.0000002574"), Decimal("0.0000010287")),
}
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello to the gateway please"}]


def expected_cost_nanos(model: str, prompt_tokens: int, completion_tokens: int) -> int:
    prompt_price, completion_price = PRICES[model]
    usd = prompt_tokens * prompt_price + completion_tokens * completion_price
    return int((usd * 10**9).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Gateway:
    server: Server
    key: str
    upstream: FakeOpenAIUpstream
    cli: Cli
    env: Env

    def client(self, key: str | None = None, **kwargs: Any) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.server.url}/v1", api_key=key or self.key, max_retries=0, timeout=30, **kwargs
        )

    def balance_nanos(self, email: str) -> int:
        rows = query(self.env.database_url, "SELECT balance_nanos FROM users WHERE email = :e", e=email)
        return int(rows[0][0])

    def logs(self, generation_id: str) -> list[tuple[Any, ...]]:
        return query(
            self.env.database_url,
            "SELECT status, cost_nanos, prompt_tokens, completion_tokens, http_status, provider, is_stream "
            "FROM request_logs WHERE generation_id = :g",
            g=generation_id,
        )

    def wait_for_log(self, generation_id: str) -> tuple[Any, ...]:
        wait_until(lambda: bool(self.logs(generation_id)), what=f"request log {generation_id}")
        return self.logs(generation_id)[0]


@pytest.fixture(scope="module")
def gateway(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Gateway]:
    env.extra.update(
        {"MODELYARD_UPSTREAM_READ_TIMEOUT_SECONDS": "2", "MODELYARD_CACHE_REFRESH_SECONDS": "0.5"}
    )
    cli("catalog", "import")
    cli(
        "channels",
        "add",
        "fake-main",
        "--provider",
        "openai",
        "--base-url",
        upstream.base_url,
        "--api-key",
        "sk-upstream-test",
        "--models",
        ",".join(
            [
                "openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
                "openai/gpt-4o=gpt-4o-chunks-8-delay-150ms",
                "deepseek/deepseek-chat=deepseek-no-usage-chunks-6",
                "openai/gpt-4o-2024-11-20=gpt-fail-500",
                "openai/gpt-4o-2024-08-06=gpt-drop-mid-stream-chunks-10",
                "openai/gpt-4o-2024-05-13=gpt-hang",
                "openai/gpt-4o-mini-2024-07-18=gpt-fail-429",
                "openai/gpt-4.1-mini=gpt-fail-400",
            ]
        ),
    )
    cli(
        "channels",
        "add",
        "closed-port",
        "--provider",
        "openai",
        "--base-url",
        f"http://127.0.0.1:{free_port()}/v1",
        "--api-key",
        "sk-x",
        "--models",
        "openai/gpt-4.1",
    )
    cli(
        "channels",
        "add",
        "wrong-key",
        "--provider",
        "openai",
        "--base-url",
        upstream.base_url,
        "--api-key",
        "sk-wrong",
        "--models",
        "openai/gpt-4.1-nano",
    )
    key = cli.create_user_with_key("alice@example.com", "5")
    server = server_factory(env)
    yield Gateway(server=server, key=key, upstream=upstream, cli=cli, env=env)


def test_chat_completion_returns_answer_usage_and_cost(gateway: Gateway) -> None:
    gateway.upstream.reset()
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="openai/gpt-4o-mini",
        messages=MESSAGES,
    )
    reply = raw.parse()
    assert reply.choices[0].message.content == completion_text(5)
    assert reply.id.startswith("gen-") and raw.headers["x-generation-id"] == reply.id
    assert reply.model == "openai/gpt-4o-mini"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == expected_prompt_tokens({"messages": MESSAGES})
    assert reply.usage.completion_tokens == 5
    cost = expected_cost_nanos("openai/gpt-4o-mini", reply.usage.prompt_tokens, 5)
    assert reply.usage.model_extra is not None
    assert Decimal(str(reply.usage.model_extra["cost"])) == Decimal(cost) / 10**9
    assert (reply.model_extra or {}).get("provider") == "fake-main"

    # The upstream was called with its own model name and the channel's credential, not the user's key.
    sent = gateway.upstream.requests[-1]
    assert sent.body["model"] == "gpt-4o-mini-chunks-5"
    assert sent.headers["authorization"] == "Bearer sk-upstream-test"
    assert "stream_options" not in sent.body

    status, logged_cost, prompt, completion, http_status, provider, is_stream = gateway.wait_for_log(reply.id)
    assert (status, logged_cost, prompt, completion, http_status, provider, is_stream) == (
        "success",
        cost,
        reply.usage.prompt_tokens,
        5,
        200,
        "fake-main",
        False,
    )


def test_api_v1_base_path_serves_the_same_api(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.server.url}/api/v1", api_key=gateway.key, max_retries=0)
    reply = client.chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES)
    assert reply.choices[0].message.content == completion_text(5)


def test_stream_relays_chunks_and_ends_with_usage_and_done(gateway: Gateway) -> None:
    gateway.upstream.reset()
    chunks: list[ChatCompletionChunk] = list(
        gateway.client().chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == completion_text(5)
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("gen-")
    assert all(c.model == "openai/gpt-4o-mini" for c in chunks)
    final = chunks[-1]
    assert final.choices == [] and final.usage is not None
    assert [c for c in chunks[:-1] if c.usage is not None] == []  # usage exactly once, in the last chunk
    prompt = expected_prompt_tokens({"messages": MESSAGES})
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (prompt, 5)
    cost = expected_cost_nanos("openai/gpt-4o-mini", prompt, 5)
    assert final.usage.model_extra is not None
    assert Decimal(str(final.usage.model_extra["cost"])) == Decimal(cost) / 10**9
    assert gateway.upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    assert gateway.wait_for_log(final.id)[:2] == ("success", cost)


def stream_events(gateway: Gateway, model: str) -> tuple[httpx.Headers, list[str]]:
    """The raw SSE `data` payloads of a streamed request, as a client without an SDK sees them."""
    body = {"model": model, "messages": MESSAGES, "stream": True}
    with httpx.stream(
        "POST",
        f"{gateway.server.url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {gateway.key}"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return response.headers, [line.removeprefix("data: ") for line in response.iter_lines() if line]


def test_stream_wire_format_ends_with_done(gateway: Gateway) -> None:
    _headers, events = stream_events(gateway, "openai/gpt-4o-mini")
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["choices"] == []


def test_stream_passes_chunks_through_as_they_arrive(gateway: Gateway) -> None:
    """The upstream spaces 8 tokens 150 ms apart; a buffering relay would deliver them all at once."""
    arrivals: list[float] = []
    stream = gateway.client().chat.completions.create(
        model="openai/gpt-4o",
        messages=MESSAGES,
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())
    assert len(arrivals) == 8
    assert arrivals[-1] - arrivals[0] > 0.5


def test_missing_upstream_usage_is_estimated_not_free(gateway: Gateway) -> None:
    reply = gateway.client().chat.completions.create(
        model="deepseek/deepseek-chat",
        messages=MESSAGES,
    )
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    status, cost, *_ = gateway.wait_for_log(reply.id)
    assert status == "success" and cost > 0
    assert query(
        gateway.env.database_url,
        "SELECT is_usage_estimated FROM request_logs WHERE generation_id = :g",
        g=reply.id,
    ) == [(True,)]


def test_models_lists_the_served_models(gateway: Gateway) -> None:
    client = gateway.client()
    ids = {m.id for m in client.models.list()}
    # Only models an enabled channel serves; include_unavailable lists the whole catalogue.
    assert "openai/gpt-4o" in ids and "mistralai/mistral-nemo" not in ids
    assert client.models.retrieve("openai/gpt-4o").id == "openai/gpt-4o"
    every = httpx.get(
        f"{gateway.server.url}/api/v1/models",
        params={"output_modalities": "all", "include_unavailable": "true"},
    ).json()
    assert every["total_count"] == 549 == len(every["data"])
    gpt4o = next(m for m in every["data"] if m["id"] == "openai/gpt-4o")
    assert gpt4o["pricing"]["prompt"] == "0.0000025" and gpt4o["pricing"]["completion"] == "0.00001"


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    return error


def post(gateway: Gateway, body: Any, key: str | None = None, raw: bytes | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or gateway.key}", "Content-Type": "application/json"}
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(
        f"{gateway.server.url}/v1/chat/completions", content=content, headers=headers, timeout=30
    )


def test_authentication_errors(gateway: Gateway) -> None:
    body = {"model": "openai/gpt-4o-mini", "messages": MESSAGES}
    missing = httpx.post(f"{gateway.server.url}/v1/chat/completions", json=body)
    assert missing.status_code == 401 and "Authentication" in error_of(missing)["message"]
    unknown = post(gateway, body, key="sk-my-v1-" + "0" * 64)
    assert unknown.status_code == 401 and error_of(unknown)["message"] == "Invalid API key"
    with pytest.raises(openai.AuthenticationError):
        gateway.client(key="nonsense").chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES)


def test_disabled_key_is_refused(gateway: Gateway) -> None:
    key = gateway.cli.create_user_with_key("disabled@example.com", "1")
    assert post(gateway, {"model": "openai/gpt-4o-mini", "messages": MESSAGES}, key=key).status_code == 200
    query(
        gateway.env.database_url,
        "UPDATE api_keys SET is_enabled = false WHERE user_id = "
        "(SELECT id FROM users WHERE email = 'disabled@example.com') RETURNING id",
    )
    wait_until(
        lambda: (
            post(gateway, {"model": "openai/gpt-4o-mini", "messages": MESSAGES}, key=key).status_code == 401
        ),
        what="the disabled key to be refused",
    )


@pytest.mark.parametrize(
    ("body", "raw", "field"),
    [
        (None, b"{not json", "JSON"),
        (None, b"", "empty"),
        ([1, 2], None, "object"),
        ({"messages": MESSAGES}, None, "`model`"),
        ({"model": "openai/gpt-4o-mini"}, None, "`messages`"),
        ({"model": "openai/gpt-4o-mini", "messages": []}, None, "`messages`"),
        ({"model": "openai/gpt-4o-mini", "messages": [{"role": "wizard", "content": "x"}]}, None, "role"),
        ({"model": "openai/gpt-4o-mini", "messages": MESSAGES, "max_tokens": -1}, None, "`max_tokens`"),
        ({"model": "openai/gpt-4o-mini", "messages": MESSAGES, "stream": "yes"}, None, "`stream`"),
        ({"model": "openai/gpt-4o-mini", "messages": MESSAGES, "temperature": "hot"}, None, "`temperature`"),
    ],
)
def test_invalid_requests_get_400_naming_the_problem(
    gateway: Gateway, body: Any, raw: bytes | None, field: str
) -> None:
    gateway.upstream.reset()
    response = post(gateway, body, raw=raw)
    assert response.status_code == 400
    assert field in error_of(response)["message"]
    assert gateway.upstream.requests == []


def test_unknown_model_and_model_without_channel_are_404(gateway: Gateway) -> None:
    unknown = post(gateway, {"model": "nobody/nothing", "messages": MESSAGES})
    assert unknown.status_code == 404 and "nobody/nothing" in error_of(unknown)["message"]
    unserved = post(gateway, {"model": "mistralai/mistral-nemo", "messages": MESSAGES})
    assert unserved.status_code == 404 and "No enabled channel" in error_of(unserved)["message"]
    unpriced = post(gateway, {"model": "openrouter/auto", "messages": MESSAGES})
    assert unpriced.status_code == 404 and "price" in error_of(unpriced)["message"]
    with pytest.raises(openai.NotFoundError):
        gateway.client().chat.completions.create(model="nobody/nothing", messages=MESSAGES)


@pytest.mark.parametrize(
    ("model", "status", "words"),
    [
        ("openai/gpt-4o-2024-11-20", 502, "fake-main"),
        ("openai/gpt-4o-mini-2024-07-18", 429, "fake-main"),
        ("openai/gpt-4.1-mini", 400, "fake-main"),
        ("openai/gpt-4.1", 503, "closed-port"),
        ("openai/gpt-4o-2024-05-13", 504, "fake-main"),
        ("openai/gpt-4.1-nano", 502, "wrong-key"),
    ],
)
def test_upstream_failures_map_to_status_and_charge_nothing(
    gateway: Gateway, model: str, status: int, words: str
) -> None:
    before = gateway.balance_nanos("alice@example.com")
    response = post(gateway, {"model": model, "messages": MESSAGES})
    assert response.status_code == status
    error = error_of(response)
    assert words in error["message"] and error["metadata"]["provider_name"] == words
    if status == 429:
        assert response.headers["retry-after"] == "1"
    generation_id = response.headers["x-generation-id"]
    log_status, cost, *_ = gateway.wait_for_log(generation_id)
    assert (log_status, cost) == ("error", 0)
    assert gateway.balance_nanos("alice@example.com") == before


def test_stream_cut_mid_way_ends_with_error_chunk_and_no_done(gateway: Gateway) -> None:
    before = gateway.balance_nanos("alice@example.com")
    headers, events = stream_events(gateway, "openai/gpt-4o-2024-08-06")
    generation_id = headers["x-generation-id"]
    assert "[DONE]" not in events
    last = json.loads(events[-1])
    assert last["error"]["code"] == 502 and last["choices"][0]["finish_reason"] == "error"
    # What reached the client before the cut is billed (estimated, as the upstream never sent usage). How
    # much arrives before the reset depends on TCP timing, so the charge is checked against what arrived.
    relayed = "".join(
        json.loads(e)["choices"][0]["delta"].get("content") or ""
        for e in events[:-1]
        if json.loads(e)["choices"]
    )
    status, cost, *_ = gateway.wait_for_log(generation_id)
    assert status == "error"
    assert (cost > 0) == bool(relayed)
    assert gateway.balance_nanos("alice@example.com") == before - cost

    # The official SDK surfaces the error chunk as an exception instead of a silently short answer.
    with pytest.raises(openai.APIError):
        for _ in gateway.client().chat.completions.create(
            model="openai/gpt-4o-2024-08-06",
            messages=MESSAGES,
            stream=True,
        ):
            pass


def test_insufficient_credits_is_402_before_calling_upstream(gateway: Gateway) -> None:
    key = gateway.cli.create_user_with_key("poor@example.com", "0.000001")
    gateway.upstream.reset()
    response = post(gateway, {"model": "openai/gpt-4o", "messages": MESSAGES}, key=key)
    assert response.status_code == 402 and "Insufficient credits" in error_of(response)["message"]
    assert gateway.upstream.requests == []
    # Even a short answer costs more than the balance: the SDK sees the same 402.
    with pytest.raises(openai.APIStatusError) as raised:
        gateway.client(key=key).chat.completions.create(
            model="openai/gpt-4o",
            messages=MESSAGES,
            max_tokens=100,
        )
    assert raised.value.status_code == 402
    assert gateway.upstream.requests == []


def test_balance_equals_grant_minus_logged_costs_to_the_nano(gateway: Gateway) -> None:
    key = gateway.cli.create_user_with_key("ledger@example.com", "2.5")
    client = gateway.client(key=key)
    ids: list[str] = []
    usage: CompletionUsage | None
    returned_cost = Decimal(0)
    for index in range(12):
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "word " * (index * 7 + 1)}]
        model = ["openai/gpt-4o-mini", "openai/gpt-4o", "deepseek/deepseek-chat"][index % 3]
        if index % 2:
            chunks: list[ChatCompletionChunk] = list(
                client.chat.completions.create(model=model, messages=messages, stream=True)
            )
            usage, generation_id = chunks[-1].usage, chunks[-1].id
        else:
            reply = client.chat.completions.create(model=model, messages=messages, max_tokens=4)
            usage, generation_id = reply.usage, reply.id
        assert usage is not None and usage.model_extra is not None
        returned_cost += Decimal(str(usage.model_extra["cost"]))
        ids.append(generation_id)
        if model in ("openai/gpt-4o-mini", "openai/gpt-4o"):  # deepseek's upstream reports no usage
            assert usage.model_extra["cost"] * 10**9 == pytest.approx(
                expected_cost_nanos(model, usage.prompt_tokens, usage.completion_tokens), abs=1e-6
            )
    for generation_id in ids:
        gateway.wait_for_log(generation_id)
    (user_id,) = query(gateway.env.database_url, "SELECT id FROM users WHERE email = 'ledger@example.com'")[0]
    logged = query(
        gateway.env.database_url,
        "SELECT COALESCE(SUM(cost_nanos), 0) FROM request_logs WHERE user_id = :u",
        u=user_id,
    )[0][0]
    ledger_sum = query(
        gateway.env.database_url, "SELECT SUM(amount_nanos) FROM ledger_entries WHERE user_id = :u", u=user_id
    )[0][0]
    balance = gateway.balance_nanos("ledger@example.com")
    assert logged > 0
    assert balance == 2_500_000_000 - logged == ledger_sum
    assert returned_cost * 10**9 == logged
    usage_entries = query(
        gateway.env.database_url,
        "SELECT COUNT(*) FROM ledger_entries WHERE user_id = :u AND kind = 'usage'",
        u=user_id,
    )[0][0]
    assert usage_entries == 12
    gateway.cli("ledger", "verify")


def test_client_that_gives_up_cancels_the_upstream_call(gateway: Gateway) -> None:
    """The upstream hangs; the client leaves after 1 s, long before the gateway's 2 s read timeout. The
    gateway must drop the upstream request then (logged as cancelled, nothing charged), not wait it out."""
    (uid,) = query(gateway.env.database_url, "SELECT id FROM users WHERE email = 'alice@example.com'")[0]
    before = gateway.balance_nanos("alice@example.com")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gateway.server.url}/v1/chat/completions",
            json={"model": "openai/gpt-4o-2024-05-13", "messages": MESSAGES},
            headers={"Authorization": f"Bearer {gateway.key}"},
            timeout=1,
        )

    def cancelled() -> list[tuple[Any, ...]]:
        return query(
            gateway.env.database_url,
            "SELECT http_status, cost_nanos, latency_ms FROM request_logs "
            "WHERE user_id = :u AND status = 'cancelled' AND model_slug = 'openai/gpt-4o-2024-05-13'",
            u=uid,
        )

    wait_until(lambda: bool(cancelled()), what="the cancelled request's log")
    http_status, cost, latency_ms = cancelled()[0]
    assert (http_status, cost) == (499, 0) and latency_ms < 2000
    assert gateway.balance_nanos("alice@example.com") == before
