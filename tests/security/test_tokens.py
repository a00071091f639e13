"""Access and refresh tokens: forged, expired, tampered and revoked tokens are refused; a reused refresh token
ends its session; a new password, a disabled account and a lost role end sessions. Each runs against a
server keeping revocations in the database and, when the run has Redis, one keeping them in Redis."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from modelyard.auth.tokens import TokenSigner
from tests.conftest import REDIS_URL, Cli, Env, Server
from tests.security.helpers import (
    NO_CATALOG,
    PASSWORD,
    Account,
    api_client,
    bearer,
    login,
    make_account,
    sign_up,
)

STORES = ["table"] + (["redis"] if REDIS_URL else [])


@dataclass
class Site:
    url: str
    secret_key: str
    cli: Cli
    root: Account
    http: httpx.Client
    store: str

    def login_is_refused(self, email: str, password: str = PASSWORD) -> bool:
        """Sign-in does not depend on where revocations are kept: checked once, on the server without Redis
        (a failure there would count against 127.0.0.1 in the Redis other tests' servers share)."""
        return self.store != "table" or login(self.url, email, password).status_code == 401

    def get(self, path: str, token: str) -> httpx.Response:
        return self.http.get(f"{self.url}{path}", headers=bearer(token))

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.http.post(f"{self.url}/api/auth/refresh", json={"refresh_token": refresh_token})

    def account(self, tag: str) -> Account:
        return sign_up(self.http, self.url, tag)

    def account_with_key(self, tag: str, *flags: str) -> Account:
        return make_account(self.cli, self.url, tag, *flags)


@pytest.fixture(scope="module")
def sites(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> Iterator[dict[str, Site]]:
    secret_key = secrets.token_urlsafe(48)
    env.extra.update({"MODELYARD_SECRET_KEY": secret_key, **NO_CATALOG})
    found: dict[str, Site] = {}
    root: Account | None = None
    with api_client() as http:
        for store in STORES:
            extra = {}
            if store == "redis" and REDIS_URL:
                # Sign-in failures are counted in Redis too, per address, shared with other tests' servers.
                extra = {"MODELYARD_REDIS_URL": REDIS_URL, "MODELYARD_LOGIN_MAX_FAILURES_PER_IP": "100000"}
            server = server_factory(Env(env.data_dir, env.database_url, {**env.extra, **extra}))
            # One root for both servers: they share the database and the secret key.
            root = root or make_account(cli, server.url, "root", "--root")
            found[store] = Site(server.url, secret_key, cli, root, http, store)
        yield found


@pytest.fixture(params=STORES)
def site(request: pytest.FixtureRequest, sites: dict[str, Site]) -> Site:
    """For what depends on where revocations are kept."""
    return sites[request.param]


@pytest.fixture
def any_site(sites: dict[str, Site]) -> Site:
    """For what does not: checking a token's signature and expiry."""
    return sites["table"]


def test_a_token_signed_with_another_key_is_refused(any_site: Site) -> None:
    a = any_site.account("forger")
    now = datetime.now(UTC)
    forged, _ = TokenSigner(secrets.token_urlsafe(48), timedelta(minutes=15)).issue(
        a.user_id, "root", a.session_id, now
    )
    for path in ("/api/auth/me", "/api/admin/users"):
        response = any_site.get(path, forged)
        assert response.status_code == 401, response.text
        assert "not valid" in response.json()["error"]["message"]
    assert any_site.get("/api/auth/me", a.access_token).status_code == 200


def test_an_expired_access_token_is_refused(any_site: Site) -> None:
    a = any_site.account("late")
    signer = TokenSigner(any_site.secret_key, timedelta(minutes=15))
    fresh, _ = signer.issue(a.user_id, "user", a.session_id, datetime.now(UTC))
    assert any_site.get("/api/auth/me", fresh).status_code == 200  # the server's own key: a real token
    expired, _ = signer.issue(a.user_id, "user", a.session_id, datetime.now(UTC) - timedelta(minutes=16))
    response = any_site.get("/api/auth/me", expired)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_unsigned_and_wrong_kind_tokens_are_refused(any_site: Site) -> None:
    a = any_site.account("tamper")
    header, payload, signature = a.access_token.split(".")
    claims = jwt.decode(a.access_token, options={"verify_signature": False})
    raised = _segment({**claims, "role": "root"})
    unsigned = _segment({"alg": "none", "typ": "JWT"})
    for token in (
        f"{header}.{raised}.{signature}",  # role changed, signature kept
        f"{unsigned}.{raised}.",  # alg none
        f"{unsigned}.{payload}.",
        a.refresh_token,  # a refresh token is not an access token
        a.access_token[:-4],
    ):
        for path in ("/api/auth/me", "/api/admin/users"):
            assert any_site.get(path, token).status_code == 401, (token, path)
    hs512 = jwt.encode({**claims, "role": "root"}, "a-guess-" * 10, algorithm="HS512")
    assert any_site.get("/api/admin/users", hs512).status_code == 401


def test_logout_refuses_the_sessions_access_and_refresh_tokens(site: Site) -> None:
    a = site.account("leaver")
    other = login(site.url, a.email).json()
    assert site.get("/api/auth/me", a.access_token).status_code == 200
    out = site.http.post(f"{site.url}/api/auth/logout", headers=a.auth)
    assert out.status_code == 204
    response = site.get("/api/auth/me", a.access_token)
    assert response.status_code == 401
    assert "ended" in response.json()["error"]["message"]
    assert site.refresh(a.refresh_token).status_code == 401
    # Only that session ended.
    assert site.get("/api/auth/me", other["access_token"]).status_code == 200
    ended = site.http.post(f"{site.url}/api/auth/logout-all", headers=bearer(other["access_token"]))
    assert ended.status_code == 200 and ended.json() == {"ended": 1}
    assert site.get("/api/auth/me", other["access_token"]).status_code == 401
    assert site.refresh(other["refresh_token"]).status_code == 401


def test_a_refresh_token_works_once_and_then_rotates(any_site: Site) -> None:
    a = any_site.account("rotor")
    first = any_site.refresh(a.refresh_token)
    assert first.status_code == 200, first.text
    second = any_site.refresh(first.json()["refresh_token"])
    assert second.status_code == 200
    assert second.json()["session_id"] == a.session_id
    assert len({a.refresh_token, first.json()["refresh_token"], second.json()["refresh_token"]}) == 3
    assert any_site.get("/api/auth/me", second.json()["access_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_ends_the_whole_session(site: Site) -> None:
    a = site.account("thief")
    rotated = site.refresh(a.refresh_token)
    assert rotated.status_code == 200
    newer = rotated.json()
    reused = site.refresh(a.refresh_token)  # the copy someone else kept
    assert reused.status_code == 401
    assert "already used" in reused.json()["error"]["message"]
    # The legitimate holder's newer tokens stop working too: the whole session has ended.
    assert site.refresh(newer["refresh_token"]).status_code == 401
    assert site.get("/api/auth/me", newer["access_token"]).status_code == 401
    sessions = site.get("/api/auth/sessions", login(site.url, a.email).json()["access_token"]).json()
    assert a.session_id not in {s["id"] for s in sessions}


def test_a_new_password_signs_out_every_other_session(site: Site) -> None:
    a = site.account("mover")
    other = login(site.url, a.email).json()
    new_password = "another-Long-passphrase-9"
    changed = site.http.patch(
        f"{site.url}/api/user/profile",
        json={"password": new_password, "current_password": PASSWORD},
        headers=a.auth,
    )
    assert changed.status_code == 200, changed.text
    assert "password" not in changed.text.replace("has_password", "")
    assert site.get("/api/auth/me", other["access_token"]).status_code == 401
    assert site.refresh(other["refresh_token"]).status_code == 401
    assert site.get("/api/auth/me", a.access_token).status_code == 200  # the session that changed it
    assert site.refresh(a.refresh_token).status_code == 200
    assert site.login_is_refused(a.email)
    assert login(site.url, a.email, new_password).status_code == 200


def test_disabling_a_user_ends_their_sessions_and_keys(site: Site) -> None:
    a = site.account_with_key("banned")
    assert site.http.get(f"{site.url}/api/balance", headers=bearer(a.api_key)).status_code == 200
    disabled = site.http.patch(
        f"{site.url}/api/admin/users/{a.user_id}", json={"is_active": False}, headers=site.root.auth
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["is_active"] is False
    assert site.get("/api/auth/me", a.access_token).status_code == 401
    assert site.refresh(a.refresh_token).status_code == 401
    assert site.http.get(f"{site.url}/api/balance", headers=bearer(a.api_key)).status_code == 401
    assert site.login_is_refused(a.email)
    enabled = site.http.patch(
        f"{site.url}/api/admin/users/{a.user_id}", json={"is_active": True}, headers=site.root.auth
    )
    assert enabled.status_code == 200
    assert login(site.url, a.email).status_code == 200
    assert site.http.get(f"{site.url}/api/balance", headers=bearer(a.api_key)).status_code == 200


def test_a_demoted_administrator_loses_admin_rights_at_once(site: Site) -> None:
    admin = site.account_with_key("demoted", "--admin")
    assert site.get("/api/admin/users", admin.access_token).status_code == 200
    demoted = site.http.patch(
        f"{site.url}/api/admin/users/{admin.user_id}", json={"role": "user"}, headers=site.root.auth
    )
    assert demoted.status_code == 200 and demoted.json()["role"] == "user"
    # Its access token still says "admin", but its session has ended.
    assert site.get("/api/admin/users", admin.access_token).status_code == 401
    assert site.refresh(admin.refresh_token).status_code == 401
    again = login(site.url, admin.email).json()
    assert site.get("/api/admin/users", again["access_token"]).status_code == 403
    by_key = site.http.get(f"{site.url}/api/admin/users", headers=bearer(admin.api_key))
    assert by_key.status_code == 403
