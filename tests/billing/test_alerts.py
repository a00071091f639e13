"""Low-balance alerts against a running server, a real SMTP server (aiosmtpd) and a webhook receiver: one
email and one signed webhook per crossing of the threshold, re-armed by every kind of credit, retried with
backoff while requests keep succeeding; the settings API and its validation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import aiohttp
import httpx
import orjson
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr
from sqlalchemy.engine import Connection

from modelyard.billing import alerts
from modelyard.db import migrate
from modelyard.db.engine import create_engine
from modelyard.db.writes import create_writer
from modelyard.notify.channels import DeliveryError, SmtpConfig, names_private_host, post_webhook, send_email
from tests.conftest import (
    BACKENDS,
    POSTGRES_URL,
    Cli,
    Env,
    Server,
    _create_pg_database,
    _drop_pg_database,
    free_port,
    query,
    run_async,
    wait_until,
)
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.fakes.server import FakeServer

SMTP_USER = "mailer"
SMTP_PASSWORD = "smtp-password-never-logged"
MAX_ATTEMPTS = 4
MESSAGES = [{"role": "user", "content": "hello there"}]
# The test SMTP server asks for a login over plain TCP (loopback only), which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message, and an authenticator that knows one login."""

    mails: list[Mail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            with self.lock:
                self.logins.append(mechanism)
        # handled=False: aiosmtpd answers a refusal itself (535).
        return AuthResult(success=ok, handled=False)

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [mail for mail in self.mails if address in mail.rcpt_tos]


@dataclass(frozen=True)
class Hook:
    name: str
    headers: dict[str, str]  # lowercase names
    raw: bytes
    status: int

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.raw)
        return parsed


class WebhookReceiver(FakeServer):
    """`POST /hook/NAME`: 204; `flaky-N` answers 500 to its first N calls; `down` always 500."""

    def __init__(self) -> None:
        super().__init__(api_key=None)
        self.hooks: list[Hook] = []
        self._lock = threading.Lock()

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/hook/{name}", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        with self._lock:
            calls = 1 + sum(1 for hook in self.hooks if hook.name == name)
            flaky = re.fullmatch(r"flaky-(\d+)", name)
            status = 500 if name == "down" or (flaky is not None and calls <= int(flaky.group(1))) else 204
            headers = {key.lower(): value for key, value in request.headers.items()}
            self.hooks.append(Hook(name, headers, raw, status))
        return web.Response(status=status)

    def calls(self, name: str, status: int | None = None) -> list[Hook]:
        with self._lock:
            return [h for h in self.hooks if h.name == name and (status is None or h.status == status)]

    def url(self, name: str) -> str:
        return f"{self.base_url}/hook/{name}"


@dataclass
class AlertsApi:
    server: Server
    cli: Cli
    env: Env
    mailbox: Mailbox
    receiver: WebhookReceiver
    admin_key: str

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def user_id(self, email: str) -> int:
        return int(query(self.env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])

    def spend(self, key: str, email: str, times: int = 1) -> None:
        """`times` chat requests, each answered 200, then waits until all of them are charged."""
        uid = self.user_id(email)
        before = self._logged(uid)
        for _ in range(times):
            reply = self.call(
                "POST",
                "/v1/chat/completions",
                key,
                json={"model": "openai/gpt-4o-mini", "messages": MESSAGES},
            )
            assert reply.status_code == 200, reply.text
        wait_until(lambda: self._logged(uid) == before + times, what="the charges")

    def _logged(self, uid: int) -> int:
        return int(
            query(self.env.database_url, "SELECT COUNT(*) FROM request_logs WHERE user_id = :u", u=uid)[0][0]
        )

    def wait_for_alerts(self, email: str, hook: str, count: int) -> None:
        """Until `count` alert emails to `email` and `count` accepted calls of webhook `hook` arrived."""

        def arrived() -> bool:
            return len(self.mailbox.to(email)) == count and len(self.receiver.calls(hook, 204)) == count

        wait_until(arrived, what=f"{count} alerts")

    def balance(self, key: str) -> Decimal:
        return Decimal(self.call("GET", "/api/balance", key).json()["balance"])

    def is_alerted(self, email: str) -> bool:
        rows = query(
            self.env.database_url, "SELECT is_low_balance_alerted FROM users WHERE email = :e", e=email
        )
        return bool(rows[0][0])


