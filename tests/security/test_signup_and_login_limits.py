"""Sign-up modes (open, invite, closed) and the limits on failed sign-ins, per account and per address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Cli, Env, Server
from tests.security.helpers import (
    NO_CATALOG,
    PASSWORD,
    Account,
    api_client,
    bearer,
    login,
    make_account,
    unique_email,
)

MAX_PER_ACCOUNT = 3
MAX_PER_IP = 4


@dataclass
class Sites:
    open: str
    invite: str
    closed: str
    admin: Account
    http: httpx.Client

    def signup(self, url: str, email: str, **extra: str) -> httpx.Response:
        return self.http.post(f"{url}/api/auth/signup", json={"email": email, "password": PASSWORD, **extra})

    def invite_code(self, **body: object) -> str:
        made = self.http.post(f"{self.open}/api/admin/invites", json=body, headers=self.admin.auth)
        assert made.status_code == 201, made.text
        code: str = made.json()["code"]
        return code


@pytest.fixture(scope="module")
def sites(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> Iterator[Sites]:
    env.extra.update(NO_CATALOG)

    def start(extra: dict[str, str]) -> str:
        return server_factory(Env(env.data_dir, env.database_url, {**env.extra, **extra})).url

    # No Redis here: failures would be counted there for 15 minutes per address (127.0.0.1), shared with every
    # other test's server.
    open_url = start(
        {
            "MODELYARD_SIGNUP_MODE": "open",
            "MODELYARD_LOGIN_MAX_FAILURES_PER_ACCOUNT": str(MAX_PER_ACCOUNT),
            "MODELYARD_LOGIN_MAX_FAILURES_PER_IP": "1000",
        }
    )
    # The first server made the schema; the others start together. Every test here signs in from
    # 127.0.0.1: only the closed server counts failures per address tightly.
    with ThreadPoolExecutor(2) as pool:
        invite_url, closed_url = pool.map(
            start,
            [
                {"MODELYARD_SIGNUP_MODE": "invite"},
                {"MODELYARD_SIGNUP_MODE": "closed", "MODELYARD_LOGIN_MAX_FAILURES_PER_IP": str(MAX_PER_IP)},
            ],
        )
    admin = make_account(cli, open_url, "admin", "--admin")
    with api_client() as http:
        yield Sites(open_url, invite_url, closed_url, admin, http)


def test_open_sign_up_creates_an_account_and_signs_it_in(sites: Sites) -> None:
    email = unique_email("newcomer")
    made = sites.signup(sites.open, email.upper(), display_name="New Comer")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["user"]["email"] == email and body["user"]["role"] == "user"
    assert (
        sites.http.get(f"{sites.open}/api/auth/me", headers=bearer(body["access_token"])).status_code == 200
    )
    again = sites.signup(sites.open, email)
    assert again.status_code == 409 and again.json()["error"]["metadata"]["field"] == "email"
    weak = sites.signup(sites.open, unique_email("weak"), password="short")
    assert weak.status_code == 400 and weak.json()["error"]["metadata"]["field"] == "password"
    # Sign-up never makes an administrator, whatever the body says.
    sneaky = sites.http.post(
        f"{sites.open}/api/auth/signup",
        json={"email": unique_email("sneaky"), "password": PASSWORD, "role": "root"},
    )
    assert sneaky.status_code == 400


def test_invite_only_sign_up_needs_a_valid_unused_code(sites: Sites) -> None:
    email = unique_email("invited")
    assert sites.signup(sites.invite, email).status_code == 403
    assert sites.signup(sites.invite, email, invite_code="myi-made-up").status_code == 403
    code = sites.invite_code()
    made = sites.signup(sites.invite, email, invite_code=code)
    assert made.status_code == 201, made.text
    reused = sites.signup(sites.invite, unique_email("second"), invite_code=code)
    assert reused.status_code == 403 and "not valid" in reused.json()["error"]["message"]

    someone = unique_email("someone")
    for_someone = sites.invite_code(email=someone)
    assert sites.signup(sites.invite, unique_email("other"), invite_code=for_someone).status_code == 403
    # A code refused to the wrong address stays usable by its own.
    assert sites.signup(sites.invite, someone, invite_code=for_someone).status_code == 201


def test_closed_sign_up_refuses_everyone(sites: Sites) -> None:
    code = sites.invite_code()
    for extra in ({}, {"invite_code": code}):
        refused = sites.signup(sites.closed, unique_email("late"), **extra)
        assert refused.status_code == 403, refused.text
        assert "closed" in refused.json()["error"]["message"]


def test_failed_sign_ins_are_limited_per_account(sites: Sites) -> None:
    email = unique_email("target")
    assert sites.signup(sites.open, email).status_code == 201
    bystander = unique_email("bystander")
    assert sites.signup(sites.open, bystander).status_code == 201
    for _ in range(MAX_PER_ACCOUNT):
        failed = login(sites.open, email, "wrong-password-1")
        assert failed.status_code == 401
    for password, spelled in (
        (PASSWORD, email),
        ("wrong-password-1", email),
        (PASSWORD, f" {email.upper()} "),
    ):
        blocked = login(sites.open, spelled, password)  # even the right password, however the email is spelt
        assert blocked.status_code == 429, blocked.text
        assert int(blocked.headers["Retry-After"]) > 0
        assert blocked.json()["error"]["metadata"]["error_type"] == "rate_limit_exceeded"
    assert login(sites.open, bystander).status_code == 200


def test_a_success_before_the_limit_resets_the_count(sites: Sites) -> None:
    email = unique_email("forgetful")
    assert sites.signup(sites.open, email).status_code == 201
    for _ in range(2):
        for _ in range(MAX_PER_ACCOUNT - 1):
            assert login(sites.open, email, "wrong-password-1").status_code == 401
        assert login(sites.open, email).status_code == 200


def test_wrong_current_passwords_count_as_failed_sign_ins(sites: Sites) -> None:
    email = unique_email("guessed")
    made = sites.signup(sites.open, email)
    token = made.json()["access_token"]
    body = {"password": "a-New-passphrase-42", "current_password": "wrong-guess-123"}
    for _ in range(MAX_PER_ACCOUNT):
        wrong = sites.http.patch(f"{sites.open}/api/user/profile", json=body, headers=bearer(token))
        assert wrong.status_code == 400
    blocked = sites.http.patch(
        f"{sites.open}/api/user/profile", json={**body, "current_password": PASSWORD}, headers=bearer(token)
    )
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert login(sites.open, email).status_code == 429


def test_failed_sign_ins_are_limited_per_address(sites: Sites) -> None:
    for _ in range(MAX_PER_IP):
        assert login(sites.closed, unique_email("spray"), "wrong-password-1").status_code == 401
    blocked = login(sites.closed, sites.admin.email)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_parallel_guesses_are_limited_too(sites: Sites) -> None:
    email = unique_email("burst")
    assert sites.signup(sites.open, email).status_code == 201
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: login(sites.open, email, f"guess-{i}-password").status_code, range(16))
        )
    checked = answers.count(401)  # passwords actually tried
    assert answers.count(429) + checked == len(answers)
    assert checked <= MAX_PER_ACCOUNT, f"{checked} passwords tried at once, the limit is {MAX_PER_ACCOUNT}"
