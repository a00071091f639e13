"""Every change an administrator makes through the API lands in the audit trail, with no secret in it; refused
and failed attempts do not; only administrators can read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from modelyard.audit.trail import REDACTED, redact
from tests.conftest import Cli, Env, Server, query
from tests.fakes.openai_upstream import FakeOpenAIUpstream

SECRET = "sk-upstream-audit-0123456789abcdef"


@dataclass
class Site:
    server: Server
    env: Env
    admin: str
    user: str
    upstream: str

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def site(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Site]:
    cli("users", "create", "auditor@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "auditor@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("audited@example.com")
    yield Site(server_factory(env), env, admin, user, upstream.base_url)


def test_secrets_are_redacted_at_any_depth() -> None:
    body = {
        "name": "x",
        "api_key": "s",
        "options": {"headers": {"X": "y"}},
        "keys": ["a"],
        "list": [{"password": 1}],
    }
    assert redact(body) == {
        "name": "x", "api_key": REDACTED, "options": {"headers": REDACTED}, "keys": REDACTED,
        "list": [{"password": REDACTED}],
    }  # fmt: skip


def test_admin_changes_are_recorded_without_secrets(site: Site) -> None:
    created = site.call(
        "POST", "/api/admin/channels", site.admin,
        json={"name": "audited-channel", "provider": "openai", "base_url": site.upstream, "api_key": SECRET,
              "models": [{"slug": "openai/gpt-4o-mini"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    channel_id = created.json()["id"]
    assert (
        site.call("PATCH", f"/api/admin/channels/{channel_id}", site.admin, json={"priority": 5}).status_code
        == 200
    )
    user_id = int(
        query(site.env.database_url, "SELECT id FROM users WHERE email = 'audited@example.com'")[0][0]
    )
    granted = site.call(
        "POST", f"/api/admin/users/{user_id}/credits", site.admin, json={"amount": "2", "note": "hi"}
    )
    assert granted.status_code == 201
    # Neither a refused caller nor a failed change leaves a row.
    assert (
        site.call("POST", f"/api/admin/users/{user_id}/credits", site.user, json={"amount": "9"}).status_code
        == 403
    )
    assert (
        site.call("PATCH", "/api/admin/channels/999999", site.admin, json={"priority": 1}).status_code == 404
    )

    page = site.call("GET", "/api/admin/audit", site.admin).json()
    assert [(e["method"], e["route"]) for e in page["data"]] == [
        ("POST", "/api/admin/users/{user_id}/credits"),
        ("PATCH", "/api/admin/channels/{channel_id}"),
        ("POST", "/api/admin/channels"),
    ]
    newest = page["data"][0]
    assert newest["actor_email"] == "auditor@example.com" and newest["status"] == 201
    assert newest["path"] == f"/api/admin/users/{user_id}/credits" and newest["body"] == {
        "amount": "2",
        "note": "hi",
    }
    assert page["data"][2]["body"]["api_key"] == REDACTED
    assert not any(SECRET in str(row) for row in query(site.env.database_url, "SELECT * FROM admin_audit"))

    first = site.call("GET", "/api/admin/audit", site.admin, params={"limit": 2}).json()
    rest = site.call("GET", "/api/admin/audit", site.admin, params={"cursor": first["next_cursor"]}).json()
    assert [e["id"] for e in first["data"] + rest["data"]] == [e["id"] for e in page["data"]]
    only = site.call("GET", "/api/admin/audit", site.admin, params={"route": "/api/admin/channels"}).json()
    assert [e["method"] for e in only["data"]] == ["POST"]
    assert site.call("GET", "/api/admin/audit", site.user).status_code == 403
