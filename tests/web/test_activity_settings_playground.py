"""The signed-in Activity (/activity), Settings (/settings) and Playground (/playground) pages in a real
browser, against a server of their own with models on the fake upstream: the log matches the API, its filters
live in the URL, a request's drawer shows its fallback chain, the export downloads the filtered rows; the
profile, the language preference and the sessions change from the page; a streamed answer in the playground
shows its cost, lands in Activity and comes off the balance; and screenshots of each page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from tests.conftest import wait_until
from tests.fakes.openai_upstream import completion_text
from tests.web.conftest import (
    ContextFactory,
    Shoot,
    ShootAll,
    Site,
    SiteFactory,
    SiteUser,
    assert_fits_the_width,
    catalog_model,
    settle,
    sign_in,
)

FAST = catalog_model("acme/fast-1", name="Acme Fast 1")
CHAT = catalog_model("bolt/chat-2", name="Bolt Chat 2", prompt="0.000002", completion="0.000004")
BROKEN = catalog_model("zed/broken", name="Zed Broken")
SLOW = catalog_model("slow/poke", name="Slow Poke")
NARROW: ViewportSize = {"width": 360, "height": 780}


@dataclass
class Seeded:
    site: Site
    owner: SiteUser
    fallback: str  # the generation that failed over from zed/broken to acme/fast-1


@pytest.fixture(scope="module")
def site(site_factory: SiteFactory) -> Site:
    """A server of this module's own: the counts below are exact, whatever other modules seed."""
    return site_factory(MODELYARD_WEB_TEST_SITE="activity-settings-playground")


