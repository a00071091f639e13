"""The key APIs against a real server: the web app's `/api/keys` for a signed-in user (and an administrator),
OpenRouter's `/api/v1/key` and, for management keys, `/api/v1/keys` driven with OpenRouter's own SDK (which
validates every answer strictly), and the `keys create` CLI options."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openrouter import OpenRouter, errors
from openrouter.utils import BackoffStrategy, RetryConfig

from modelyard.kit.secrets import hash_api_key
from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

PASSWORD = "correct-horse-battery"
MESSAGES = [{"role": "user", "content": "Say hello to the gateway please"}]
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)


@dataclass
class Site:
    server: Server
    env: Env
    cli: Cli
    alice_key: str  # an ordinary key of alice's, made by the CLI
    tokens: dict[str, str]  # email -> access token

    def api(
        self, method: str, path: str, *, as_: str | None = None, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = key if key is not None else self.tokens[as_ or "alice@example.com"]
        return httpx.request(
            method,
            f"{self.server.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )

    def chat(self, key: str) -> httpx.Response:
        return self.api(
            "POST",
            "/v1/chat/completions",
            key=key,
            json={"model": "openai/gpt-4o-mini", "messages": MESSAGES},
        )

    def logs(self, key_id: int) -> list[tuple[Any, ...]]:
        return query(
            self.env.database_url, "SELECT cost_nanos FROM request_logs WHERE api_key_id = :k", k=key_id
        )

    def user_id(self, email: str) -> int:
        return int(query(self.env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])

    def sdk(self, key: str) -> OpenRouter:
        return OpenRouter(api_key=key, server_url=f"{self.server.url}/api/v1", retry_config=NO_RETRIES)


@pytest.fixture(scope="module")
def site(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Site]:
    # The first CLI call migrates the new database and imports the shipped catalogue.
    cli(
        "channels", "add", "fake-keys", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
    )  # fmt: skip
    alice_key = cli.create_user_with_key("alice@example.com", "5")
    cli("users", "create", "bob@example.com", "--password", PASSWORD)
    cli("users", "create", "admin@example.com", "--password", PASSWORD, "--admin")
    server = server_factory(env)
    tokens = {}
    for email in ("alice@example.com", "bob@example.com", "admin@example.com"):
        answer = httpx.post(f"{server.url}/api/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        tokens[email] = answer.json()["access_token"]
    yield Site(server=server, env=env, cli=cli, alice_key=alice_key, tokens=tokens)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    return message


def _no_secrets(response: httpx.Response, *plaintexts: str) -> None:
    text = response.text
    assert "password" not in text and "$argon2" not in text
    for plaintext in plaintexts:
        assert plaintext not in text


def test_create_list_show_and_use_a_key(site: Site) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    created = site.api(
        "POST",
        "/api/keys",
        json={
            "name": "laptop",
            "expires_at": expires.isoformat(),
            "limit": "0.5",
            "limit_reset": "daily",
            "allowed_models": ["openai/*"],
            "allowed_ips": ["127.0.0.1", "10.0.0.0/8"],
            "rpm_limit": 100,
            "tpm_limit": 100000,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert key.startswith("sk-my-v1-") and body["hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert body["label"] == f"{key[:12]}...{key[-4:]}" and body["status"] == "active"
    assert (body["limit"], body["limit_reset"], body["limit_remaining"]) == ("0.5", "daily", "0.5")
    assert body["allowed_ips"] == ["127.0.0.1", "10.0.0.0/8"] and body["allowed_models"] == ["openai/*"]
    assert (body["rpm_limit"], body["tpm_limit"], body["is_management"]) == (100, 100000, False)
    assert body["is_playground"] is False
    assert datetime.fromisoformat(body["expires_at"]) == expires
    assert body["usage"] == {"total": "0", "daily": "0", "weekly": "0", "monthly": "0"}

    listed = site.api("GET", "/api/keys")
    assert listed.status_code == 200
    _no_secrets(listed, key)
    assert body["id"] in [k["id"] for k in listed.json()] and "key" not in listed.json()[0]

    answer = site.chat(key)
    assert answer.status_code == 200, answer.text
    cost = Decimal(str(answer.json()["usage"]["cost"]))
    wait_until(
        lambda: site.api("GET", f"/api/keys/{body['id']}").json()["usage"]["total"] != "0", what="usage"
    )
    shown = site.api("GET", f"/api/keys/{body['id']}")
    _no_secrets(shown, key)
    usage = shown.json()["usage"]
    assert (
        Decimal(usage["total"]) == cost
        and usage["daily"] == usage["weekly"] == usage["monthly"] == usage["total"]
    )
    assert shown.json()["last_used_at"] is not None
    assert Decimal(shown.json()["limit_remaining"]) == Decimal("0.5") - cost


def test_changes_reach_the_relay_at_once_and_are_checked(site: Site) -> None:
    created = site.api("POST", "/api/keys", json={"name": "toggle"}).json()
    key, key_id = created["key"], created["id"]
    assert site.chat(key).status_code == 200
    disabled = site.api("PATCH", f"/api/keys/{key_id}", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert _error(site.chat(key), 401) == "API key is disabled"  # no waiting for a cache refresh
    changed = site.api(
        "PATCH", f"/api/keys/{key_id}", json={"disabled": False, "allowed_models": ["anthropic/*"]}
    )
    assert changed.status_code == 200 and changed.json()["status"] == "active"
    assert "cannot use model openai/gpt-4o-mini" in _error(site.chat(key), 403)
    assert site.api("PATCH", f"/api/keys/{key_id}", json={"allowed_models": None}).status_code == 200
    assert site.chat(key).status_code == 200

    # A limit set later counts what the key already spent in the window (here: ever).
    wait_until(lambda: len(site.logs(key_id)) == 2, what="two settlements")
    limited = site.api("PATCH", f"/api/keys/{key_id}", json={"limit": "1"})
    assert limited.status_code == 200 and Decimal(limited.json()["usage"]["total"]) > 0
    assert Decimal(limited.json()["limit_remaining"]) == 1 - Decimal(limited.json()["usage"]["total"])

    bad = site.api("PATCH", f"/api/keys/{key_id}", json={"allowed_ips": ["not-an-address"]})
    assert (
        "not an IP address" in _error(bad, 400) and bad.json()["error"]["metadata"]["field"] == "allowed_ips"
    )
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert "future" in _error(site.api("POST", "/api/keys", json={"name": "x", "expires_at": past}), 400)
    assert _error(site.api("POST", "/api/keys", json={"name": "x", "limit_reset": "yearly"}), 400)
    assert _error(site.api("POST", "/api/keys", json={"name": "x", "limit": "-1"}), 400)
    assert _error(site.api("POST", "/api/keys", json={"name": "x", "rpm_limit": 0}), 400)

    assert site.api("DELETE", f"/api/keys/{key_id}").status_code == 204
    assert site.api("GET", f"/api/keys/{key_id}").status_code == 404
    assert _error(site.chat(key), 401) == "Invalid API key"


def test_a_user_cannot_see_or_change_another_users_keys(site: Site) -> None:
    alice_id = site.user_id("alice@example.com")
    mine = site.api("POST", "/api/keys", json={"name": "alice-private"}).json()
    for method, body in (("GET", None), ("PATCH", {"disabled": True}), ("DELETE", None)):
        answer = site.api(method, f"/api/keys/{mine['id']}", as_="bob@example.com", json=body)
        assert _error(answer, 404) == "No such API key"
    assert _error(site.api("GET", f"/api/keys?user_id={alice_id}", as_="bob@example.com"), 403)
    bobs = site.api("GET", "/api/keys", as_="bob@example.com")
    assert mine["id"] not in [k["id"] for k in bobs.json()]
    _no_secrets(bobs, mine["hash"])
    assert site.chat(mine["key"]).status_code == 200  # untouched

    # An administrator lists and disables anyone's keys, never seeing their hashes, and changes nothing else.
    listed = site.api("GET", f"/api/keys?user_id={alice_id}", as_="admin@example.com")
    assert listed.status_code == 200 and mine["id"] in [k["id"] for k in listed.json()]
    assert {k["hash"] for k in listed.json()} == {None}
    _no_secrets(listed, mine["hash"])
    off = site.api("PATCH", f"/api/keys/{mine['id']}", as_="admin@example.com", json={"disabled": True})
    assert off.status_code == 200 and off.json()["status"] == "disabled" and off.json()["hash"] is None
    assert site.chat(mine["key"]).status_code == 401
    assert _error(
        site.api("PATCH", f"/api/keys/{mine['id']}", as_="admin@example.com", json={"name": "x"}), 403
    )
    assert _error(site.api("DELETE", f"/api/keys/{mine['id']}", as_="admin@example.com"), 403)


def test_an_ordinary_api_key_cannot_manage_keys(site: Site) -> None:
    assert "management keys" in _error(site.api("GET", "/api/keys", key=site.alice_key), 403)
    assert _error(site.api("POST", "/api/keys", key=site.alice_key, json={"name": "x"}), 403)
    assert _error(site.api("GET", "/api/v1/keys", key=site.alice_key), 403) == (
        "Only management keys can perform this operation"
    )
    # Nor does a session use OpenRouter's management API: it takes a management key.
    assert _error(site.api("GET", "/api/v1/keys"), 403)


def test_management_key_administers_its_owners_keys_through_openrouter_sdk(site: Site) -> None:
    management = site.cli("keys", "create", "alice@example.com", "--name", "admin-bot", "--management")
    manager = management.stdout.strip().splitlines()[-1]
    assert "cannot call models" in _error(site.chat(manager), 403)

    bob_key = site.cli.create_user_with_key("carol@example.com")  # someone else's key
    with site.sdk(manager) as client:
        hashes = [k.hash for k in client.api_keys.list().data]
        assert hash_api_key(manager) in hashes and hash_api_key(site.alice_key) in hashes
        assert hash_api_key(bob_key) not in hashes

        created = client.api_keys.create(name="from-sdk", limit=0.25, limit_reset="weekly")
        new_key, new_hash = created.key, created.data.hash
        assert new_hash == hash_api_key(new_key) and created.data.limit == 0.25
        assert created.data.limit_reset == "weekly" and created.data.limit_remaining == 0.25
        assert site.chat(new_key).status_code == 200

        assert client.api_keys.get(hash=new_hash).data.name == "from-sdk"
        updated = client.api_keys.update(hash=new_hash, disabled=True, limit=None, name="renamed")
        assert updated.data.disabled and updated.data.limit is None and updated.data.name == "renamed"
        assert site.chat(new_key).status_code == 401
        assert new_hash not in [k.hash for k in client.api_keys.list().data]  # disabled keys on request only
        assert new_hash in [k.hash for k in client.api_keys.list(include_disabled=True).data]

        assert client.api_keys.delete(hash=new_hash).DELETED is True
        with pytest.raises(errors.NotFoundResponseError):
            client.api_keys.get(hash=new_hash)
        with pytest.raises(errors.NotFoundResponseError):
            client.api_keys.get(hash=hash_api_key(bob_key))  # another user's key does not exist here
    for method, body in (("PATCH", {"disabled": True}), ("DELETE", None)):
        answer = site.api(method, f"/api/v1/keys/{hash_api_key(bob_key)}", key=manager, json=body)
        assert answer.status_code == 404
    assert site.chat(bob_key).status_code in (200, 402)  # untouched (carol has no credits)


# The SDK's own models warn about OpenRouter's deprecated fields (rate_limit, is_provisioning_key).
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_current_key_in_openrouter_shape(site: Site) -> None:
    limited = site.cli(
        "keys", "create", "alice@example.com", "--name", "metered", "--limit-usd", "2", "--limit-reset",
        "monthly", "--rpm", "30",
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    assert site.chat(limited).status_code == 200
    wait_until(
        lambda: site.api("GET", "/api/v1/key", key=limited).json()["data"]["usage"] > 0,
        what="the key's usage",
    )
    with site.sdk(limited) as client:
        data = client.api_keys.get_current_key_metadata().data
    assert data.label == f"{limited[:12]}...{limited[-4:]}"
    assert (data.limit, data.limit_reset, data.is_management_key, data.is_free_tier) == (
        2.0,
        "monthly",
        False,
        False,
    )
    assert 0 < data.usage == data.usage_daily == data.usage_weekly == data.usage_monthly
    assert data.limit_remaining == pytest.approx(2.0 - data.usage)

    raw = site.api("GET", "/api/v1/key", key=limited)
    legacy = site.api("GET", "/api/v1/auth/key", key=limited)
    assert raw.json() == legacy.json()
    assert raw.json()["data"]["rate_limit"]["requests"] == 30
    _no_secrets(raw, limited)
    unlimited = site.api("GET", "/api/v1/key", key=site.alice_key).json()["data"]
    assert (unlimited["limit"], unlimited["limit_remaining"], unlimited["limit_reset"]) == (None, None, None)
    assert "API key in use" in _error(site.api("GET", "/api/v1/key"), 401)  # a session has no key


def test_cli_creates_keys_with_limits(site: Site) -> None:
    expires = "2099-01-31T00:00:00Z"
    key = site.cli(
        "keys", "create", "bob@example.com", "--name", "cli", "--limit-usd", "1.25", "--limit-reset",
        "weekly", "--expires-at", expires, "--allowed-models", "openai/*, anthropic/claude-*",
        "--allowed-ips", "127.0.0.1,192.168.0.0/16", "--rpm", "5", "--tpm", "1000", "--management",
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    rows = query(
        site.env.database_url,
        "SELECT limit_nanos, limit_reset, rpm_limit, tpm_limit, is_management FROM api_keys "
        "WHERE key_hash = :h",
        h=hash_api_key(key),
    )
    assert rows == [(1_250_000_000, "weekly", 5, 1000, True)]
    with site.sdk(key) as client:
        assert client.api_keys.get(hash=hash_api_key(key)).data.expires_at == datetime(
            2099, 1, 31, tzinfo=UTC
        )
    described = site.api("GET", f"/api/v1/keys/{hash_api_key(key)}", key=key).json()["data"]
    assert described["allowed_models"] == ["openai/*", "anthropic/claude-*"]
    assert described["allowed_ips"] == ["127.0.0.1", "192.168.0.0/16"]

    failed = site.cli("keys", "create", "bob@example.com", "--name", "x", "--limit-reset", "yearly", expect=1)
    assert "limit_reset must be one of daily, weekly, monthly" in failed.stderr
    failed = site.cli(
        "keys", "create", "bob@example.com", "--name", "x", "--allowed-ips", "nowhere", expect=1
    )
    assert "not an IP address" in failed.stderr
    failed = site.cli(
        "keys", "create", "bob@example.com", "--name", "x", "--expires-at", "2099-01-01", expect=1
    )
    assert "time zone" in failed.stderr
