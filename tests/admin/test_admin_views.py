"""What the admin pages read, against a running server: channels with their live health, the catalogue with
hidden models and each model's endpoints, and users with their spend and last activity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Env, Server, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

PASSWORD = "correct-horse-battery"
MODEL = "openai/gpt-4o-mini"


@dataclass
class Admin:
    server: Server
    cli: Cli
    key: str
    upstream: FakeOpenAIUpstream

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def chat(self, key: str, model: str = MODEL) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        return self.call("POST", "/v1/chat/completions", key, json=body)

    def channel(self, name: str, upstream_name: str, priority: int = 0) -> dict[str, Any]:
        created = self.call(
            "POST",
            "/api/admin/channels",
            json={
                "name": name,
                "provider": "openai",
                "base_url": self.upstream.base_url,
                "api_key": "sk-upstream-test",
                "models": [{"slug": MODEL, "upstream_name": upstream_name}],
                "priority": priority,
                "options": {"probe_enabled": False},
            },
        )
        assert created.status_code == 201, created.text
        channel: dict[str, Any] = created.json()
        return channel


@pytest.fixture(scope="module")
def admin(env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]) -> Admin:
    env.extra.update({"MODELYARD_HEALTH_PROBE_INTERVAL_SECONDS": "0", "MODELYARD_ROUTING_MAX_ATTEMPTS": "1"})
    cli("users", "create", "views-admin@example.com", "--password", PASSWORD, "--admin")
    key = cli("keys", "create", "views-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    return Admin(server_factory(env), cli, key, upstream)


def test_channels_show_their_live_health(admin: Admin) -> None:
    good = admin.channel("healthy-one", "gpt-4o-mini-chunks-3", priority=10)
    assert good["health"]["status"] == "unknown" and good["health"]["requests_30m"] == 0
    user = admin.cli.create_user_with_key("health-user@example.com", "5")
    assert admin.chat(user).status_code == 200
    listed = {c["name"]: c for c in admin.call("GET", "/api/admin/channels").json()}
    health = listed["healthy-one"]["health"]
    assert health["status"] == "healthy" and health["breaker"] == "closed"
    assert health["requests_30m"] == 1 and health["error_rate_30m"] == 0
    assert health["latency_p50_ms"] is not None
    assert health["models"][0]["model"] == MODEL

    admin.call("PATCH", f"/api/admin/channels/{good['id']}", json={"is_enabled": False})
    bad = admin.channel("failing-one", "gpt-4o-mini-fail-500", priority=5)
    for _ in range(3):
        assert admin.chat(user).status_code >= 500
    down = admin.call("GET", f"/api/admin/channels/{bad['id']}").json()["health"]
    assert down["status"] == "down" and down["breaker"] == "open" and down["error_rate_30m"] == 1
    assert down["models"][0]["last_error"] and down["models"][0]["retry_in_seconds"] > 0
    assert admin.call("GET", f"/api/admin/channels/{good['id']}").json()["health"]["status"] == "disabled"
    admin.call("DELETE", f"/api/admin/channels/{bad['id']}")
    admin.call("PATCH", f"/api/admin/channels/{good['id']}", json={"is_enabled": True})


def test_the_model_list_shows_hidden_models_and_a_model_its_endpoints(admin: Admin) -> None:
    page = admin.call("GET", "/api/admin/models", params={"search": "GPT-4O-MINI", "limit": 200}).json()
    row = next(m for m in page["data"] if m["id"] == MODEL)
    assert row["is_active"] is True and row["channels"] >= 1
    assert Decimal(row["prompt"]) > 0  # USD per million tokens
    assert page["total"] >= 1

    detail = admin.call("GET", f"/api/admin/models/{MODEL}").json()
    assert detail["endpoints"][0]["channel_name"] == "healthy-one"
    assert detail["endpoints"][0]["prices"]["prompt"] is None  # the model's price

    hidden = admin.call("PATCH", f"/api/admin/models/{MODEL}", json={"is_active": False})
    assert hidden.status_code == 200 and hidden.json()["is_active"] is False
    wait_until(lambda: httpx.get(f"{admin.server.url}/api/v1/models/{MODEL}", timeout=30).status_code == 404)
    only_hidden = admin.call("GET", "/api/admin/models", params={"status": "hidden"}).json()
    assert [m["id"] for m in only_hidden["data"]] == [MODEL]
    listed = admin.call("GET", "/api/admin/models", params={"status": "listed", "limit": 2}).json()
    assert len(listed["data"]) == 2 and listed["next_offset"] == 2
    assert admin.call("PATCH", f"/api/admin/models/{MODEL}", json={"is_active": True}).status_code == 200
    assert admin.call("GET", "/api/admin/pricing/markup").json() == {"percent": "0"}


def test_users_show_spend_and_last_activity(admin: Admin) -> None:
    email = "spender@example.com"
    key = admin.cli.create_user_with_key(email, "5")
    before = admin.call("GET", "/api/admin/users", params={"search": email}).json()["data"][0]
    assert (before["spend"], before["requests"], before["last_active_at"]) == ("0", 0, None)

    assert admin.chat(key).status_code == 200
    wait_until(
        lambda: (
            admin.call("GET", "/api/admin/users", params={"search": email}).json()["data"][0]["requests"] == 1
        ),
        what="the request to be counted",
    )
    after = admin.call("GET", "/api/admin/users", params={"search": email}).json()["data"][0]
    assert Decimal(after["spend"]) > 0
    assert Decimal(after["balance"]) == Decimal(5) - Decimal(after["spend"])
    last = datetime.fromisoformat(after["last_active_at"])
    assert datetime.now(UTC) - last < timedelta(hours=1, minutes=5)

    admins = admin.call("GET", "/api/admin/users", params={"role": ["admin", "root"]}).json()
    assert [u["email"] for u in admins["data"]] == ["views-admin@example.com"]
