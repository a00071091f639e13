"""Clients written for OpenRouter work against Modelyard unchanged: OpenRouter's own Python SDK, which
validates every response strictly, against a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openrouter import OpenRouter, errors
from openrouter.utils import BackoffStrategy, RetryConfig

from tests.conftest import Cli, Env, Server
from tests.fakes.openai_upstream import FakeOpenAIUpstream, completion_text

# Wire shapes, routing and the catalogue do not depend on the database's kind: one run, on SQLite, keeps
# the suite short (Redis, when the run has it, is still used).
SQLITE_ONLY = True

# The SDK retries 5xx for an hour by default; tests want the first answer.
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
MESSAGES = [{"role": "user", "content": "hello from the openrouter sdk"}]


@pytest.fixture(scope="module")
def sdk(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[tuple[OpenRouter, OpenRouter]]:
    cli(
        "channels", "add", "or-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
    )  # fmt: skip
    rich = cli.create_user_with_key("or-sdk@example.com", "5")
    poor = cli.create_user_with_key("or-sdk-poor@example.com")
    server = server_factory(env)

    def client(key: str) -> OpenRouter:
        return OpenRouter(
            api_key=key,
            server_url=f"{server.url}/api/v1",
            http_referer="https://app.example",
            x_open_router_title="SDK test",
            retry_config=NO_RETRIES,
        )

    with client(rich) as rich_client, client(poor) as poor_client:
        yield rich_client, poor_client


def test_chat_stream_and_usage(sdk: tuple[OpenRouter, OpenRouter]) -> None:
    client, _ = sdk
    reply = client.chat.send(model="openai/gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == completion_text(5)
    assert reply.id.startswith("gen-") and reply.model == "openai/gpt-4o-mini"
    cost: Any = reply.usage.cost if reply.usage is not None else None
    assert isinstance(cost, float) and cost > 0
    text = ""
    final_cost = None
    stream: Any = client.chat.send(model="openai/gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage is not None:
            final_cost = chunk.usage.cost
    assert text == completion_text(5) and final_cost == cost


def test_catalogue_calls(sdk: tuple[OpenRouter, OpenRouter]) -> None:
    client, _ = sdk
    page = client.models.list()
    assert page is not None
    assert [m.id for m in page.result.data] == ["openai/gpt-4o-mini"] and page.result.total_count == 1
    assert client.models.count().data.count == 1
    endpoints = client.endpoints.list(author="openai", slug="gpt-4o-mini").data.endpoints
    assert [e.provider_name for e in endpoints] == ["or-fake"]
    slugs = [p.slug for p in client.providers.list().data]
    assert "or-fake" in slugs and "openai" in slugs  # a channel naming no provider, and the catalogue


def test_credits_and_typed_errors(sdk: tuple[OpenRouter, OpenRouter]) -> None:
    client, poor = sdk
    credits = client.credits.get_credits().data
    assert credits.total_credits == 5.0 and credits.total_usage >= 0
    with pytest.raises(errors.PaymentRequiredResponseError):
        poor.chat.send(model="openai/gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(errors.NotFoundResponseError):
        client.chat.send(model="nobody/nothing", messages=MESSAGES)  # type: ignore[arg-type]
