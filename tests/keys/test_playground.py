"""The web app's playground relays chat through the signed-in session: no key in the page, the same
streaming, charges and records as /v1, under one playground key per user; programs and forged requests are
refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import orjson
import pytest

from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.security.helpers import PASSWORD, csrf_header

EMAIL = "playground@example.com"
PATH = "/api/playground/chat/completions"
BODY = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hello from the playground"}]}


@dataclass
class Stack:
    server: Server
    env: Env
    key: str


@pytest.fixture(scope="module")
def stack(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Stack]:
    cli(
        "channels", "add", "playground-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--no-probe", "--models", "openai/gpt-4o-mini=m-chunks-4",
    )  # fmt: skip
    key = cli.create_user_with_key(EMAIL, "3")
    yield Stack(server_factory(env), env, key)


@pytest.fixture
def browser(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.server.url, timeout=30) as client:
        signed_in = client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        yield client


def balance(browser: httpx.Client) -> int:
    return int(Decimal(browser.get("/api/balance").json()["balance"]) * 10**9)


def settled(stack: Stack, count: int) -> None:
    wait_until(
        lambda: len(query(stack.env.database_url, "SELECT id FROM request_logs")) >= count, what="records"
    )


def test_a_session_chats_streams_and_pays_like_a_key(stack: Stack, browser: httpx.Client) -> None:
    before = balance(browser)
    answer = browser.post(PATH, json=BODY, headers=csrf_header(browser))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["choices"][0]["message"]["content"]
    cost = body["usage"]["cost"]
    with browser.stream("POST", PATH, json={**BODY, "stream": True}, headers=csrf_header(browser)) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert any(
        orjson.loads(e)["choices"] and orjson.loads(e)["choices"][0]["delta"].get("content")
        for e in events[:-1]
    )
    settled(stack, 2)
    rows = query(
        stack.env.database_url,
        "SELECT k.name, k.purpose, r.cost_nanos FROM request_logs r JOIN api_keys k ON k.id = r.api_key_id",
    )
    assert {(name, purpose) for name, purpose, _ in rows} == {("Playground (web)", "playground")}
    charged = sum(c for _, _, c in rows)
    wait_until(lambda: balance(browser) == before - charged, what="the charges")
    assert charged >= round(cost * 10**9) > 0
    # One playground key per user, listed with the user's keys (its secret shown to no one).
    keys = browser.get("/api/keys").json()
    listed = keys["data"] if isinstance(keys, dict) else keys
    assert [k["name"] for k in listed].count("Playground (web)") == 1
    # Marked as the playground's, so the keys page can say so (a key named alike by hand is not).
    assert {k["name"]: k["is_playground"] for k in listed}["Playground (web)"] is True
    assert [k["is_playground"] for k in listed].count(True) == 1


def test_forged_and_programmatic_calls_are_refused(stack: Stack, browser: httpx.Client) -> None:
    forged = browser.post(PATH, json=BODY)  # a cross-site form or script has the cookie but not the token
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]["message"]
    program = httpx.post(
        f"{stack.server.url}{PATH}", json=BODY, headers={"Authorization": f"Bearer {stack.key}"}, timeout=30
    )
    assert program.status_code == 403 and "/v1/chat/completions" in program.json()["error"]["message"]
    anonymous = httpx.post(f"{stack.server.url}{PATH}", json=BODY, timeout=30)
    assert anonymous.status_code == 401
    bad = browser.post(PATH, json={"model": "openai/gpt-4o-mini"}, headers=csrf_header(browser))
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]


def test_a_disabled_playground_key_says_how_to_turn_it_back_on(stack: Stack, browser: httpx.Client) -> None:
    browser.post(PATH, json=BODY, headers=csrf_header(browser))
    keys = browser.get("/api/keys").json()
    listed = keys["data"] if isinstance(keys, dict) else keys
    (playground,) = [k for k in listed if k["name"] == "Playground (web)"]
    disabled = browser.patch(
        f"/api/keys/{playground['id']}", json={"disabled": True}, headers=csrf_header(browser)
    )
    assert disabled.status_code == 200, disabled.text
    refused = browser.post(PATH, json=BODY, headers=csrf_header(browser))
    assert refused.status_code == 401 and "keys page" in refused.json()["error"]["message"]
