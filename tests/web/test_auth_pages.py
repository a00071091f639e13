"""Sign-up, sign-in and sign-out in a real browser: back to the page one came from, errors as people read
them, the session in httpOnly cookies only, and the account's language."""

from __future__ import annotations

import re
import secrets

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import PASSWORD, ContextFactory, Shoot, ShootAll, Site


def stored_values(page: Page) -> str:
    return str(
        page.evaluate(
            "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
        )
    )


def session_cookies(context: BrowserContext) -> dict[str, dict[str, object]]:
    return {str(c["name"]): dict(c) for c in context.cookies()}


def test_sign_up_lands_back_where_one_was_then_sign_out(page: Page, site: Site) -> None:
    email = f"new-{secrets.token_hex(4)}@example.com"
    page.goto("/rankings")
    page.get_by_test_id("sign-in-link").click()
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Frankings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Modelyard")
    page.get_by_role("link", name="Create one").click()
    expect(page).to_have_url(re.compile(r"/signup\?next=%2Frankings$"))
    # The URL changes at once; the sign-in form stays until the sign-up page's code has loaded.
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your Modelyard account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_test_id("submit").click()

    expect(page).to_have_url(re.compile(r"/rankings$"))
    page.get_by_test_id("account-menu").click()
    expect(page.get_by_test_id("account-email")).to_have_text(email)

    # The session is in httpOnly cookies; nothing readable by scripts holds a token.
    cookies = session_cookies(page.context)
    assert cookies["my_access"]["httpOnly"] is True
    assert cookies["my_refresh"]["httpOnly"] is True
    stored = stored_values(page)
    assert str(cookies["my_access"]["value"]) not in stored
    assert str(cookies["my_refresh"]["value"]) not in stored

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in-link")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/rankings$"))
    assert "my_access" not in session_cookies(page.context)
    assert page.request.get("/api/auth/me").status == 401


def test_a_wrong_password_says_so_and_the_right_one_signs_in(page: Page, site: Site) -> None:
    user = site.user("signin")
    page.goto("/signin?next=%2Fmodels")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=False).first.fill("not-the-password")
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password.")
    expect(page).to_have_url(re.compile(r"/signin"))

    page.get_by_label("Password", exact=False).first.fill(user.password)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/models$"))
    expect(page.get_by_test_id("account-menu")).to_be_visible()


def test_too_many_failures_show_when_to_try_again(page: Page, site: Site) -> None:
    user = site.user("limited")
    for _ in range(5):  # MODELYARD_LOGIN_MAX_FAILURES_PER_ACCOUNT's default
        httpx.post(f"{site.url}/api/auth/login", json={"email": user.email, "password": "wrong-guess-xx"})
    page.goto("/signin")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=False).first.fill(user.password)
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many attempts. Try again in 15 minutes.")


def test_no_google_button_unless_the_server_has_it(page: Page, site: Site) -> None:
    options = httpx.get(f"{site.url}/api/auth/options").json()
    assert options == {
        "signup_mode": "open",
        "password_min_length": 10,
        "oidc_enabled": False,
        "oidc_provider_name": "Google",
    }
    page.goto("/signin")
    expect(page.get_by_test_id("submit")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("oidc-button")).to_have_count(0)


def test_the_account_keeps_the_language_it_was_made_in(new_context: ContextFactory, site: Site) -> None:
    email = f"zh-{secrets.token_hex(4)}@example.com"
    page = new_context(language="zh-CN").new_page()
    page.goto("/signup")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="创建账户").click()
    expect(page.get_by_test_id("account-menu")).to_be_visible()
    assert page.request.get("/api/user/preferences").json()["language"] == "zh-CN"

    # Changing it while signed in changes the account's preference, which another browser then shows.
    page.get_by_test_id("language-switch").click()
    page.get_by_test_id("language-en").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Models")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    other = new_context(language="zh-CN").new_page()
    login = other.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert login.ok
    other.goto("/")
    expect(other.get_by_role("banner").get_by_role("link", name="Models")).to_be_visible()
    expect(other.locator("html")).to_have_attribute("lang", "en")


def test_signed_in_visitors_skip_the_sign_in_page(new_context: ContextFactory, site: Site) -> None:
    user = site.user("already")
    context = new_context()
    assert context.request.post("/api/auth/login", data={"email": user.email, "password": user.password}).ok
    page = context.new_page()
    page.goto("/signin?next=%2Fmodels%2Fopenai%2Fgpt-4o")
    expect(page).to_have_url(re.compile(r"/models/openai/gpt-4o$"))
    page.goto("/signin?next=https%3A%2F%2Fevil.example%2F")
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))


def test_screenshots_of_the_sign_in_and_sign_up_pages(
    shoot_all: ShootAll, shoot: Shoot, new_context: ContextFactory
) -> None:
    shoot_all("/signin", "signin")
    shoot_all("/signup", "signup")
    shoot_all("/signin", "signin", language="zh-CN")
    shoot_all("/signup", "signup", language="zh-CN")

    # The error state, once.
    page = new_context().new_page()
    page.goto("/signin")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password", exact=False).first.fill("not-the-password")
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("alert")).to_be_visible()
    shoot(page, "signin-error-desktop-light-en")