@pytest.fixture(scope="module")
def mailbox(database_url: str) -> Iterator[tuple[Mailbox, int]]:
    """Per backend (through `database_url`), like the users whose mail it holds."""
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def receiver(database_url: str) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as fake:
        yield fake


@pytest.fixture(scope="module")
def api(
    env: Env,
    cli: Cli,
    upstream: FakeOpenAIUpstream,
    mailbox: tuple[Mailbox, int],
    receiver: WebhookReceiver,
    server_factory: Callable[[Env], Server],
) -> AlertsApi:
    box, smtp_port = mailbox
    env.extra.update(
        {
            "MODELYARD_LOW_BALANCE_THRESHOLD_USD": "1",
            "MODELYARD_SMTP_HOST": "127.0.0.1",
            "MODELYARD_SMTP_PORT": str(smtp_port),
            "MODELYARD_SMTP_USERNAME": SMTP_USER,
            "MODELYARD_SMTP_PASSWORD": SMTP_PASSWORD,
            "MODELYARD_SMTP_FROM": "Modelyard Alerts <alerts@modelyard.test>",
            "MODELYARD_ALERT_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "MODELYARD_ALERT_RETRY_BASE_SECONDS": "0.05",
            # The receiver listens on loopback, which production servers refuse to call.
            "MODELYARD_ALERT_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        }
    )
    cli("users", "create", "admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin_key = cli("keys", "create", "admin@example.com", "--name", "admin").stdout.strip().splitlines()[-1]
    cli(
        "channels", "add", "fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
    )  # fmt: skip
    return AlertsApi(server_factory(env), cli, env, box, receiver, admin_key)


def _verify(hook: Hook, secret: str) -> None:
    expected = "sha256=" + hmac.new(secret.encode(), hook.raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["x-modelyard-signature"], expected)
    assert hook.headers["x-modelyard-timestamp"].isdigit()
    assert hook.headers["content-type"] == "application/json"


def test_one_email_and_one_signed_webhook_per_crossing(api: AlertsApi) -> None:
    email = "low@example.com"
    key = api.cli.create_user_with_key(email, "1")
    uid = api.user_id(email)
    settings = api.call("PUT", "/api/balance/alerts", key, json={"webhook_url": api.receiver.url("main")})
    assert settings.status_code == 200, settings.text
    secret = settings.json()["webhook_secret"]
    assert settings.json()["threshold"] == "1" and settings.json()["email"] == email

    # The balance is exactly the threshold: not below it yet.
    assert not api.is_alerted(email)
    api.spend(key, email)
    api.wait_for_alerts(email, "main", 1)
    assert api.is_alerted(email)

    mail = api.mailbox.to(email)[0]
    balance = api.balance(key)
    assert mail.message["From"] == "Modelyard Alerts <alerts@modelyard.test>"
    assert mail.rcpt_tos == [email] and mail.message["To"] == email
    assert "below $1" in mail.message["Subject"] and "余额已低于 $1" in mail.message["Subject"]
    assert f"Your Modelyard balance is ${balance}, below your alert threshold of $1" in mail.text
    assert f"您的 Modelyard 余额为 ${balance},已低于您设置的提醒阈值 $1" in mail.text
    assert api.mailbox.logins  # it logged in with the configured account

    hook = api.receiver.calls("main")[0]
    _verify(hook, secret)
    assert hook.headers["x-modelyard-event"] == "low_balance"
    body = hook.body
    assert (body["type"], body["user_id"], body["balance"], body["threshold"], body["test"]) == (
        "low_balance", uid, str(balance), "1", False,
    )  # fmt: skip
    assert body["id"].startswith("alert-")
    assert datetime.fromisoformat(body["at"].replace("Z", "+00:00")).tzinfo is not None

    # Still below: more spending alerts nobody.
    api.spend(key, email, times=3)
    # A top-up that does not reach the threshold does not re-arm the alert either.
    api.cli("credits", "grant", email, "0.000000001")
    api.spend(key, email)
    assert api.is_alerted(email)

    # Back to exactly the threshold through each kind of credit, then one charge below: one alert each.
    def top_up_to_threshold_by(credit: Callable[[str], None]) -> None:
        missing = Decimal(1) - api.balance(key)
        assert missing > 0
        credit(format(missing, "f"))
        assert api.balance(key) == Decimal(1)
        assert not api.is_alerted(email)

    def cli_grant(amount: str) -> None:
        api.cli("credits", "grant", email, amount)

    def admin_grant(amount: str) -> None:
        path = f"/api/admin/users/{uid}/credits"
        assert api.call("POST", path, api.admin_key, json={"amount": amount}).status_code == 201

    def redeem(amount: str) -> None:
        made = api.call("POST", "/api/admin/codes", api.admin_key, json={"count": 1, "amount": amount})
        code = made.json()["codes"][0]
        assert api.call("POST", "/api/balance/redeem", key, json={"code": code}).status_code == 200

    for expected, credit in enumerate((cli_grant, admin_grant, redeem), start=2):
        top_up_to_threshold_by(credit)
        api.spend(key, email)
        api.wait_for_alerts(email, "main", expected)
        assert api.is_alerted(email)
    for hook in api.receiver.calls("main"):
        _verify(hook, secret)
    assert len({hook.body["id"] for hook in api.receiver.calls("main")}) == 4

    # Nothing more arrives late.
    api.spend(key, email)
    threading.Event().wait(0.5)
    assert len(api.mailbox.to(email)) == 4 and len(api.receiver.calls("main")) == 4
    api.cli("ledger", "verify")
    assert SMTP_PASSWORD not in api.server.log()


def test_a_failing_webhook_is_retried_with_backoff_while_requests_succeed(api: AlertsApi) -> None:
    email = "flaky@example.com"
    key = api.cli.create_user_with_key(email, "1")
    put = api.call(
        "PUT", "/api/balance/alerts", key, json={"email": None, "webhook_url": api.receiver.url("flaky-2")}
    )
    assert put.status_code == 200 and put.json()["email"] is None
    api.spend(key, email)
    # Requests keep being served while the receiver fails.
    api.spend(key, email, times=3)
    wait_until(lambda: len(api.receiver.calls("flaky-2", status=204)) == 1, what="the third attempt")
    calls = api.receiver.calls("flaky-2")
    assert [c.status for c in calls] == [500, 500, 204]
    # A retry is the same event: same bytes, same signature.
    assert len({c.raw for c in calls}) == 1 and len({c.headers["x-modelyard-signature"] for c in calls}) == 1
    _verify(calls[-1], put.json()["webhook_secret"])
    assert api.mailbox.to(email) == []  # email was turned off for this user
    log = api.server.log()
    assert "webhook attempt 1/4 failed" in log and "webhook attempt 2/4 failed" in log
    assert "delivered by webhook (attempt 3)" in log


def test_a_webhook_that_stays_down_is_given_up_after_max_attempts(api: AlertsApi) -> None:
    email = "down@example.com"
    key = api.cli.create_user_with_key(email, "1")
    api.call("PUT", "/api/balance/alerts", key, json={"email": None, "webhook_url": api.receiver.url("down")})
    api.spend(key, email)
    wait_until(lambda: "giving up after attempt 4/4" in api.server.log(), what="the last attempt")
    threading.Event().wait(0.3)
    assert len(api.receiver.calls("down")) == MAX_ATTEMPTS
    api.spend(key, email)  # still served


def test_settings_api(api: AlertsApi) -> None:
    email = "settings@example.com"
    key = api.cli.create_user_with_key(email, "5")
    got = api.call("GET", "/api/balance/alerts", key)
    assert got.status_code == 200
    defaults = got.json()
    secret = defaults.pop("webhook_secret")
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert defaults == {
        "threshold": "1",
        "threshold_is_default": True,
        "email": email,
        "email_enabled": True,
        "webhook_url": None,
        "alerted": False,
    }
    # Every user signs with a key of their own.
    other = api.cli.create_user_with_key("settings2@example.com")
    assert api.call("GET", "/api/balance/alerts", other).json()["webhook_secret"] != secret

    changed = api.call(
        "PUT", "/api/balance/alerts", key,
        json={"threshold": "2.5", "email": "billing@example.com", "webhook_url": "https://hooks.example.com/x?y=1"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("threshold", "threshold_is_default", "email", "webhook_url")} == {
        "threshold": "2.5",
        "threshold_is_default": False,
        "email": "billing@example.com",
        "webhook_url": "https://hooks.example.com/x?y=1",
    }
    # Left out: unchanged. Numbers are USD too.
    partial = api.call("PUT", "/api/balance/alerts", key, json={"threshold": 3})
    assert partial.json()["threshold"] == "3" and partial.json()["email"] == "billing@example.com"
    # null: the server's default threshold, no email, no webhook.
    cleared = api.call(
        "PUT", "/api/balance/alerts", key, json={"threshold": None, "email": None, "webhook_url": None}
    )
    assert cleared.json()["threshold"] == "1" and cleared.json()["threshold_is_default"]
    assert cleared.json()["email"] is None and cleared.json()["webhook_url"] is None
    # The account's own address again.
    back = api.call("PUT", "/api/balance/alerts", key, json={"email": email})
    assert back.json()["email"] == email
    assert query(api.env.database_url, "SELECT alert_email FROM users WHERE email = :e", e=email) == [(None,)]

    bad_cases: list[tuple[str, Any]] = [
        ("threshold", "abc"),
        ("threshold", "-1"),
        ("threshold", "1.0000000001"),
        ("threshold", True),
        ("threshold", {"usd": 1}),
        ("email", "not-an-address"),
        ("email", "a@example.com, b@example.com"),
        ("email", "a@example.com\r\nBcc: b@example.com"),
        ("email", 5),
        ("webhook_url", "ftp://example.com/hook"),
        ("webhook_url", "https://"),
        ("webhook_url", "not a url"),
        ("webhook_url", "http://example.com:99999/"),
        ("webhook_url", "https://example.com/" + "x" * 2000),
    ]
    for name, value in bad_cases:
        bad = api.call("PUT", "/api/balance/alerts", key, json={name: value})
        assert bad.status_code == 400, (name, value, bad.text)
        error = bad.json()["error"]
        assert error["code"] == 400 and name in error["message"], (name, value, error)
    unknown = api.call("PUT", "/api/balance/alerts", key, json={"threshold_usd": "1"})
    assert unknown.status_code == 400 and "threshold_usd" in unknown.json()["error"]["message"]
    assert api.call("GET", "/api/balance/alerts", key).json()["threshold"] == "1"  # nothing changed
    assert httpx.get(f"{api.server.url}/api/balance/alerts").status_code == 401


def test_a_new_threshold_rearms_or_alerts_at_the_next_charge(api: AlertsApi) -> None:
    email = "raise@example.com"
    key = api.cli.create_user_with_key(email, "5")
    # Raised above the balance: the next charge alerts (the balance is below a threshold not yet alerted).
    api.call(
        "PUT", "/api/balance/alerts", key, json={"threshold": "10", "webhook_url": api.receiver.url("raise")}
    )
    api.spend(key, email)
    wait_until(lambda: len(api.receiver.calls("raise")) == 1, what="the alert")
    # Email and webhook are delivered independently: wait for the mail too rather than assume it came first.
    wait_until(lambda: len(api.mailbox.to(email)) == 1, what="the alert email")
    # Lowered to or below the balance: re-armed at once.
    assert api.call("PUT", "/api/balance/alerts", key, json={"threshold": "1"}).json()["alerted"] is False
    # "0" turns alerts off in practice: a balance never goes below zero by spending.
    api.call("PUT", "/api/balance/alerts", key, json={"threshold": "0"})
    api.spend(key, email)
    threading.Event().wait(0.3)
    assert len(api.receiver.calls("raise")) == 1


def test_test_alerts_reach_every_channel_and_are_rate_limited(api: AlertsApi) -> None:
    email = "tester@example.com"
    key = api.cli.create_user_with_key(email, "3")
    api.call("PUT", "/api/balance/alerts", key, json={"webhook_url": api.receiver.url("test")})
    result = api.call("POST", "/api/balance/alerts/test", key)
    assert result.status_code == 200, result.text
    assert result.json() == {
        "email": {"status": "sent", "detail": None},
        "webhook": {"status": "sent", "detail": None},
    }
    mail = api.mailbox.to(email)[-1]
    assert mail.message["Subject"].startswith("[Test]") and "测试" in mail.text
    hook = api.receiver.calls("test")[-1]
    assert hook.body["test"] is True and hook.body["balance"] == "3"
    _verify(hook, api.call("GET", "/api/balance/alerts", key).json()["webhook_secret"])
    assert not api.is_alerted(email)  # a test is not an alert

    api.call("PUT", "/api/balance/alerts", key, json={"email": None, "webhook_url": api.receiver.url("down")})
    result = api.call("POST", "/api/balance/alerts/test", key)
    assert result.json()["email"]["status"] == "off"
    assert result.json()["webhook"] == {"status": "failed", "detail": "127.0.0.1 answered HTTP 500"}
    statuses = [api.call("POST", "/api/balance/alerts/test", key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_flag_is_set_once_whoever_asks(api: AlertsApi) -> None:
    """The conditional update: a second settlement (another process) finds nothing left to alert."""
    email = "once@example.com"
    api.cli.create_user_with_key(email)
    uid = api.user_id(email)

    async def flag_twice() -> tuple[list[alerts.LowBalance], list[alerts.LowBalance]]:
        engine = create_engine(api.env.database_url)
        writer = create_writer(api.env.database_url, engine)

        def flag(connection: Connection) -> list[alerts.LowBalance]:
            return alerts.flag_low_balances_sync(connection, [uid, uid], 10**9)

        try:
            return await writer.run(flag), await writer.run(flag)
        finally:
            await writer.close()
            await engine.dispose()

    first, second = run_async(flag_twice())
    assert [(a.user_id, a.balance_nanos, a.threshold_nanos, a.email) for a in first] == [
        (uid, 0, 10**9, email)
    ]
    assert second == []


def test_private_webhook_addresses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in (
        "http://localhost/x", "http://127.0.0.1:8080/x", "http://[::1]/x", "http://10.1.2.3/x",
        "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]/x", "http://api.localhost/x",
    ):  # fmt: skip
        assert names_private_host(url), url
    for url in ("https://hooks.example.com/x", "http://8.8.8.8/x"):
        assert not names_private_host(url), url

    async def deliver(url: str) -> DeliveryError:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(DeliveryError) as caught:
                await post_webhook(http, url, b"{}", "key", total_seconds=1, allow_private=False)
        return caught.value

    # Literal addresses are refused before any connection; names are refused by what they resolve to.
    for url in ("http://127.0.0.1:9/x", "http://localhost:9/x", "http://localhost.:9/x"):
        error = asyncio.run(deliver(url))
        assert error.permanent, url

    async def resolves_privately(
        self: asyncio.AbstractEventLoop, host: str, port: int, **kwargs: Any
    ) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", resolves_privately)
    error = asyncio.run(deliver("https://hooks.internal.example/x"))
    assert error.permanent and "resolves to a private address" in str(error)


def test_smtp_failures_are_reported_without_the_password(mailbox: tuple[Mailbox, int]) -> None:
    _, port = mailbox
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@modelyard.test", "b@example.com", "hi"
    message.set_content("hi")

    def attempt(password: str, smtp_port: int) -> DeliveryError:
        config = SmtpConfig("127.0.0.1", smtp_port, SMTP_USER, SecretStr(password), False, "a@x", 5.0)
        with pytest.raises(DeliveryError) as caught:
            asyncio.run(send_email(config, message))
        return caught.value

    refused = attempt("wrong-password-here", port)
    assert "SMTPAuthenticationError" in str(refused) and "wrong-password-here" not in str(refused)
    closed = attempt(SMTP_PASSWORD, free_port())
    assert "ConnectionRefusedError" in str(closed) and SMTP_PASSWORD not in str(closed)


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_users_migrate(backend: str, tmp_path: Any) -> None:
    if backend == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        assert POSTGRES_URL is not None
        url = _create_pg_database(POSTGRES_URL)
        cleanup = url

    async def migrate_to(revision: str) -> None:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine, revision)
        finally:
            await engine.dispose()

    try:
        run_async(migrate_to("0002"))
        query(
            url,
            "INSERT INTO users (email, password_hash, role, is_active, balance_nanos, held_nanos, "
            "created_at) VALUES ('old@example.com', 'x', 'user', :t, 5, 0, CURRENT_TIMESTAMP)",
            t=True,
        )
        run_async(migrate_to("head"))
        rows = query(
            url,
            "SELECT low_balance_threshold_nanos, alert_email, alert_webhook_url, is_low_balance_alerted "
            "FROM users",
        )
        assert [(a, b, c, bool(d)) for a, b, c, d in rows] == [(None, None, None, False)]
    finally:
        if cleanup is not None:
            assert POSTGRES_URL is not None
            _drop_pg_database(POSTGRES_URL, cleanup)
