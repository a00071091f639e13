"""Every route of the live OpenAPI document under /api/: anonymous callers are refused, plain users are
refused every admin route, one user never reaches another's data, and cookie-authenticated changes need the
CSRF header. Routes are discovered, not listed, so routes added later are checked too."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.security.helpers import (
    TIMEOUT,
    UNSAFE,
    Account,
    Api,
    Operation,
    api_client,
    bearer,
    call,
    cookie_client,
    csrf_header,
    fill,
    login,
    make_account,
    user_rows,
)


@dataclass
class World:
    url: str
    database_url: str
    api: Api
    a: Account
    b: Account
    admin: Account
    root: Account
    a_other_session: str  # A is signed in twice
    a_key_id: int
    a_key_hash: str
    a_generation: str  # A made one request
    a_markers: list[str]  # strings only A's data contains
    http: httpx.Client
    b_management_key: str | None  # when the server has the keys API

    def b_credentials(self) -> list[tuple[str, dict[str, str]]]:
        found = [("token", self.b.auth), ("API key", bearer(self.b.api_key))]
        if self.b_management_key:
            found.append(("management key", bearer(self.b_management_key)))
        return found

    def candidates(self, param: str) -> list[str]:
        """A's identifiers a parameter of this name could take."""
        name = param.lower()
        sessions = [self.a.session_id, self.a_other_session]
        keys = [str(self.a_key_id), self.a_key_hash]
        if "session" in name:
            return sessions
        if "user" in name:
            return [str(self.a.user_id)]
        if "key" in name or "hash" in name:
            return keys
        if "generation" in name:
            return [self.a_generation]
        return [str(self.a.user_id), *sessions, *keys, self.a_generation]


@pytest.fixture(scope="module")
def world(
    env: Env,
    cli: Cli,
    server_factory: Callable[[Env], Server],
    database_url: str,
    upstream: FakeOpenAIUpstream,
) -> Iterator[World]:
    server = server_factory(env)
    marker = secrets.token_hex(6)
    a = make_account(cli, server.url, "alice", key_name=f"alice-key-{marker}")
    b = make_account(cli, server.url, "bob")
    admin = make_account(cli, server.url, "admin", "--admin")
    root = make_account(cli, server.url, "root", "--root")
    cli("credits", "grant", a.email, "5")
    with api_client() as http:
        other = login(server.url, a.email)
        assert other.status_code == 200
        named = http.patch(
            f"{server.url}/api/user/profile", json={"display_name": f"Alice {marker}"}, headers=a.auth
        )
        assert named.status_code == 200, named.text
        channel = http.post(
            f"{server.url}/api/admin/channels",
            json={"name": "isolation", "provider": "openai", "base_url": upstream.base_url,
                  "api_key": upstream.api_key, "models": [{"slug": "openai/gpt-4o-mini"}]},
            headers=admin.auth,
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        chat = http.post(
            f"{server.url}/v1/chat/completions",
            json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": f"hi {marker}"}]},
            headers=bearer(a.api_key),
        )
        assert chat.status_code == 200, chat.text
        generation = chat.json()["id"]
        wait_until(
            lambda: bool(
                query(database_url, "SELECT 1 FROM request_logs WHERE generation_id = :g", g=generation)
            ),
            what="A's request to be settled",
        )
        ((key_id, key_hash, label),) = query(
            database_url, "SELECT id, key_hash, label FROM api_keys WHERE user_id = :u", u=a.user_id
        )
        api = Api.load(server.url)
        management_key = None
        if any(str(op) == "POST /api/keys" for op in api.operations()):
            made = http.post(
                f"{server.url}/api/keys", json={"name": "b-management", "is_management": True}, headers=b.auth
            )
            assert made.status_code == 201, made.text
            management_key = made.json()["key"]
        yield World(
            url=server.url,
            database_url=database_url,
            api=api,
            a=a,
            b=b,
            admin=admin,
            root=root,
            a_other_session=other.json()["session_id"],
            a_key_id=key_id,
            a_key_hash=key_hash,
            a_generation=generation,
            a_markers=[a.email, a.session_id, other.json()["session_id"], key_hash, marker, a.api_key, label,
                       generation],
            http=http,
            b_management_key=management_key,
        )  # fmt: skip


def placeholder_path(op: Operation) -> str:
    return fill(op.path, dict.fromkeys(op.path_params, "999999"))


def test_the_document_lists_the_account_and_admin_routes(world: World) -> None:
    listed = {str(op) for op in world.api.operations()}
    for expected in (
        "GET /api/auth/sessions",
        "DELETE /api/auth/sessions/{session_id}",
        "GET /api/user/profile",
        "PATCH /api/user/profile",
        "GET /api/user/preferences",
        "PATCH /api/user/preferences",
        "GET /api/admin/users",
        "PATCH /api/admin/users/{user_id}",
        "POST /api/admin/invites",
    ):
        assert expected in listed


def test_the_document_says_which_routes_need_a_credential(world: World) -> None:
    # The anonymous test below proves every other route refuses anonymous callers; the reference must say
    # the same, or its readers (and /docs' "Authorize") would be misled.
    operations = world.api.operations()
    assert {str(op) for op in operations if op.is_documented_public} == {
        str(op) for op in operations if op.is_public
    }


def test_anonymous_callers_are_refused_everything_but_signing_in(world: World) -> None:
    checked = []
    for op in world.api.operations():
        if op.is_public:
            if op.method == "GET":  # public, but nobody's own data
                assert_nothing_of_a(world, call(world.http, world.url, op, op.path, {}), str(op))
            continue
        forged_cookie = {"Cookie": "my_access=forged; my_csrf=c", "X-CSRF-Token": "c"}
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, forged_cookie):
            response = call(world.http, world.url, op, placeholder_path(op), headers, world.api.body_for(op))
            assert response.status_code == 401, f"{op} {headers}: {response.status_code} {response.text}"
            assert response.json()["error"]["code"] == 401
        checked.append(op)
    assert len(checked) >= 30
    assert any(op.is_admin for op in checked)


