"""The session endpoints: sign-in, refresh, sign-out, the list of sessions, and the browser's cookies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from tests.conftest import Cli, Env, Server, query
from tests.security.helpers import (
    NO_CATALOG,
    PASSWORD,
    TIMEOUT,
    api_client,
    bearer,
    csrf_header,
    login,
    unique_email,
)


@dataclass
class Site:
    url: str
    cli: Cli
    database_url: str
    http: httpx.Client

    def user(self, tag: str) -> str:
        email = unique_email(tag)
        self.cli("users", "create", email, "--password", PASSWORD)
        return email

    def refresh(self, token: str) -> httpx.Response:
        return self.http.post(f"{self.url}/api/auth/refresh", json={"refresh_token": token})

    def get(self, path: str, token: str) -> httpx.Response:
        return self.http.get(f"{self.url}{path}", headers=bearer(token))


@pytest.fixture(scope="module")
def site(env: Env, cli: Cli, server_factory: Callable[[Env], Server], database_url: str) -> Iterator[Site]:
    env.extra.update(NO_CATALOG)
    server = server_factory(env)
    with api_client() as http:
        yield Site(server.url, cli, database_url, http)


def test_login_answers_tokens_and_the_user(site: Site) -> None:
    email = site.user("login")
    response = login(site.url, f"  {email.upper()} ", **{"User-Agent": "pytest-browser/1.0"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"].startswith(f"myr_{body['session_id']}.0.")
    assert datetime.fromisoformat(body["expires_at"]) < datetime.fromisoformat(body["refresh_expires_at"])
    assert body["user"] == {
        "id": body["user"]["id"],
        "email": email,
        "display_name": None,
        "role": "user",
        "has_password": True,
        "google_linked": False,
    }
    me = site.get("/api/auth/me", body["access_token"])
    assert me.status_code == 200 and me.json()["email"] == email
    ((stored,),) = query(
        site.database_url, "SELECT refresh_hash FROM auth_sessions WHERE id = :s", s=body["session_id"]
    )
    assert stored not in body["refresh_token"]  # only a hash of the secret is kept


def test_login_sets_hardened_cookies(site: Site) -> None:
    email = site.user("cookies")
    response = login(site.url, email)
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert set(cookies) == {"my_access", "my_refresh", "my_csrf"}
    assert "httponly" in cookies["my_access"] and "samesite=lax" in cookies["my_access"]
    assert "httponly" in cookies["my_refresh"] and "samesite=strict" in cookies["my_refresh"]
    assert "path=/api/auth" in cookies["my_refresh"]
    assert "httponly" not in cookies["my_csrf"]  # the page reads it to send the header
    # Behind a TLS-terminating proxy the cookies are Secure.
    proxied = login(site.url, email, **{"X-Forwarded-Proto": "https"})
    assert all("secure" in c.lower() for c in proxied.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("email_of", "password", "status"),
    [
        ("known", "wrong-password-1", 401),
        ("unknown", PASSWORD, 401),
        ("known", "", 401),
        ("known", "x" * 300, 401),
    ],
)
def test_bad_sign_ins_say_nothing_about_the_account(
    site: Site, email_of: str, password: str, status: int
) -> None:
    email = site.user("bad") if email_of == "known" else unique_email("unknown")
    response = login(site.url, email, password)
    assert response.status_code == status
    assert response.json()["error"]["message"] == "Wrong email or password"
    assert "set-cookie" not in response.headers


def test_login_refuses_unknown_fields_and_disabled_accounts(site: Site) -> None:
    email = site.user("disabled")
    extra = site.http.post(
        f"{site.url}/api/auth/login", json={"email": email, "password": PASSWORD, "otp": "1"}
    )
    assert extra.status_code == 400 and "otp" in extra.json()["error"]["message"]
    query(site.database_url, "UPDATE users SET is_active = false WHERE email = :e", e=email)
    assert login(site.url, email).status_code == 401


def test_refresh_rotates_and_refuses_what_is_not_a_current_token(site: Site) -> None:
    email = site.user("refresh")
    first = login(site.url, email).json()
    rotated = site.refresh(first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["session_id"] == first["session_id"]
    assert second["refresh_token"].startswith(f"myr_{first['session_id']}.1.")
    assert second["access_token"] != first["access_token"]
    session_id, generation, secret = second["refresh_token"].removeprefix("myr_").split(".")
    for bad in (
        "",
        "not-a-token",
        f"myr_{session_id}.{generation}.{secret[:-2]}xx",  # wrong secret
        f"myr_{session_id}.7.{secret}",  # a generation never issued
        f"myr_{'0' * 32}.0.{secret}",  # no such session
        first["access_token"],
    ):
        assert site.refresh(bad).status_code == 401, bad
    assert site.refresh(second["refresh_token"]).status_code == 200  # guesses did not end it
    nothing = site.http.post(f"{site.url}/api/auth/refresh", json={})
    assert nothing.status_code == 401


def test_sessions_are_listed_and_ended_one_by_one(site: Site) -> None:
    email = site.user("sessions")
    phone = login(site.url, email, **{"User-Agent": "phone/1"}).json()
    laptop = login(site.url, email, **{"User-Agent": "laptop/1"}).json()
    listed = site.get("/api/auth/sessions", laptop["access_token"])
    assert listed.status_code == 200
    rows = {s["id"]: s for s in listed.json()}
    assert set(rows) == {phone["session_id"], laptop["session_id"]}
    assert rows[laptop["session_id"]]["current"] is True and rows[phone["session_id"]]["current"] is False
    assert rows[phone["session_id"]]["user_agent"] == "phone/1"
    assert (
        rows[phone["session_id"]]["method"] == "password" and rows[phone["session_id"]]["ip"] == "127.0.0.1"
    )
    assert "refresh" not in listed.text and phone["refresh_token"] not in listed.text

    ended = site.http.delete(
        f"{site.url}/api/auth/sessions/{phone['session_id']}", headers=bearer(laptop["access_token"])
    )
    assert ended.status_code == 204
    assert site.get("/api/auth/me", phone["access_token"]).status_code == 401
    assert site.refresh(phone["refresh_token"]).status_code == 401
    again = site.http.delete(
        f"{site.url}/api/auth/sessions/{phone['session_id']}", headers=bearer(laptop["access_token"])
    )
    assert again.status_code == 404
    assert [s["id"] for s in site.get("/api/auth/sessions", laptop["access_token"]).json()] == [
        laptop["session_id"]
    ]


def test_logout_needs_a_session_and_logout_all_ends_every_one(site: Site) -> None:
    email = site.user("logout")
    key = site.cli("keys", "create", email, "--name", "k").stdout.strip().splitlines()[-1]
    by_key = site.http.post(f"{site.url}/api/auth/logout", headers=bearer(key))
    assert by_key.status_code == 400
    sessions = [login(site.url, email).json() for _ in range(3)]
    everything = site.http.post(f"{site.url}/api/auth/logout-all", headers=bearer(key))
    assert everything.status_code == 200 and everything.json() == {"ended": 3}
    for signed_in in sessions:
        assert site.get("/api/auth/me", signed_in["access_token"]).status_code == 401
        assert site.refresh(signed_in["refresh_token"]).status_code == 401
    assert site.http.get(f"{site.url}/api/balance", headers=bearer(key)).status_code == 200  # keys stay


def test_a_browser_session_from_sign_in_to_sign_out(site: Site) -> None:
    email = site.user("browser")
    with httpx.Client(base_url=site.url, timeout=TIMEOUT) as browser:
        assert browser.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
        assert browser.get("/api/auth/me").json()["email"] == email
        assert browser.get("/api/auth/sessions").json()[0]["current"] is True
        assert browser.post("/api/auth/refresh", json={}).status_code == 403  # the CSRF header is missing
        refreshed = browser.post("/api/auth/refresh", json={}, headers=csrf_header(browser))
        assert refreshed.status_code == 200
        assert browser.post("/api/auth/logout").status_code == 403
        assert browser.post("/api/auth/logout", headers=csrf_header(browser)).status_code == 204
        assert browser.get("/api/auth/me").status_code == 401
        assert browser.post("/api/auth/refresh", json={}).status_code == 401  # the cookie is gone


def test_a_refused_refresh_clears_the_session_cookies(site: Site) -> None:
    refused = site.refresh("myr_" + "0" * 32 + ".0.nothing")
    assert refused.status_code == 401
    cleared = {c.split("=", 1)[0] for c in refused.headers.get_list("set-cookie") if "max-age=0" in c.lower()}
    assert cleared == {"my_access", "my_refresh", "my_csrf"}