@pytest.fixture(scope="module")
def seeded(site: Site) -> Iterator[Seeded]:
    """Four models (one always failing, one slow); an owner with 3 + 2 requests and one that failed over."""
    site.serve_models([FAST, CHAT])
    site.serve_models([BROKEN], behaviour="fail-500")
    site.serve_models([SLOW], behaviour="chunks-60-delay-100ms")
    owner = site.user("activity", credits_usd="10")
    site.traffic("acme/fast-1", requests=3, user=owner, app="Web Tests")
    site.traffic("bolt/chat-2", requests=2, user=owner, stream=True)
    (before,) = site.sql("SELECT count(*) FROM request_logs")[0]
    response = httpx.post(
        f"{site.url}/v1/chat/completions",
        json={
            "model": "zed/broken",
            "models": ["acme/fast-1"],
            "messages": [{"role": "user", "content": "hi"}],
        },
        headers={"Authorization": f"Bearer {owner.api_key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    wait_until(
        lambda: site.sql("SELECT count(*) FROM request_logs")[0][0] > before, what="the fallback record"
    )
    yield Seeded(site, owner, response.headers["x-generation-id"])


def signed_in(
    new_context: ContextFactory, user: SiteUser, language: str = "en"
) -> tuple[BrowserContext, Page]:
    """A browser profile signed in as `user`, whose account's language is set to `language` (once signed in,
    the app shows the account's language, whatever this browser chose before)."""
    context = new_context(language=language)
    sign_in(context, user)
    save_language(context, language)
    return context, context.new_page()


def save_language(context: BrowserContext, language: str) -> None:
    csrf = next(c["value"] for c in context.cookies() if c.get("name") == "my_csrf")
    response = context.request.patch(
        "/api/user/preferences", data={"language": language}, headers={"X-CSRF-Token": csrf}
    )
    assert response.ok, response.text()


def api_json(page: Page, path: str) -> dict[str, object]:
    response = page.request.get(path)
    assert response.ok, response.text()
    body: dict[str, object] = response.json()
    return body


def row_ids(page: Page) -> list[str]:
    return [str(row.get_attribute("data-generation")) for row in page.get_by_test_id("log-row").all()]


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


# --- activity


def test_activity_lists_filters_details_and_exports_the_requests(
    seeded: Seeded, new_context: ContextFactory
) -> None:
    _, page = signed_in(new_context, seeded.owner)
    page.goto("/activity")
    expect(page.get_by_role("heading", level=1, name="Activity")).to_be_visible()
    logs = api_json(page, "/api/activity/logs")["data"]
    assert isinstance(logs, list) and len(logs) == 6
    expect(page.get_by_test_id("log-row")).to_have_count(6)
    assert row_ids(page) == [row["id"] for row in logs]
    expect(page.get_by_test_id("card-requests")).to_have_attribute("data-value", "6")
    expect(page.get_by_test_id("log-count")).to_have_attribute("data-count", "6")
    expect(page.get_by_test_id("usage-chart")).to_be_visible()
    expect(page.get_by_test_id("activity-window")).to_contain_text("UTC")

    # Filter by model: the URL and the table follow.
    page.get_by_test_id("filter-model").click()
    page.get_by_role("option", name="Bolt Chat 2").click()
    expect(page).to_have_url(re.compile(r"[?&]model=bolt%2Fchat-2"))
    expect(page.get_by_test_id("log-row")).to_have_count(2)
    chat_ids = [row["id"] for row in logs if row["model"] == "bolt/chat-2"]
    assert row_ids(page) == chat_ids
    expect(page.get_by_test_id("card-requests")).to_have_attribute("data-value", "2")

    # The export downloads the filtered rows.
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == chat_ids
    assert {r["model"] for r in rows} == {"bolt/chat-2"}
    assert download.value.suggested_filename == "modelyard-activity.csv"

    # Back: every request again; the failed-over one's drawer shows both attempts.
    page.go_back()
    expect(page.get_by_test_id("log-row")).to_have_count(6)
    page.locator(f'[data-testid="log-row"][data-generation="{seeded.fallback}"]').get_by_test_id(
        "log-open"
    ).click()
    expect(page).to_have_url(re.compile(rf"[?&]generation={seeded.fallback}"))
    drawer = page.get_by_test_id("generation-detail")
    expect(drawer).to_have_attribute("data-generation", seeded.fallback)
    attempts = drawer.get_by_test_id("attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_have_attribute("data-outcome", "failed")
    expect(attempts.nth(0)).to_contain_text("zed/broken")
    expect(attempts.nth(0)).to_contain_text("500")
    expect(attempts.nth(1)).to_have_attribute("data-outcome", "answered")
    expect(attempts.nth(1)).to_contain_text("acme/fast-1")
    expect(drawer.get_by_test_id("cost-breakdown")).to_be_visible()
    raw = drawer.get_by_test_id("generation-raw")
    expect(raw).to_contain_text(seeded.fallback)
    document = json.loads(raw.inner_text())
    assert [r["status"] for r in document["provider_responses"]] == [500, 200]
    fallback_row = next(row for row in logs if row["id"] == seeded.fallback)
    expect(drawer.get_by_test_id("generation-cost")).to_have_attribute("data-value", fallback_row["cost"])
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("generation-detail")).to_have_count(0)
    assert "generation" not in query(page)

    # The keys page links to /activity?key_id=N: the key is preselected and only its requests listed.
    ((key_id,),) = seeded.site.sql(
        "SELECT id FROM api_keys WHERE user_id = :u AND name = 'web-tests'", u=seeded.owner.user_id
    )
    page.goto(f"/activity?key_id={key_id}&status=success")
    expect(page.get_by_test_id("log-row")).to_have_count(6)
    expect(page.get_by_test_id("filter-key")).to_have_value(re.compile(r"^web-tests"))
    expect(page.get_by_test_id("stats-ignore-note")).to_be_visible()
    page.goto("/activity?status=error")
    expect(page.get_by_test_id("log-empty")).to_be_visible()


def test_activity_fits_a_phone_and_speaks_chinese(seeded: Seeded, new_context: ContextFactory) -> None:
    _, page = signed_in(new_context, seeded.owner, language="zh-CN")
    page.set_viewport_size(NARROW)
    page.goto("/activity")
    expect(page.get_by_role("heading", level=1, name="使用记录")).to_be_visible()
    expect(page.get_by_test_id("log-row")).to_have_count(6)
    page.wait_for_load_state("networkidle")
    settle(page)
    assert_fits_the_width(page)
    expect(page.get_by_test_id("log-card")).to_have_count(6)
    page.get_by_test_id("log-card-open").first.click()
    expect(page.get_by_test_id("generation-detail")).to_be_visible()
    expect(page.get_by_text("尝试记录").first).to_be_visible()
    settle(page)
    assert_fits_the_width(page)


# --- settings


def test_settings_change_the_profile_the_language_and_end_another_session(
    seeded: Seeded, new_context: ContextFactory
) -> None:
    site = seeded.site
    user = site.user("settings")
    other = httpx.post(
        f"{site.url}/api/auth/login", json={"email": user.email, "password": user.password}, timeout=10
    )
    assert other.status_code == 200, other.text
    other_token = other.json()["access_token"]
    _, page = signed_in(new_context, user)
    page.goto("/settings")
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()

    # Display name.
    page.get_by_test_id("profile-display-name").fill("Ada Lovelace")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-saved")).to_have_text("Saved.")
    expect(page.get_by_test_id("profile-name")).to_have_text("Ada Lovelace")
    assert api_json(page, "/api/user/profile")["display_name"] == "Ada Lovelace"

    # Sessions: this browser and the other sign-in; ending the other one signs it out.
    sessions = page.get_by_test_id("session")
    expect(sessions).to_have_count(2)
    expect(page.locator('[data-testid="session"][data-current="true"]')).to_have_count(1)
    page.locator('[data-testid="session"]:not([data-current])').get_by_test_id("session-end").click()
    expect(sessions).to_have_count(1)
    expect(page.locator('[data-testid="session"][data-current="true"]')).to_have_count(1)
    gone = httpx.get(
        f"{site.url}/api/auth/me", headers={"Authorization": f"Bearer {other_token}"}, timeout=10
    )
    assert gone.status_code == 401
    assert api_json(page, "/api/auth/me")["id"] == user.user_id  # this browser is still signed in

    # The language preference switches the page at once and is saved to the account.
    page.get_by_test_id("preference-language").get_by_text("简体中文").click()
    expect(page.get_by_role("heading", level=1, name="设置")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    wait_until(
        lambda: api_json(page, "/api/user/preferences")["language"] == "zh-CN", what="the saved language"
    )
    # Another browser of the same account opens in Chinese.
    fresh = new_context(language="en")
    sign_in(fresh, user)
    elsewhere = fresh.new_page()
    elsewhere.goto("/settings")
    expect(elsewhere.get_by_role("heading", level=1, name="设置")).to_be_visible()

    # The theme too: dark at once.
    page.get_by_test_id("preference-theme").get_by_text("深色").click()
    expect(page.locator("html")).to_have_attribute("data-mantine-color-scheme", "dark")
    wait_until(lambda: api_json(page, "/api/user/preferences")["theme"] == "dark", what="the saved theme")


def test_settings_fit_a_phone(seeded: Seeded, new_context: ContextFactory) -> None:
    _, page = signed_in(new_context, seeded.owner)
    page.set_viewport_size(NARROW)
    page.goto("/settings")
    expect(page.get_by_test_id("settings-sessions")).to_be_visible()
    page.wait_for_load_state("networkidle")
    settle(page)
    assert_fits_the_width(page)


# --- playground


def balance(page: Page) -> Decimal:
    return Decimal(str(api_json(page, "/api/balance")["balance"]))


def test_playground_streams_an_answer_with_its_cost_into_activity_and_the_balance(
    seeded: Seeded, new_context: ContextFactory
) -> None:
    user = seeded.site.user("playground", credits_usd="5")
    _, page = signed_in(new_context, user)
    page.goto("/playground")
    expect(page.get_by_role("heading", level=1, name="Playground")).to_be_visible()
    before = balance(page)
    expect(page.get_by_test_id("playground-balance")).to_have_attribute("data-value", "5")

    page.get_by_test_id("model-picker").click()
    page.get_by_role("option", name="Acme Fast 1").click()
    expect(page.get_by_test_id("model-prices")).to_contain_text("$1.00 / M input")
    page.get_by_test_id("composer").fill("Say hello")
    page.get_by_test_id("composer").press("Enter")
    expect(page.get_by_test_id("message-user")).to_have_text("Say hello")
    answer = page.get_by_test_id("message-assistant")
    expect(answer).to_have_attribute("data-state", "done")
    expect(answer.get_by_test_id("message-text")).to_have_text(completion_text(5).strip())
    cost_text = answer.get_by_test_id("answer-cost")
    expect(cost_text).to_have_attribute("data-value", re.compile(r"^0\.\d+$"))
    cost = Decimal(str(cost_text.get_attribute("data-value")))
    assert cost > 0
    expect(answer.get_by_test_id("answer-timing")).to_contain_text("first token")

    # The balance is lower by that cost (charges are settled off the request's path: wait for it).
    wait_until(lambda: balance(page) == before - cost, what="the charge of the answer")
    expect(page.get_by_test_id("playground-balance")).to_have_attribute("data-value", str(before - cost))

    # The answer is in Activity, opened from its link.
    answer.get_by_test_id("answer-activity").click()
    expect(page).to_have_url(re.compile(r"/activity\?generation="))
    (generation,) = query(page)["generation"]
    drawer = page.get_by_test_id("generation-detail")
    expect(drawer).to_have_attribute("data-generation", generation)
    expect(drawer.get_by_test_id("generation-cost")).to_have_attribute("data-value", str(cost))
    expect(page.get_by_test_id("log-row")).to_have_count(1)
    assert row_ids(page) == [generation]

    # The conversation is kept in this browser.
    page.goto("/playground")
    expect(page.get_by_test_id("message-assistant").get_by_test_id("message-text")).to_have_text(
        completion_text(5).strip()
    )
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('modelyard-playground'))")
    assert stored == [f"modelyard-playground:{user.user_id}"]
    kept = page.evaluate(f"localStorage.getItem('modelyard-playground:{user.user_id}')")
    assert "Say hello" in kept and user.api_key not in kept and "my_" not in kept


def test_playground_stops_an_answer_and_explains_errors(seeded: Seeded, new_context: ContextFactory) -> None:
    user = seeded.site.user("stopper", credits_usd="5")
    _, page = signed_in(new_context, user)
    page.goto("/playground")
    page.get_by_test_id("model-picker").click()
    page.get_by_role("option", name="Slow Poke").click()
    page.get_by_test_id("composer").fill("Take your time")
    page.get_by_test_id("send").click()
    answer = page.get_by_test_id("message-assistant").last
    expect(answer.get_by_test_id("message-text")).to_contain_text("tok1")
    page.get_by_test_id("stop").click()
    expect(answer).to_have_attribute("data-state", "stopped")
    expect(answer.get_by_test_id("answer-stopped")).to_be_visible()
    expect(page.get_by_test_id("send")).to_be_visible()

    # A model that fails: the API's error, in words, with the provider named.
    page.get_by_test_id("model-picker").click()
    page.get_by_role("option", name="Zed Broken").click()
    page.get_by_test_id("composer").fill("Fail please")
    page.get_by_test_id("send").click()
    failed = page.get_by_test_id("message-assistant").last
    expect(failed).to_have_attribute("data-state", "error")
    expect(failed.get_by_test_id("answer-error")).to_have_attribute("data-kind", "model")
    expect(failed.get_by_test_id("answer-error")).to_contain_text("The model could not answer")

    # No credits: 402, with the way to add some.
    broke = seeded.site.user("broke")
    _, poor = signed_in(new_context, broke)
    poor.goto("/playground")
    poor.get_by_test_id("composer").fill("Hello?")
    poor.get_by_test_id("send").click()
    error = poor.get_by_test_id("answer-error")
    expect(error).to_have_attribute("data-kind", "credits")
    expect(error).to_have_attribute("data-status", "402")
    expect(error.get_by_role("link", name="Add credits")).to_have_attribute("href", "/credits")
    poor.set_viewport_size(NARROW)
    settle(poor)
    assert_fits_the_width(poor)


# --- screenshots


def _ask(page: Page) -> None:
    page.get_by_test_id("model-picker").click()
    page.get_by_role("option", name="Acme Fast 1").click()
    page.get_by_test_id("composer").fill("Say hello")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("message-assistant")).to_have_attribute("data-state", "done")