def test_a_plain_user_is_refused_every_admin_route(world: World) -> None:
    admin_ops = [op for op in world.api.operations() if op.is_admin]
    assert len(admin_ops) >= 15
    for op in admin_ops:
        path = fill(op.path, {name: world.candidates(name)[0] for name in op.path_params})
        for who, headers in world.b_credentials():
            response = call(world.http, world.url, op, path, headers, world.api.body_for(op))
            assert response.status_code == 403, f"{op} as B by {who}: {response.status_code} {response.text}"
        anonymous = call(world.http, world.url, op, path, {}, world.api.body_for(op))
        assert anonymous.status_code == 401, f"{op} anonymous: {anonymous.status_code}"


def test_user_b_never_reaches_user_a(world: World) -> None:
    before = user_rows(world.database_url, world.a.user_id)
    tried = 0
    for op in world.api.operations():
        if op.is_public or op.is_admin:
            continue
        body = world.api.body_for(op)
        for who, headers in world.b_credentials():
            if op.path_params:
                # Every combination of A's identifiers the path can take: refused, and nothing of A shown.
                choices = [
                    [
                        v
                        for v in world.candidates(name)
                        if v.isdigit() or op.path_param_type(name) != "integer"
                    ]
                    for name in op.path_params
                ]
                for values in itertools.product(*choices):
                    path = fill(op.path, dict(zip(op.path_params, values, strict=True)))
                    response = call(world.http, world.url, op, path, headers, body)
                    tried += 1
                    # 401: this route takes another kind of credential (an API key, a management key).
                    assert response.status_code in (401, 403, 404), (
                        f"{op} as B by {who} on {path}: {response.status_code} {response.text}"
                    )
                    assert_nothing_of_a(world, response, f"{op} {path}", values)
            elif op.method == "GET":
                # B's own view, also when a query parameter names one of A's identifiers.
                required = {
                    p["name"]: world.api.sample(p.get("schema", {}))
                    for p in op.query_params
                    if p.get("required")
                }
                if not required:
                    response = call(world.http, world.url, op, op.path, headers)
                    # (Some routes take only one kind of credential: a refusal shows nothing either.)
                    assert response.status_code in (200, 401, 403), f"{op} as B by {who}: {response.text}"
                    assert_nothing_of_a(world, response, str(op))
                for param in op.query_params:
                    name = param["name"]
                    if any(
                        word in name.lower()
                        for word in ("user", "key", "session", "hash", "id", "generation")
                    ):
                        for value in world.candidates(name):
                            params = {**required, name: value}
                            response = call(world.http, world.url, op, op.path, headers, params=params)
                            tried += 1
                            assert response.status_code < 500, f"{op}?{name}={value}: {response.text}"
                            assert_nothing_of_a(world, response, f"{op}?{name}={value}", (value,))
    assert tried >= 4  # at least the session routes
    # Nothing of A changed, and A is still signed in both times.
    assert user_rows(world.database_url, world.a.user_id) == before
    for token in (world.a.access_token,):
        me = world.http.get(f"{world.url}/api/auth/me", headers=bearer(token), timeout=TIMEOUT)
        assert me.status_code == 200 and me.json()["id"] == world.a.user_id
    sessions = world.http.get(f"{world.url}/api/auth/sessions", headers=world.a.auth, timeout=TIMEOUT).json()
    assert {s["id"] for s in sessions} == {world.a.session_id, world.a_other_session}
    balance = world.http.get(f"{world.url}/api/balance", headers=bearer(world.a.api_key))
    assert balance.status_code == 200
    ((nanos,),) = query(
        world.database_url, "SELECT balance_nanos FROM users WHERE id = :u", u=world.a.user_id
    )
    assert 0 < nanos < 5_000_000_000  # granted 5, charged for one request, nothing else


