"""Price administration: edits and markups are audited, billed exactly, and reach every server at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from modelyard.catalog.pricing_admin import PricingError, apply_markup, parse_markup_percent
from tests.conftest import REDIS_URL, Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream, expected_prompt_tokens

MESSAGES = [{"role": "user", "content": "price check please"}]


def test_markup_rounds_half_up_once() -> None:
    assert apply_markup(2_500_000_000, 1_000) == 2_750_000_000  # +10%
    assert apply_markup(15, 1_000) == 17  # 16.5 -> 17
    assert apply_markup(5, -5_000) == 3  # 2.5 -> 3
    assert apply_markup(7, 0) == 7
    assert parse_markup_percent("12.5") == 1_250
    for bad in ("abc", "1.234", "-100", "100001", "NaN"):
        with pytest.raises(PricingError):
            parse_markup_percent(bad)


@dataclass
class Pricing:
    server: Server
    admin: str
    user: str
    env: Env
    upstream_url: str

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.server.url}{path}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
            **kwargs,
        )

    def chat_cost(self, server: Server, model: str) -> tuple[int, int, int]:
        """(prompt tokens, completion tokens, cost in nanos) of one request."""
        reply = httpx.post(
            f"{server.url}/v1/chat/completions",
            json={"model": model, "messages": MESSAGES},
            headers={"Authorization": f"Bearer {self.user}"},
            timeout=30,
        ).json()
        usage = reply["usage"]
        return usage["prompt_tokens"], usage["completion_tokens"], round(Decimal(str(usage["cost"])) * 10**9)


@pytest.fixture(scope="module")
def pricing(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Pricing]:
    if REDIS_URL is not None:
        env.extra.update({"MODELYARD_REDIS_URL": REDIS_URL, "MODELYARD_CACHE_REFRESH_SECONDS": "300"})
    cli("catalog", "import")
    cli(
        "channels", "add", "pricing-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models",
        "openai/gpt-4o=gpt-4o-chunks-5,openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
    )  # fmt: skip
    cli("users", "create", "pricing-admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "pricing-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("pricing-user@example.com", "10")
    yield Pricing(server_factory(env), admin, user, env, upstream.base_url)


def expected(prompt: int, completion: int, prompt_per_mtok: int, completion_per_mtok: int) -> int:
    exact = (Decimal(prompt) * prompt_per_mtok + Decimal(completion) * completion_per_mtok) / 10**6
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_price_edit_and_markup_are_audited_and_billed(pricing: Pricing) -> None:
    path = "/api/admin/models/openai/gpt-4o"
    assert pricing.call("PATCH", path, pricing.user, json={"prices": {"prompt": "1"}}).status_code == 403
    changed = pricing.call(
        "PATCH",
        path,
        pricing.admin,
        json={"prices": {"prompt": "3", "completion": "12"}, "markup_percent": "10"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["is_manual"] is True and body["markup_percent"] == "10"
    assert body["prices"]["prompt"] == {"base": "3", "billed": "3.3", "unit": "USD per million tokens"}
    assert body["prices"]["completion"]["billed"] == "13.2"

    prompt, completion, cost = pricing.chat_cost(pricing.server, "openai/gpt-4o")
    assert prompt == expected_prompt_tokens({"messages": MESSAGES})
    assert cost == expected(prompt, completion, 3_300_000_000, 13_200_000_000)
    listed = httpx.get(f"{pricing.server.url}/api/v1/models", params={"q": "openai/gpt-4o"}).json()["data"]
    assert next(m for m in listed if m["id"] == "openai/gpt-4o")["pricing"]["prompt"] == "0.0000033"

    audit = pricing.call(
        "GET", "/api/admin/pricing/audit", pricing.admin, params={"subject": "openai/gpt-4o"}
    )
    rows = {(r["field"], r["old_value"], r["new_value"]) for r in audit.json()}
    assert rows == {
        ("price.prompt", "2.5", "3"),
        ("price.completion", "10", "12"),
        ("markup_percent", None, "10"),
    }
    admin_id = query(
        pricing.env.database_url, "SELECT id FROM users WHERE email = 'pricing-admin@example.com'"
    )
    assert {r["actor_user_id"] for r in audit.json()} == {admin_id[0][0]}


def test_global_markup_applies_where_a_model_has_none(pricing: Pricing) -> None:
    assert pricing.call("PUT", "/api/admin/pricing/markup", pricing.admin, json={"percent": "5"}).json() == {
        "percent": "5"
    }
    prompt, completion, cost = pricing.chat_cost(pricing.server, "openai/gpt-4o-mini")
    # gpt-4o-mini: $0.15 / $0.60 per M, plus 5%
    assert cost == expected(
        prompt, completion, apply_markup(150_000_000, 500), apply_markup(600_000_000, 500)
    )
    mini = pricing.call("GET", "/api/admin/models/openai/gpt-4o-mini", pricing.admin).json()
    assert mini["markup_percent"] is None and mini["effective_markup_percent"] == "5"
    pricing.call("PUT", "/api/admin/pricing/markup", pricing.admin, json={"percent": "0"})


def test_a_channel_can_price_a_model_its_own_way(pricing: Pricing) -> None:
    channel = pricing.call(
        "POST",
        "/api/admin/channels",
        pricing.admin,
        json={
            "name": "pricey",
            "provider": "openai",
            "base_url": pricing.upstream_url,
            "api_key": "sk-upstream-test",
            "models": [{"slug": "openai/gpt-4.1-nano", "upstream_name": "nano-chunks-5"}],
        },
    ).json()
    path = f"/api/admin/models/openai/gpt-4.1-nano/endpoints/{channel['id']}"
    set_prices = pricing.call(
        "PATCH", path, pricing.admin, json={"prices": {"prompt": "7", "completion": "9"}}
    )
    assert set_prices.status_code == 200, set_prices.text
    assert set_prices.json()["prices"]["prompt"] == "7" and set_prices.json()["prices"]["request"] is None
    prompt, completion, cost = pricing.chat_cost(pricing.server, "openai/gpt-4.1-nano")
    assert cost == expected(prompt, completion, 7_000_000_000, 9_000_000_000)
    endpoints = httpx.get(f"{pricing.server.url}/api/v1/models/openai/gpt-4.1-nano/endpoints").json()["data"]
    assert endpoints["endpoints"][0]["pricing"]["prompt"] == "0.000007"
    audit = pricing.call(
        "GET",
        "/api/admin/pricing/audit",
        pricing.admin,
        params={"subject": f"openai/gpt-4.1-nano@channel:{channel['id']}"},
    ).json()
    assert {(r["field"], r["old_value"], r["new_value"]) for r in audit} == {
        ("price.prompt", None, "7"), ("price.completion", None, "9"),
    }  # fmt: skip
    # null gives a field back to the model's price ($0.10 / $0.40 per M for gpt-4.1-nano).
    pricing.call("PATCH", path, pricing.admin, json={"prices": {"prompt": None, "completion": None}})
    prompt, completion, cost = pricing.chat_cost(pricing.server, "openai/gpt-4.1-nano")
    assert cost == expected(prompt, completion, 100_000_000, 400_000_000)
    assert pricing.call("PATCH", path, pricing.admin, json={"prices": {"image": "1"}}).status_code == 400
    unserved = "/api/admin/models/openai/gpt-4o/endpoints/" + str(channel["id"])
    assert pricing.call("PATCH", unserved, pricing.admin, json={"prices": {"prompt": "1"}}).status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"prices": {"prompt": "abc"}}, "prices.prompt"),
        ({"prices": {"prompt": "-1"}}, "prices.prompt"),
        ({"prices": {"bananas": "1"}}, "unknown price"),
        ({"markup_percent": "lots"}, "markup"),
        ({"markup_percent": "-100"}, "markup"),
    ],
)
def test_bad_edits_are_refused(pricing: Pricing, body: dict[str, Any], words: str) -> None:
    response = pricing.call("PATCH", "/api/admin/models/openai/gpt-4o-mini", pricing.admin, json=body)
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    missing = pricing.call("PATCH", "/api/admin/models/nobody/nothing", pricing.admin, json={"prices": {}})
    assert missing.status_code == 404


@pytest.mark.skipif(REDIS_URL is None, reason="needs MODELYARD_TEST_REDIS_URL")
def test_a_change_on_one_server_bills_on_the_other_at_once(
    pricing: Pricing, server_factory: Callable[[Env], Server]
) -> None:
    """Both servers re-read the database only every 300 s: only the Redis message explains the second one
    billing the new price on its next request."""
    other = server_factory(pricing.env)
    pricing.call(
        "PATCH", "/api/admin/models/openai/gpt-4o-mini", pricing.admin, json={"prices": {"prompt": "1"}}
    )

    def billed_at_new_price() -> bool:
        prompt, completion, cost = pricing.chat_cost(other, "openai/gpt-4o-mini")
        return cost == expected(prompt, completion, 1_000_000_000, 600_000_000)

    wait_until(billed_at_new_price, timeout=5, what="the other server to bill the new price")
