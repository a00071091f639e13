"""Site settings over the API against a running server: each one overrides its environment default at once
(sign-up mode, the default alert threshold, the catalogue sync schedule, SMTP, sign-in with Google), a reset
returns to the environment, secrets are write-only and stored encrypted, and a bad combination changes
nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import REDIS_URL, Cli, Env, Server, free_port, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.fakes.server import FakeServer

PASSWORD = "correct-horse-battery"
SMTP_SECRET = "smtp-password-only-the-server-knows"
OIDC_SECRET = "oidc-client-secret-only-the-server-knows"
SYNCED_MODEL = "syncco/fresh-1"


class Documents(FakeServer):
    """Serves a catalogue (`/catalog.json`) and an OpenID Connect discovery document; counts the syncs."""

    def __init__(self) -> None:
        super().__init__(api_key=None)

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/catalog.json", self._catalog)
        app.router.add_get("/.well-known/openid-configuration", self._discovery)

    async def _catalog(self, request: web.Request) -> web.Response:
        model = {
            "id": SYNCED_MODEL,
            "canonical_slug": SYNCED_MODEL,
            "name": "Syncco: Fresh 1",
            "created": 1_767_225_600,
            "description": "Arrives by the scheduled sync.",
            "context_length": 8192,
            "architecture": {
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "tokenizer": "Other",
            },
            "pricing": {"prompt": "0.000001", "completion": "0.000002"},
            "top_provider": {"context_length": 8192, "max_completion_tokens": 1024, "is_moderated": False},
            "supported_parameters": ["max_tokens"],
        }
        return web.json_response({"data": [model]})

    async def _discovery(self, request: web.Request) -> web.Response:
        base = self.base_url
        return web.json_response(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
            }
        )

    def syncs(self) -> int:
        return sum(1 for r in self.requests if r.path == "/catalog.json")


@dataclass
class Mailbox:
    mails: list[tuple[list[str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        subject = str(message_from_bytes(content, policy=policy.default)["Subject"])
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"


@dataclass
class Site:
    server: Server
    env: Env
    cli: Cli
    admin: str  # an API key
    documents: Documents

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.admin}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def settings(self, key: str | None = None, **changes: Any) -> httpx.Response:
        return self.call("PATCH", "/api/admin/settings", key, json=changes)

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return query(self.env.database_url, statement, **params)


@pytest.fixture(scope="module")
def documents(database_url: str) -> Iterator[Documents]:
    """Per backend (through `database_url`): each counts its own syncs."""
    with Documents() as fake:
        yield fake


@pytest.fixture(scope="module")
def site(
    env: Env,
    cli: Cli,
    upstream: FakeOpenAIUpstream,
    documents: Documents,
    server_factory: Callable[[Env], Server],
) -> Site:
    env.extra.update(
        {
            "MODELYARD_LOW_BALANCE_THRESHOLD_USD": "1",
            "MODELYARD_CACHE_REFRESH_SECONDS": "60",  # changes must apply without waiting for a refresh
            "MODELYARD_HEALTH_PROBE_INTERVAL_SECONDS": "0",
            "MODELYARD_LOGIN_MAX_FAILURES_PER_IP": "1000",
        }
    )
    cli("users", "create", "site-admin@example.com", "--password", PASSWORD, "--admin")
    key = cli("keys", "create", "site-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    cli(
        "channels", "add", "fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-5", "--no-probe",
    )  # fmt: skip
    return Site(server_factory(env), env, cli, key, documents)


def _signup(site: Site, email: str) -> httpx.Response:
    return httpx.post(
        f"{site.server.url}/api/auth/signup", json={"email": email, "password": PASSWORD}, timeout=30
    )


def test_signup_mode_applies_at_once_and_a_reset_returns_to_the_environment(site: Site) -> None:
    before = site.call("GET", "/api/admin/settings").json()
    assert before["values"]["signup_mode"] == "open" and before["sources"]["signup_mode"] == "environment"
    assert _signup(site, "first@example.com").status_code == 201

    closed = site.settings(signup_mode="closed")
    assert closed.status_code == 200, closed.text
    assert closed.json()["values"]["signup_mode"] == "closed"
    assert closed.json()["sources"]["signup_mode"] == "site"
    assert closed.json()["environment"]["signup_mode"] == "open"
    refused = _signup(site, "second@example.com")
    assert refused.status_code == 403, refused.text
    options = httpx.get(f"{site.server.url}/api/auth/options", timeout=30).json()
    assert options["signup_mode"] == "closed"

    reset = site.settings(reset=["signup_mode"])
    assert reset.json()["values"]["signup_mode"] == "open"
    assert reset.json()["sources"]["signup_mode"] == "environment"
    assert _signup(site, "third@example.com").status_code == 201
    assert site.sql("SELECT count(*) FROM site_settings WHERE name = 'signup_mode'") == [(0,)]


def test_the_default_alert_threshold_applies_to_users_and_to_charges(site: Site) -> None:
    email = "threshold@example.com"
    key = site.cli.create_user_with_key(email, "5")
    alerts = site.call("GET", "/api/balance/alerts", key).json()
    assert (alerts["threshold"], alerts["threshold_is_default"]) == ("1", True)

    changed = site.settings(low_balance_threshold="7.50")
    assert changed.status_code == 200, changed.text
    assert changed.json()["values"]["low_balance_threshold"] == "7.5"
    alerts = site.call("GET", "/api/balance/alerts", key).json()
    assert (alerts["threshold"], alerts["threshold_is_default"]) == ("7.5", True)

    # The settlement writer flags the user with the new default: $5 minus a charge is below $7.50.
    reply = site.call(
        "POST",
        "/v1/chat/completions",
        key,
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert reply.status_code == 200, reply.text
    wait_until(
        lambda: site.sql("SELECT is_low_balance_alerted FROM users WHERE email = :e", e=email)[0][0],
        what="the low-balance flag",
    )
    bad = site.settings(low_balance_threshold="-1")
    assert bad.status_code == 400 and bad.json()["error"]["metadata"]["field"] == "low_balance_threshold"
    site.settings(reset=["low_balance_threshold"])


def test_the_catalogue_sync_schedule_starts_and_stops_at_runtime(site: Site) -> None:
    url = f"{site.documents.base_url}/catalog.json"
    assert site.documents.syncs() == 0
    started = site.settings(catalog_sync_url=url, catalog_sync_interval_seconds=1)
    assert started.status_code == 200, started.text
    wait_until(
        lambda: site.sql("SELECT count(*) FROM catalog_models WHERE slug = :s", s=SYNCED_MODEL)[0][0] == 1,
        what="the scheduled sync to add the model",
    )
    stopped = site.settings(catalog_sync_interval_seconds=None)
    assert stopped.json()["values"]["catalog_sync_interval_seconds"] is None
    time.sleep(0.3)  # a sync already under way may finish
    count = site.documents.syncs()
    time.sleep(2.2)
    assert site.documents.syncs() == count

    too_often = site.settings(catalog_sync_interval_seconds=0.1)
    assert too_often.status_code == 400
    assert too_often.json()["error"]["metadata"]["field"] == "catalog_sync_interval_seconds"
    site.settings(reset=["catalog_sync_interval_seconds", "catalog_sync_url"])


def test_smtp_applies_at_runtime_and_its_password_is_write_only(site: Site) -> None:
    email = "mail-me@example.com"
    key = site.cli.create_user_with_key(email, "5")
    off = site.call("POST", "/api/balance/alerts/test", key).json()
    assert off["email"]["status"] == "off"

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        half = site.settings(smtp_host="127.0.0.1", smtp_port=port, smtp_username="mailer")
        assert half.status_code == 400, half.text  # a username without a password: nothing changes
        assert half.json()["error"]["metadata"]["field"] == "smtp_password"
        assert site.call("GET", "/api/admin/settings").json()["values"]["smtp_host"] is None

        on = site.settings(smtp_host="127.0.0.1", smtp_port=port)
        assert on.status_code == 200, on.text
        assert on.json()["values"]["smtp_enabled"] is True
        sent = site.call("POST", "/api/balance/alerts/test", key).json()
        assert sent["email"]["status"] == "sent", sent
        wait_until(lambda: any(email in to for to, _ in box.mails), what="the test email")

        with_login = site.settings(smtp_username="mailer", smtp_password=SMTP_SECRET)
        assert with_login.status_code == 200, with_login.text
        values = with_login.json()["values"]
        assert values["smtp_password_set"] is True and values["smtp_username"] == "mailer"
        listed = site.call("GET", "/api/admin/settings")
        assert SMTP_SECRET not in listed.text and SMTP_SECRET not in with_login.text
        (stored,) = site.sql("SELECT value, encrypted FROM site_settings WHERE name = 'smtp_password'")
        assert stored[1] and SMTP_SECRET not in stored[1] and stored[0] in (None, "null")
        audit = site.call("GET", "/api/admin/audit", params={"route": "/api/admin/settings"})
        assert SMTP_SECRET not in audit.text
        assert any(entry["body"].get("smtp_password") == "[redacted]" for entry in audit.json()["data"])
    finally:
        controller.stop()
        site.settings(reset=["smtp_host", "smtp_port", "smtp_username", "smtp_password"])
    assert site.call("GET", "/api/admin/settings").json()["values"]["smtp_enabled"] is False


def test_google_sign_in_turns_on_and_off_at_runtime(site: Site) -> None:
    start = httpx.get(f"{site.server.url}/api/auth/google", timeout=30)
    assert start.status_code == 404
    on = site.settings(
        oidc_client_id="modelyard-client",
        oidc_client_secret=OIDC_SECRET,
        oidc_discovery_url=f"{site.documents.base_url}/.well-known/openid-configuration",
        oidc_provider_name="Acme ID",
    )
    assert on.status_code == 200, on.text
    assert on.json()["values"]["oidc_enabled"] is True and OIDC_SECRET not in on.text
    options = httpx.get(f"{site.server.url}/api/auth/options", timeout=30).json()
    assert options["oidc_enabled"] is True and options["oidc_provider_name"] == "Acme ID"
    start = httpx.get(f"{site.server.url}/api/auth/google", timeout=30)
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert (
        location.startswith(f"{site.documents.base_url}/authorize?")
        and "client_id=modelyard-client" in location
    )

    alone = site.settings(oidc_client_secret=None)
    assert alone.status_code == 400 and alone.json()["error"]["metadata"]["field"] == "oidc_client_secret"
    site.settings(reset=["oidc_client_id", "oidc_client_secret", "oidc_discovery_url", "oidc_provider_name"])
    assert httpx.get(f"{site.server.url}/api/auth/google", timeout=30).status_code == 404


def test_users_cannot_read_or_change_site_settings(site: Site) -> None:
    key = site.cli.create_user_with_key("nosy@example.com")
    assert site.call("GET", "/api/admin/settings", key).status_code == 403
    assert site.settings(key, signup_mode="closed").status_code == 403
    unknown = site.call("PATCH", "/api/admin/settings", json={"colour": "blue"})
    assert unknown.status_code in (400, 422)
    assert httpx.get(f"{site.server.url}/api/auth/options", timeout=30).json()["signup_mode"] == "open"


@pytest.mark.skipif(REDIS_URL is None, reason="several servers share changes through Redis")
def test_a_change_reaches_every_server_at_once_through_redis(
    site: Site, server_factory: Callable[[Env], Server]
) -> None:
    assert REDIS_URL is not None
    shared = {**site.env.extra, "MODELYARD_REDIS_URL": REDIS_URL}
    first = server_factory(Env(site.env.data_dir, site.env.database_url, shared))
    second = server_factory(Env(site.env.data_dir, site.env.database_url, shared))
    changed = httpx.patch(
        f"{first.url}/api/admin/settings",
        json={"signup_mode": "invite"},
        headers={"Authorization": f"Bearer {site.admin}"},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    try:
        wait_until(
            lambda: httpx.get(f"{second.url}/api/auth/options", timeout=30).json()["signup_mode"] == "invite",
            timeout=3,
            what="the other server to apply the change",
        )
    finally:
        reset = httpx.patch(
            f"{second.url}/api/admin/settings",
            json={"reset": ["signup_mode"]},
            headers={"Authorization": f"Bearer {site.admin}"},
            timeout=30,
        )
        assert reset.status_code == 200, reset.text
    wait_until(
        lambda: httpx.get(f"{first.url}/api/auth/options", timeout=30).json()["signup_mode"] == "open",
        timeout=3,
        what="the reset to reach the first server",
    )