def test_screenshots(seeded: Seeded, shoot_all: ShootAll, shoot: Shoot, new_context: ContextFactory) -> None:
    owner = seeded.owner
    signed_in(new_context, owner, language="en")  # the account's language: English for shoot_all
    shoot_all("/activity", "activity", user=owner, ready='[data-testid="log-row"]')
    shoot_all(
        f"/activity?generation={seeded.fallback}",
        "activity-detail",
        user=owner,
        ready='[data-testid="attempt-chain"]',
    )
    shoot_all("/settings", "settings", user=owner, ready='[data-testid="settings-sessions"]')
    shoot_all("/playground", "playground", user=owner, ready='[data-testid="composer"]', prepare=_ask)
    for path, name, ready in (
        ("/activity", "activity", '[data-testid="log-row"]'),
        (f"/activity?generation={seeded.fallback}", "activity-detail", '[data-testid="attempt-chain"]'),
        ("/settings", "settings", '[data-testid="settings-sessions"]'),
        ("/playground", "playground", '[data-testid="composer"]'),
    ):
        _, page = signed_in(new_context, owner, language="zh-CN")
        page.goto(path)
        page.locator(ready).first.wait_for()
        if name == "playground":
            page.get_by_test_id("model-picker").click()
            page.get_by_role("option", name="Acme Fast 1").click()
            page.get_by_test_id("composer").fill("你好")
            page.get_by_test_id("send").click()
            expect(page.get_by_test_id("message-assistant").last).to_have_attribute("data-state", "done")
        page.wait_for_load_state("networkidle")
        settle(page)
        shoot(page, f"{name}-desktop-light-zh-CN")
