"""Sign-in with Google / OpenID Connect against a real local provider (oidc-provider-mock), driven by hand
the way a browser follows the redirects: `modelyard serve` → the provider's authorization page (a form we
POST the subject to) → the callback. A thin WSGI layer in front of the provider adds a test key to its JWKS
and can rewrite the ID token it issues, to check that forged, replayed and misdirected tokens are refused."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import werkzeug.serving

# Imported first: importing it turns its warnings on ("always"), which the block below then silences.
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from modelyard.config import Settings
from tests.conftest import Cli, Env, Server, query

with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # the provider imports authlib.jose
    import oidc_provider_mock  # type: ignore[import-untyped]

CLIENT_ID = "modelyard-test-client"
CLIENT_SECRET = "client-secret-that-must-never-leak"
PASSWORD = "correct-horse-battery"
TEST_KID = "tamper-test-key"

Tamper = Callable[[str], str]
# The provider runs in this process, on an Authlib API that warns it is deprecated.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib")


# The sign-in flow is HTTP and tokens; accounts are plain rows, covered on both databases elsewhere.
SQLITE_ONLY = True


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Provider:
    """The mock provider on a free port, behind a layer that adds TEST_KID to its key set and passes the ID
    token it issues through `tamper` when set."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": TEST_KID}, private=True)
        self.tamper: Tamper | None = None
        self._app = oidc_provider_mock.app(require_nonce=True)
        self._server = werkzeug.serving.make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> Provider:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def set_user(self, sub: str, **claims: Any) -> None:
        httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def authorize(self, url: str, sub: str) -> str:
        """The user picks `sub` on the provider's page: the URL the provider sends the browser back to."""
        assert url.startswith(self.url), url
        answer = httpx.post(url, data={"sub": sub}, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def deny(self, url: str) -> str:
        answer = httpx.post(url, data={"action": "deny"}, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path != "/jwks" and not (path == "/oauth2/token" and self.tamper is not None):
            result: Iterable[bytes] = self._app(environ, start_response)
            return result
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda _data: None

        inner = self._app(environ, capture)
        try:
            body = b"".join(inner)
        finally:
            if hasattr(inner, "close"):
                inner.close()
        if captured["status"].startswith("200"):
            document = json.loads(body)
            if path == "/jwks":
                document["keys"].append(self.key.as_dict(private=False))
            elif self.tamper is not None and "id_token" in document:
                document["id_token"] = self.tamper(document["id_token"])
            body = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    # ID token rewrites.

    def resign(self, change: Callable[[dict[str, Any]], None]) -> Tamper:
        """Changes the claims and signs them again with the test key (which the provider's JWKS lists)."""

        def tamper(token: str) -> str:
            claims = _payload(token)
            change(claims)
            return jwt.encode({"alg": "RS256", "kid": TEST_KID}, claims, self.key)

        return tamper


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def _forged(token: str) -> str:
    """Another subject in the payload, the provider's signature kept."""
    header, _, signature = token.split(".")
    claims = _payload(token)
    claims["sub"] = "someone-else"
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _unsigned(token: str) -> str:
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{token.split('.')[1]}."


@dataclass
class Servers:
    open: Server  # sign-up open, email links off
    linking: Server  # sign-up closed, verified email links on
    off: Server  # no client configured
    provider: Provider
    env: Env


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with Provider() as running:
        yield running


@pytest.fixture(scope="module")
def servers(env: Env, provider: Provider, server_factory: Callable[[Env], Server]) -> Servers:
    base = {
        "MODELYARD_AUTO_IMPORT_CATALOG": "false",
        "MODELYARD_OIDC_CLIENT_ID": CLIENT_ID,
        "MODELYARD_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "MODELYARD_OIDC_DISCOVERY_URL": provider.discovery_url,
        "MODELYARD_LOG_LEVEL": "debug",
    }
    open_server = server_factory(Env(env.data_dir, env.database_url, {**base}))  # migrates the database
    # The other two start together (the database is ready): one with email links on and sign-up closed,
    # one with sign-in off.
    linking_env = Env(
        env.data_dir,
        env.database_url,
        {**base, "MODELYARD_OIDC_LINK_VERIFIED_EMAIL": "true", "MODELYARD_SIGNUP_MODE": "closed"},
    )
    off_env = Env(env.data_dir, env.database_url, {"MODELYARD_AUTO_IMPORT_CATALOG": "false"})
    with ThreadPoolExecutor(2) as pool:
        linking, off = pool.map(server_factory, [linking_env, off_env])
    return Servers(open_server, linking, off, provider, env)


def new_identity(provider: Provider, *, verified: bool = True, email: str | None = None) -> tuple[str, str]:
    sub = f"sub-{secrets.token_hex(6)}"
    email = email or f"{sub}@example.com"
    provider.set_user(
        sub,
        email=email,
        email_verified=verified,
        name="Ada Lovelace",
        picture="https://images.example/ada.png",
    )
    return sub, email


def browser(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def start(client: httpx.Client, next_path: str | None = None) -> httpx.Response:
    params = {"next": next_path} if next_path is not None else None
    response = client.get("/api/auth/google", params=params)
    assert response.status_code == 302, response.text
    return response


def sign_in(
    client: httpx.Client, provider: Provider, sub: str, next_path: str | None = None
) -> httpx.Response:
    back = provider.authorize(start(client, next_path).headers["location"], sub)
    return client.get(back)


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["my_csrf"]}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == response.status_code
    error: dict[str, Any] = body["error"]
    return error


def password_user(servers: Servers, server: Server) -> tuple[httpx.Client, str]:
    """A new account with a password (signed up on the open server: they share the database), signed in
    on `server`."""
    email = f"pw-{secrets.token_hex(4)}@example.com"
    client = browser(servers.open)
    signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    if server is not servers.open:
        client = browser(server)
        assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    return client, email


def google_id_of(env: Env, email: str) -> str | None:
    rows = query(env.database_url, "SELECT google_id FROM users WHERE email = :email", email=email)
    assert len(rows) == 1
    value: str | None = rows[0][0]
    return value


def test_off_until_a_client_is_configured(servers: Servers) -> None:
    client, _ = password_user(servers, servers.off)
    for method, path in (
        ("GET", "/api/auth/google"),
        ("GET", "/api/auth/google/callback?code=x&state=y"),
        ("POST", "/api/auth/google/link"),
        ("DELETE", "/api/auth/google/link"),
    ):
        response = client.request(method, path, headers=csrf(client))
        assert response.status_code == 404, (method, path)
        assert "Google sign-in is not enabled" in error_of(response)["message"]


def test_first_sign_in_makes_the_account_and_signs_in(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, email = new_identity(provider)
    client = browser(server)
    started = start(client, "/settings?tab=keys")
    location = urlsplit(started.headers["location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}" == provider.url
    assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
    assert params["redirect_uri"] == f"{server.url}/api/auth/google/callback"
    assert set(params["scope"].split()) >= {"openid", "email"}
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"]
    assert "code_verifier" not in params and CLIENT_SECRET not in started.headers["location"]
    flow_cookie = started.headers["set-cookie"]
    assert "my_oidc=" in flow_cookie and "HttpOnly" in flow_cookie and "Path=/api/auth/google" in flow_cookie
    assert params["state"] not in flow_cookie and params["nonce"] not in flow_cookie  # sealed, not readable

    back = client.get(provider.authorize(started.headers["location"], sub))
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/settings?tab=keys"
    assert {"my_access", "my_refresh", "my_csrf"} <= set(client.cookies.keys())
    assert "my_oidc" not in client.cookies  # used once

    me = client.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json() | {"id": 0} == {
        "id": 0,
        "email": email,
        "display_name": "Ada Lovelace",
        "role": "user",
        "has_password": False,
        "google_linked": True,
    }
    rows = query(
        servers.env.database_url,
        "SELECT google_id, password_hash, avatar_url FROM users WHERE email = :email",
        email=email,
    )
    assert rows == [(sub, "", "https://images.example/ada.png")]
    sessions = client.get("/api/auth/sessions").json()
    assert [s["method"] for s in sessions] == ["google"]

    log = server.log()
    assert CLIENT_SECRET not in log and params["state"] not in log


def test_a_second_sign_in_finds_the_same_account(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, _ = new_identity(provider)
    first = browser(server)
    assert sign_in(first, provider, sub).status_code == 303
    user_id = first.get("/api/auth/me").json()["id"]

    # The subject is what identifies the user: a new address at the provider changes nothing here.
    provider.set_user(sub, email=f"renamed-{sub}@example.com", email_verified=True)
    second = browser(server)
    back = sign_in(second, provider, sub)
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert second.get("/api/auth/me").json()["id"] == user_id
    assert query(servers.env.database_url, "SELECT count(*) FROM users WHERE google_id = :sub", sub=sub) == [
        (1,)
    ]


def test_the_callback_needs_the_state_of_this_browsers_flow(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, email = new_identity(provider)
    client = browser(server)
    back = provider.authorize(start(client).headers["location"], sub)

    wrong_state = back.replace("state=", "state=x")
    refused = client.get(wrong_state)
    assert refused.status_code == 400
    assert "wrong state" in error_of(refused)["message"]
    assert "my_oidc=" in refused.headers["set-cookie"]  # the flow is cleared: it cannot be retried

    # Another browser (an attacker's link) has no flow cookie; nor has this one any more.
    for other in (browser(server), client):
        assert other.get(back).status_code == 400
    # A forged cookie does not open.
    forged = browser(server)
    forged.cookies.set("my_oidc", "gAAAAAB" + "A" * 120, path="/api/auth/google")
    assert forged.get(back).status_code == 400
    assert query(servers.env.database_url, "SELECT count(*) FROM users WHERE email = :e", e=email) == [(0,)]


def test_a_callback_is_used_once(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, _ = new_identity(provider)
    client = browser(server)
    back = provider.authorize(start(client).headers["location"], sub)
    assert client.get(back).status_code == 303
    replayed = client.get(back)
    assert replayed.status_code == 400
    assert "expired or was started in another browser" in error_of(replayed)["message"]


def test_a_refusal_at_the_provider_is_reported(servers: Servers) -> None:
    client = browser(servers.open)
    back = servers.provider.deny(start(client).headers["location"])
    response = client.get(back)
    assert response.status_code == 401
    error = error_of(response)
    assert error["metadata"]["provider_error"] == "access_denied"
    assert "my_access" not in client.cookies


def test_a_code_issued_for_another_flow_fails_the_nonce_check(servers: Servers) -> None:
    """Code injection: the victim's browser is sent back with a code obtained in the attacker's flow (the
    attacker's nonce) but the victim's own state."""
    provider, server = servers.provider, servers.open
    sub, email = new_identity(provider)
    victim = browser(server)
    victim_state = parse_qs(urlsplit(start(victim).headers["location"]).query)["state"][0]
    attacker_back = provider.authorize(start(browser(server)).headers["location"], sub)
    attacker_code = parse_qs(urlsplit(attacker_back).query)["code"][0]
    response = victim.get("/api/auth/google/callback", params={"code": attacker_code, "state": victim_state})
    assert response.status_code == 401, response.text
    assert "nonce" in error_of(response)["message"]
    assert query(servers.env.database_url, "SELECT count(*) FROM users WHERE email = :e", e=email) == [(0,)]


def _expired(claims: dict[str, Any]) -> None:
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)


TAMPERINGS: dict[str, tuple[Callable[[Provider], Tamper], str]] = {
    "forged payload": (lambda p: _forged, "signature"),
    "unsigned": (lambda p: _unsigned, "algorithm"),
    "another nonce": (lambda p: p.resign(lambda c: c.update(nonce="replayed")), "nonce"),
    "no nonce": (lambda p: p.resign(lambda c: c.pop("nonce")), "nonce"),
    "another audience": (lambda p: p.resign(lambda c: c.update(aud=["someone-else"])), "aud"),
    "another issuer": (lambda p: p.resign(lambda c: c.update(iss="https://evil.example")), "iss"),
    "expired": (lambda p: p.resign(_expired), "expired"),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_tampered_id_tokens_are_refused(servers: Servers, case: str) -> None:
    provider, server = servers.provider, servers.open
    make, words = TAMPERINGS[case]
    sub, email = new_identity(provider)
    provider.tamper = make(provider)
    try:
        response = sign_in(browser(server), provider, sub)
    finally:
        provider.tamper = None
    assert response.status_code == 401, response.text
    assert words in error_of(response)["message"]
    assert query(servers.env.database_url, "SELECT count(*) FROM users WHERE email = :e", e=email) == [(0,)]


def test_a_token_signed_again_unchanged_with_a_listed_key_is_accepted(servers: Servers) -> None:
    """The control for the cases above: their tokens fail for what was changed, not for the re-signing."""
    provider, server = servers.provider, servers.open
    sub, _ = new_identity(provider)
    provider.tamper = provider.resign(lambda claims: None)
    try:
        assert sign_in(browser(server), provider, sub).status_code == 303
    finally:
        provider.tamper = None


def test_an_id_token_without_email_is_completed_from_userinfo(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, email = new_identity(provider)

    def without_email(claims: dict[str, Any]) -> None:
        del claims["email"], claims["email_verified"]

    provider.tamper = provider.resign(without_email)
    client = browser(server)
    try:
        assert sign_in(client, provider, sub).status_code == 303
    finally:
        provider.tamper = None
    assert client.get("/api/auth/me").json()["email"] == email


def test_next_must_be_a_path_on_this_site(servers: Servers) -> None:
    client = browser(servers.open)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.get("/api/auth/google", params={"next": target})
        assert response.status_code == 400, target
        assert error_of(response)["metadata"] == {"field": "next"}


def test_an_existing_email_is_not_linked_by_default(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    _, email = password_user(servers, server)
    sub, _ = new_identity(provider, email=email)
    client = browser(server)
    response = sign_in(client, provider, sub)
    assert response.status_code == 409
    assert "already exists" in error_of(response)["message"]
    assert "my_access" not in client.cookies
    assert google_id_of(servers.env, email) is None


def test_an_existing_verified_email_is_linked_when_enabled(servers: Servers) -> None:
    provider, server = servers.provider, servers.linking
    password_client, email = password_user(servers, server)
    user_id = password_client.get("/api/auth/me").json()["id"]

    unverified_sub, _ = new_identity(provider, email=email, verified=False)
    refused = sign_in(browser(server), provider, unverified_sub)
    assert refused.status_code == 409 and "not verified" in error_of(refused)["message"]
    assert google_id_of(servers.env, email) is None

    sub, _ = new_identity(provider, email=email.upper())
    client = browser(server)
    assert sign_in(client, provider, sub).status_code == 303
    me = client.get("/api/auth/me").json()
    assert me["id"] == user_id and me["google_linked"] and me["has_password"]
    assert google_id_of(servers.env, email) == sub


def test_closed_sign_up_makes_no_new_account(servers: Servers) -> None:
    provider = servers.provider
    sub, email = new_identity(provider)
    response = sign_in(browser(servers.linking), provider, sub)
    assert response.status_code == 403
    assert "Sign-up is closed" in error_of(response)["message"]
    assert query(servers.env.database_url, "SELECT count(*) FROM users WHERE email = :e", e=email) == [(0,)]


def test_link_and_unlink_for_a_password_user(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    client, email = password_user(servers, server)
    user_id = client.get("/api/auth/me").json()["id"]
    sub, _ = new_identity(provider)  # another address at the provider: linking does not need it to match

    assert client.post("/api/auth/google/link", json={}).status_code == 403  # no CSRF header
    started = client.post("/api/auth/google/link", json={"next": "/account"}, headers=csrf(client))
    assert started.status_code == 200, started.text
    assert "my_oidc" in client.cookies
    back = client.get(provider.authorize(started.json()["url"], sub))
    assert back.status_code == 303 and back.headers["location"] == "/account"
    assert client.get("/api/auth/me").json()["google_linked"] is True
    assert google_id_of(servers.env, email) == sub

    # Linked, the provider's account signs in to this one.
    elsewhere = browser(server)
    assert sign_in(elsewhere, provider, sub).status_code == 303
    assert elsewhere.get("/api/auth/me").json()["id"] == user_id
    again = client.post("/api/auth/google/link", json={}, headers=csrf(client))
    assert again.status_code == 409

    assert client.delete("/api/auth/google/link", headers=csrf(client)).status_code == 204
    assert client.get("/api/auth/me").json()["google_linked"] is False
    assert google_id_of(servers.env, email) is None
    missing = client.delete("/api/auth/google/link", headers=csrf(client))
    assert missing.status_code == 404


def test_linking_is_refused_for_another_users_provider_account(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    taken_sub, _ = new_identity(provider)
    assert sign_in(browser(server), provider, taken_sub).status_code == 303  # its own account now
    client, email = password_user(servers, server)
    started = client.post("/api/auth/google/link", headers=csrf(client))
    response = client.get(provider.authorize(started.json()["url"], taken_sub))
    assert response.status_code == 409
    assert "already linked to another user" in error_of(response)["message"]
    assert google_id_of(servers.env, email) is None


def test_a_link_flow_ends_with_its_session(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    client, email = password_user(servers, server)
    sub, _ = new_identity(provider)
    started = client.post("/api/auth/google/link", headers=csrf(client))
    back = provider.authorize(started.json()["url"], sub)
    assert client.post("/api/auth/logout", headers=csrf(client)).status_code == 204
    response = client.get(back)
    assert response.status_code == 401
    assert "session that started linking has ended" in error_of(response)["message"]
    assert google_id_of(servers.env, email) is None


def test_an_api_key_cannot_link(servers: Servers, cli: Cli) -> None:
    _, email = password_user(servers, servers.open)
    key = cli("keys", "create", email, "--name", "k").stdout.strip().splitlines()[-1]
    response = httpx.post(
        f"{servers.open.url}/api/auth/google/link", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 403
    assert "signed-in session" in error_of(response)["message"]


def test_unlinking_is_refused_for_an_account_without_password(servers: Servers) -> None:
    provider, server = servers.provider, servers.open
    sub, email = new_identity(provider)
    client = browser(server)
    assert sign_in(client, provider, sub).status_code == 303
    response = client.delete("/api/auth/google/link", headers=csrf(client))
    assert response.status_code == 400
    assert "no password" in error_of(response)["message"]
    assert google_id_of(servers.env, email) == sub


def test_settings_blank_is_unset_and_the_client_needs_both_parts() -> None:
    settings = Settings(oidc_client_id=" ", oidc_client_secret="", public_url="https://ai.example.com/")
    assert settings.oidc_client_id is None and settings.oidc_client_secret is None
    assert settings.public_url == "https://ai.example.com"
    assert settings.oidc_discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert settings.oidc_provider_name == "Google" and settings.oidc_link_verified_email is False
    with pytest.raises(ValidationError, match="go together"):
        Settings(oidc_client_id="abc")
    with pytest.raises(ValidationError, match="external base URL"):
        Settings(public_url="ai.example.com")
    with pytest.raises(ValidationError, match="discovery document"):
        Settings(oidc_discovery_url="file:///etc/passwd")
