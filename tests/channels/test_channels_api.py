"""Channel administration over the API: connect any provider, credentials never come back, changes apply on
the next request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Env, Server, query
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.openai_upstream import completion_text

SECRET = "sk-ant-secret-never-shown-0123456789"


@dataclass
class Admin:
    server: Server
    admin: str
    user: str
    anthropic: FakeAnthropicUpstream
    env: Env

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.admin}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def chat(self, model: str) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        return self.call("POST", "/v1/chat/completions", self.user, json=body)


@pytest.fixture(scope="module")
def admin(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> Iterator[Admin]:
    cli("users", "create", "channel-admin@example.com", "--password", "correct-horse-battery", "--admin")
    key = cli("keys", "create", "channel-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("channel-user@example.com", "5")
    with FakeAnthropicUpstream(api_key=SECRET) as anthropic:
        yield Admin(server_factory(env), key, user, anthropic, env)


def test_create_use_disable_and_delete_a_channel(admin: Admin) -> None:
    body = {
        "name": "claude-direct",
        "provider": "anthropic",
        "base_url": admin.anthropic.base_url,
        "api_key": SECRET,
        "models": [{"slug": "anthropic/claude-sonnet-5", "upstream_name": "claude-chunks-5"}],
        "options": {"anthropic_version": "2023-06-01", "headers": {"X-Team": "research"}},
    }
    created = admin.call("POST", "/api/admin/channels", json=body)
    assert created.status_code == 201, created.text
    channel = created.json()
    assert SECRET not in created.text and "api_key" not in channel
    assert channel["models"] == [{"slug": "anthropic/claude-sonnet-5", "upstream_name": "claude-chunks-5"}]
    stored = query(
        admin.env.database_url, "SELECT api_key_encrypted FROM channels WHERE id = :i", i=channel["id"]
    )
    assert SECRET not in stored[0][0]

    # Usable on the very next request, with the channel's options on the wire.
    reply = admin.chat("anthropic/claude-sonnet-5")
    assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == completion_text(5)
    assert admin.anthropic.requests[-1].headers["x-team"] == "research"
    listed = admin.call("GET", "/api/admin/channels")
    assert SECRET not in listed.text and [c["name"] for c in listed.json()] == ["claude-direct"]

    disabled = admin.call("PATCH", f"/api/admin/channels/{channel['id']}", json={"is_enabled": False})
    assert disabled.status_code == 200 and disabled.json()["is_enabled"] is False
    assert admin.chat("anthropic/claude-sonnet-5").status_code == 404
    admin.call("PATCH", f"/api/admin/channels/{channel['id']}", json={"is_enabled": True})
    assert admin.chat("anthropic/claude-sonnet-5").status_code == 200

    assert admin.call("DELETE", f"/api/admin/channels/{channel['id']}").status_code == 204
    assert admin.call("GET", "/api/admin/channels").json() == []
    assert admin.chat("anthropic/claude-sonnet-5").status_code == 404
    assert admin.call("DELETE", f"/api/admin/channels/{channel['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"provider": "cohere"}, 400, "unknown provider"),
        ({"models": [{"slug": "nobody/nothing"}]}, 400, "not in the catalogue"),
        ({"base_url": "ftp://example.com"}, 400, "base URL"),
        ({"models": []}, 400, "models"),
        ({"api_key": ""}, 400, "api_key"),
    ],
)
def test_bad_channels_are_refused(admin: Admin, change: dict[str, Any], status: int, words: str) -> None:
    body = {
        "name": "refused",
        "provider": "openai",
        "base_url": "https://api.example.com/v1",
        "api_key": "sk-x",
        "models": [{"slug": "openai/gpt-4o"}],
        **change,
    }
    response = admin.call("POST", "/api/admin/channels", json=body)
    assert response.status_code == status and words in response.json()["error"]["message"]


def test_names_are_unique_and_only_admins_may_manage(admin: Admin) -> None:
    body = {
        "name": "twice",
        "provider": "openai",
        "base_url": "https://api.example.com/v1",
        "api_key": "sk-x",
        "models": [{"slug": "openai/gpt-4o"}],
    }
    assert admin.call("POST", "/api/admin/channels", json=body).status_code == 201
    assert admin.call("POST", "/api/admin/channels", json=body).status_code == 409
    assert admin.call("GET", "/api/admin/channels", admin.user).status_code == 403
    assert admin.call("POST", "/api/admin/channels", admin.user, json=body).status_code == 403
