"""The caller's profile and preferences, and the administration of users: field checks that name the field,
who may change whom, and responses that carry no secrets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Env, Server, query
from tests.security.helpers import (
    PASSWORD,
    Account,
    api_client,
    bearer,
    login,
    make_account,
    sign_up,
    unique_email,
)


@dataclass
class Site:
    url: str
    database_url: str
    http: httpx.Client
    cli: Cli
    admin: Account
    root: Account

    def call(self, method: str, path: str, who: Account | str, **kwargs: Any) -> httpx.Response:
        token = who if isinstance(who, str) else who.access_token
        return self.http.request(method, f"{self.url}{path}", headers=bearer(token), **kwargs)

    def user(self, tag: str) -> Account:
        return sign_up(self.http, self.url, tag)


@pytest.fixture(scope="module")
def site(env: Env, cli: Cli, server_factory: Callable[[Env], Server], database_url: str) -> Iterator[Site]:
    server = server_factory(env)
    admin = make_account(cli, server.url, "admin", "--admin")
    root = make_account(cli, server.url, "root", "--root")
    with api_client() as http:
        yield Site(server.url, database_url, http, cli, admin, root)


@pytest.fixture(scope="module")
def refused(site: Site) -> Account:
    """One user for every refused change: a refusal changes nothing."""
    return site.user("refused")


def assert_field_error(response: httpx.Response, field: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    assert error["metadata"]["field"] == field, error


# --- profile


def test_the_profile_shows_the_account_without_secrets(site: Site) -> None:
    a = site.user("profile")
    response = site.call("GET", "/api/user/profile", a)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == a.email and body["id"] == a.user_id
    assert body["has_password"] is True and body["google_linked"] is False
    assert body["display_name"] is None and body["avatar_url"] is None
    ((password_hash,),) = query(
        site.database_url, "SELECT password_hash FROM users WHERE id = :u", u=a.user_id
    )
    assert password_hash not in response.text and "password_hash" not in response.text


def test_name_and_avatar_change_and_clear(site: Site) -> None:
    a = site.user("avatar")
    changed = site.call(
        "PATCH",
        "/api/user/profile",
        a,
        json={"display_name": "  Ada Lovelace ", "avatar_url": "https://img.example.com/ada.png"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "Ada Lovelace"
    assert changed.json()["avatar_url"] == "https://img.example.com/ada.png"
    assert site.call("GET", "/api/user/profile", a).json()["display_name"] == "Ada Lovelace"
    cleared = site.call("PATCH", "/api/user/profile", a, json={"display_name": None, "avatar_url": None})
    assert cleared.json()["display_name"] is None and cleared.json()["avatar_url"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x" * 201}, "display_name"),
        ({"display_name": "bell\x07"}, "display_name"),
        ({"display_name": 12}, "display_name"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "ftp://files.example.com/a.png"}, "avatar_url"),
        ({"avatar_url": "https://"}, "avatar_url"),
        ({"avatar_url": "https://example.com/a b.png"}, "avatar_url"),
        ({"avatar_url": "https://example.com/" + "a" * 2000}, "avatar_url"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"password": "short", "current_password": PASSWORD}, "password"),
        ({"current_password": PASSWORD}, "current_password"),
        ({"nickname": "ada"}, "nickname"),
        ({"role": "root"}, "role"),
    ],
)
def test_bad_profile_fields_are_named(site: Site, refused: Account, body: dict[str, Any], field: str) -> None:
    before = site.call("GET", "/api/user/profile", refused).json()
    assert_field_error(
        site.call("PATCH", "/api/user/profile", refused, json={"display_name": "B", **body}), field
    )
    assert site.call("GET", "/api/user/profile", refused).json() == before  # nothing applied


def test_the_email_changes_normalised_and_unique(site: Site) -> None:
    a = site.user("mail")
    b = site.user("mail")
    new = unique_email("renamed")
    changed = site.call("PATCH", "/api/user/profile", a, json={"email": f"  {new.upper()} "})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == new
    assert login(site.url, new).status_code == 200
    assert login(site.url, a.email).status_code == 401
    taken = site.call("PATCH", "/api/user/profile", a, json={"email": b.email.upper()})
    assert_field_error(taken, "email", 409)
    assert site.call("GET", "/api/user/profile", a).json()["email"] == new


def test_a_password_change_needs_the_current_password(site: Site) -> None:
    a = site.user("pw")
    new_password = "a-New-passphrase-42"
    missing = site.call("PATCH", "/api/user/profile", a, json={"password": new_password})
    assert_field_error(missing, "current_password")
    wrong = site.call(
        "PATCH",
        "/api/user/profile",
        a,
        json={"password": new_password, "current_password": "wrong-guess-123"},
    )
    assert_field_error(wrong, "current_password")
    weak = site.call(
        "PATCH", "/api/user/profile", a, json={"password": "aaaaaaaaaaaa", "current_password": PASSWORD}
    )
    assert_field_error(weak, "password")
    same_as_email = site.call(
        "PATCH", "/api/user/profile", a, json={"password": a.email, "current_password": PASSWORD}
    )
    assert_field_error(same_as_email, "password")
    assert login(site.url, a.email).status_code == 200  # nothing changed so far
    done = site.call(
        "PATCH", "/api/user/profile", a, json={"password": new_password, "current_password": PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert login(site.url, a.email, new_password).status_code == 200


def test_an_account_without_a_password_may_set_one(site: Site) -> None:
    a = site.user("google")
    query(site.database_url, "UPDATE users SET password_hash = '' WHERE id = :u", u=a.user_id)
    assert site.call("GET", "/api/user/profile", a).json()["has_password"] is False
    assert login(site.url, a.email).status_code == 401
    new_password = "a-Fresh-passphrase-7"
    done = site.call("PATCH", "/api/user/profile", a, json={"password": new_password})
    assert done.status_code == 200, done.text
    assert done.json()["has_password"] is True
    assert login(site.url, a.email, new_password).status_code == 200


def test_an_api_key_cannot_change_the_email_or_password(site: Site) -> None:
    a = make_account(site.cli, site.url, "keyholder")
    for body, field in (
        ({"email": unique_email("stolen")}, "email"),
        ({"password": "a-Taken-over-pass-1", "current_password": PASSWORD}, "password"),
    ):
        response = site.call("PATCH", "/api/user/profile", a.api_key, json=body)
        assert_field_error(response, field, 403)
    named = site.call("PATCH", "/api/user/profile", a.api_key, json={"display_name": "By key"})
    assert named.status_code == 200


# --- preferences


def test_preferences_start_at_their_defaults(site: Site) -> None:
    a = site.user("prefs")
    response = site.call("GET", "/api/user/preferences", a)
    assert response.status_code == 200
    body = response.json()
    assert body["theme"] == "system" and body["language"] == "en"
    assert body["default_model"] is None and body["routing_strategy"] is None
    assert body["effective_routing_strategy"] == "default"
    assert body["low_balance_alert"]["threshold_is_default"] is True
    assert body["low_balance_alert"]["email"] == a.email
    assert "webhook_secret" not in response.text


def test_preferences_change_together_and_reach_the_other_apis(site: Site) -> None:
    a = site.user("prefs")
    changed = site.call(
        "PATCH",
        "/api/user/preferences",
        a,
        json={
            "theme": "dark",
            "language": "zh-CN",
            "default_model": "openai/gpt-4o",
            "routing_strategy": "price",
            "low_balance_alert": {
                "threshold": "2.50",
                "email": "alerts@example.com",
                "webhook_url": "https://hooks.example.com/low",
            },
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["theme"], body["language"], body["default_model"]) == ("dark", "zh-CN", "openai/gpt-4o")
    assert body["routing_strategy"] == "price" and body["effective_routing_strategy"] == "price"
    assert body["low_balance_alert"]["threshold"] == "2.5"
    assert site.call("GET", "/api/user/preferences", a).json() == body
    alerts = site.call("GET", "/api/balance/alerts", a).json()
    assert alerts["threshold"] == "2.5" and alerts["email"] == "alerts@example.com"
    assert alerts["webhook_url"] == "https://hooks.example.com/low"
    assert site.call("GET", "/api/account/routing", a).json()["strategy"] == "price"
    ((strategy,),) = query(site.database_url, "SELECT routing_strategy FROM users WHERE id = :u", u=a.user_id)
    assert strategy == "price"

    # Left out: unchanged; null: back to the default.
    reset = site.call(
        "PATCH",
        "/api/user/preferences",
        a,
        json={"theme": None, "routing_strategy": None, "low_balance_alert": {"threshold": None}},
    )
    assert reset.status_code == 200
    body = reset.json()
    assert body["theme"] == "system" and body["language"] == "zh-CN"
    assert body["routing_strategy"] is None and body["effective_routing_strategy"] == "default"
    assert body["low_balance_alert"]["threshold_is_default"] is True
    assert body["low_balance_alert"]["email"] == "alerts@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"theme": "blue"}, "theme"),
        ({"language": "fr"}, "language"),
        ({"default_model": "nobody/no-such-model"}, "default_model"),
        ({"routing_strategy": "fastest"}, "routing_strategy"),
        ({"low_balance_alert": {"threshold": "-1"}}, "low_balance_alert.threshold"),
        ({"low_balance_alert": {"threshold": "lots"}}, "low_balance_alert.threshold"),
        ({"low_balance_alert": {"email": "two@example.com, three@example.com"}}, "low_balance_alert.email"),
        ({"low_balance_alert": {"webhook_url": "file:///etc/passwd"}}, "low_balance_alert.webhook_url"),
        ({"low_balance_alert": {"webhook_url": "http://127.0.0.1:6379/"}}, "low_balance_alert.webhook_url"),
        ({"low_balance_alert": {"sms": "+100"}}, "low_balance_alert.sms"),
        ({"low_balance_alert": None}, "low_balance_alert"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_are_named(site: Site, refused: Account, body: dict[str, Any], field: str) -> None:
    before = site.call("GET", "/api/user/preferences", refused).json()
    assert_field_error(
        site.call("PATCH", "/api/user/preferences", refused, json={"theme": "dark", **body}), field
    )
    assert site.call("GET", "/api/user/preferences", refused).json() == before  # nothing applied


# --- users administration


def test_an_administrator_pages_and_searches_users(site: Site) -> None:
    tag = f"pager{unique_email('x')[2:10]}"
    made = [site.user(tag) for _ in range(3)]
    first = site.call("GET", "/api/admin/users", site.admin, params={"search": tag.upper(), "limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["total"] == 3 and len(page["data"]) == 2 and page["next_cursor"]
    rest = site.call(
        "GET",
        "/api/admin/users",
        site.admin,
        params={"search": tag, "limit": 2, "cursor": page["next_cursor"]},
    ).json()
    assert rest["next_cursor"] is None
    assert [u["email"] for u in page["data"] + rest["data"]] == [a.email for a in made]
    assert {"password_hash", "google_id"}.isdisjoint(page["data"][0])
    bad = site.call("GET", "/api/admin/users", site.admin, params={"cursor": "abc"})
    assert_field_error(bad, "cursor")
    assert_field_error(site.call("GET", "/api/admin/users", site.admin, params={"limit": 0}), "limit")
    like = site.call("GET", "/api/admin/users", site.admin, params={"search": "%"}).json()
    assert like["total"] == 0  # the search is a plain substring, not a pattern


def test_an_admin_may_disable_plain_users_but_not_touch_admins_or_roles(site: Site) -> None:
    user = site.user("plain")
    other_admin = make_account(site.cli, site.url, "admin2", "--admin")
    off = site.call("PATCH", f"/api/admin/users/{user.user_id}", site.admin, json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = site.call("PATCH", f"/api/admin/users/{user.user_id}", site.admin, json={"is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    for target, body in (
        (user.user_id, {"role": "admin"}),
        (other_admin.user_id, {"is_active": False}),
        (other_admin.user_id, {"role": "user"}),
        (site.root.user_id, {"is_active": False}),
        (site.admin.user_id, {"role": "root"}),
    ):
        response = site.call("PATCH", f"/api/admin/users/{target}", site.admin, json=body)
        assert response.status_code == 403, (target, body, response.text)
    roles = dict(query(site.database_url, "SELECT id, role FROM users WHERE id IN (:a, :b)",
                       a=user.user_id, b=other_admin.user_id))  # fmt: skip
    assert roles == {user.user_id: "user", other_admin.user_id: "admin"}
    assert site.call("GET", "/api/admin/users", other_admin).status_code == 200
    missing = site.call("PATCH", "/api/admin/users/987654321", site.admin, json={"is_active": False})
    assert missing.status_code == 404
    assert_field_error(
        site.call("PATCH", f"/api/admin/users/{user.user_id}", site.admin, json={"is_admin": True}),
        "is_admin",
    )
    assert_field_error(
        site.call("PATCH", f"/api/admin/users/{user.user_id}", site.root, json={"role": "owner"}), "role"
    )


def test_a_root_manages_roles_but_never_removes_the_last_root(site: Site) -> None:
    user = site.user("climber")
    promoted = site.call("PATCH", f"/api/admin/users/{user.user_id}", site.root, json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    fresh = login(site.url, user.email).json()["access_token"]
    assert site.call("GET", "/api/admin/users", fresh).status_code == 200

    roots = query(site.database_url, "SELECT count(*) FROM users WHERE role = 'root' AND is_active")
    assert roots == [(1,)]
    for body in ({"role": "admin"}, {"is_active": False}, {"role": "user", "is_active": False}):
        refused = site.call("PATCH", f"/api/admin/users/{site.root.user_id}", site.root, json=body)
        assert refused.status_code == 409, refused.text
        assert "last" in refused.json()["error"]["message"]

    second = site.call("PATCH", f"/api/admin/users/{user.user_id}", site.root, json={"role": "root"})
    assert second.status_code == 200
    second_token = login(site.url, user.email).json()["access_token"]
    # Now either root may step down, but not both.
    down = site.call("PATCH", f"/api/admin/users/{user.user_id}", second_token, json={"role": "user"})
    assert down.status_code == 200 and down.json()["role"] == "user"
    refused = site.call("PATCH", f"/api/admin/users/{site.root.user_id}", site.root, json={"role": "user"})
    assert refused.status_code == 409
    assert site.call("GET", "/api/admin/users", site.root).status_code == 200


def test_invites_are_shown_once_and_checked(site: Site) -> None:
    made = site.call("POST", "/api/admin/invites", site.admin, json={"email": " Guest@Example.com "})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["code"].startswith("myi-") and body["email"] == "guest@example.com"
    assert body["expires_at"] is not None
    stored = query(site.database_url, "SELECT code_hash FROM invites")
    assert body["code"] not in str(stored)
    forever = site.call("POST", "/api/admin/invites", site.admin, json={"expires_in_days": None})
    assert forever.status_code == 201 and forever.json()["expires_at"] is None
    assert_field_error(site.call("POST", "/api/admin/invites", site.admin, json={"email": "nope"}), "email")
    assert_field_error(
        site.call("POST", "/api/admin/invites", site.admin, json={"expires_in_days": 0}), "expires_in_days"
    )
    user = site.user("inviter")
    assert site.call("POST", "/api/admin/invites", user, json={}).status_code == 403