def assert_nothing_of_a(
    world: World, response: httpx.Response, what: str, sent: tuple[str, ...] = ()
) -> None:
    """No marker of A's in the answer, except what B sent (an error may repeat the identifier asked for)."""
    text = response.text
    for value in sent:
        text = text.replace(value, "")
    for marker in world.a_markers:
        assert marker not in text, f"{what} showed B some of A's data ({marker!r}): {response.text}"


def test_b_cannot_end_a_session_of_a(world: World) -> None:
    for session_id in (world.a.session_id, world.a_other_session):
        ended = world.http.delete(
            f"{world.url}/api/auth/sessions/{session_id}", headers=world.b.auth, timeout=TIMEOUT
        )
        assert ended.status_code == 404
    still = world.http.get(f"{world.url}/api/auth/me", headers=world.a.auth, timeout=TIMEOUT)
    assert still.status_code == 200
    (revoked,) = query(
        world.database_url,
        "SELECT count(*) FROM auth_sessions WHERE user_id = :u AND revoked_at IS NOT NULL",
        u=world.a.user_id,
    )
    assert revoked == (0,)


def test_cookie_changes_without_the_csrf_header_are_refused_everywhere(world: World) -> None:
    # An administrator's browser: the header is the only thing refusing these.
    with cookie_client(world.url, world.admin.email) as browser:
        assert browser.get("/api/admin/users").status_code == 200  # reads need no header
        unsafe = [op for op in world.api.operations() if op.method in UNSAFE and not op.is_public]
        assert len([op for op in unsafe if op.takes_session_cookie]) >= 15
        for op in unsafe:
            body = world.api.body_for(op)
            path = placeholder_path(op)
            for headers in ({}, {"X-CSRF-Token": "not-the-cookie"}, {"X-CSRF-Token": ""}):
                response = browser.request(op.method, path, json=body, headers=headers)
                if not op.takes_session_cookie:
                    # The relay reads no cookie at all: refused for want of an API key.
                    assert response.status_code in (401, 403), f"{op} {headers}: {response.status_code}"
                    continue
                assert response.status_code == 403, f"{op} {headers}: {response.status_code} {response.text}"
                assert "CSRF" in response.json()["error"]["message"]
        # The same session still works: nothing above ended it.
        assert browser.get("/api/auth/me").json()["email"] == world.admin.email


def test_cookie_changes_with_the_csrf_header_are_accepted(world: World) -> None:
    with cookie_client(world.url, world.b.email) as browser:
        changed = browser.patch("/api/user/preferences", json={"theme": "dark"}, headers=csrf_header(browser))
        assert changed.status_code == 200, changed.text
        assert changed.json()["theme"] == "dark"
        routing = browser.put(
            "/api/account/routing", json={"strategy": "price"}, headers=csrf_header(browser)
        )
        assert routing.status_code == 200 and routing.json()["strategy"] == "price"

        refused = browser.post("/api/auth/refresh", json={})
        assert refused.status_code == 403
        refreshed = browser.post("/api/auth/refresh", json={}, headers=csrf_header(browser))
        assert refreshed.status_code == 200, refreshed.text
        assert browser.get("/api/auth/me").status_code == 200  # the new access cookie

        old_access = browser.cookies["my_access"]
        out = browser.post("/api/auth/logout", headers=csrf_header(browser))
        assert out.status_code == 204
        assert "my_access" not in browser.cookies
        again = world.http.get(f"{world.url}/api/auth/me", headers={"Cookie": f"my_access={old_access}"})
        assert again.status_code == 401


def test_an_administrator_sees_users_without_secrets(world: World) -> None:
    listed = world.http.get(
        f"{world.url}/api/admin/users", params={"search": "alice"}, headers=world.admin.auth, timeout=TIMEOUT
    )
    assert listed.status_code == 200, listed.text
    assert [u["email"] for u in listed.json()["data"]] == [world.a.email]
    (password_hash,) = query(
        world.database_url, "SELECT password_hash FROM users WHERE id = :u", u=world.a.user_id
    )[0]
    assert password_hash not in listed.text and "password_hash" not in listed.text
    assert world.a_key_hash not in listed.text
