"""The Credits and API keys pages in a real browser against a real server: the balance is the API's, a code
redeemed on the page raises it and is listed, the filtered transactions export as CSV; a key created in the
dialog is shown once, works with the official OpenAI SDK, shows its use after a reload, is refused once
disabled, and is gone once deleted; the playground's key is labelled; screenshots in both languages."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.conftest import wait_until
from tests.web.conftest import (
    ContextFactory,
    Shoot,
    ShootAll,
    Site,
    SiteUser,
    assert_fits_the_width,
    catalog_model,
    settle,
    sign_in,
)

MODEL = "ckweb/fast-1"
MESSAGES: Any = [{"role": "user", "content": "hello from the keys page"}]


@pytest.fixture(scope="module")
def account(site: Site) -> Iterator[SiteUser]:
    """A user with $20 of credit who has made two requests with the CLI's key."""
    site.serve_models([catalog_model(MODEL, name="CK Web: Fast One")])
    user = site.user("credits", credits_usd="20")
    site.traffic(MODEL, requests=2, user=user)
    yield user


def api(site: Site, user: SiteUser, path: str, **params: Any) -> Any:
    response = httpx.get(
        f"{site.url}{path}", params=params, headers={"Authorization": f"Bearer {user.api_key}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def signed_in(new_context: ContextFactory, user: SiteUser, **options: Any) -> tuple[BrowserContext, Page]:
    context = new_context(**options)
    sign_in(context, user)
    return context, context.new_page()


def card(page: Page, name: str) -> Locator:
    return page.locator(f'[data-testid="key-card"][data-key-name="{name}"]')


def test_credits_show_the_balance_redeem_a_code_and_export(
    site: Site, account: SiteUser, new_context: ContextFactory
) -> None:
    _, page = signed_in(new_context, account)
    page.goto("/credits")
    expect(page.get_by_role("heading", level=1)).to_have_text("Credits")
    before = api(site, account, "/api/balance")
    for test_id, field in (
        ("balance-balance", "balance"),
        ("balance-held", "held"),
        ("balance-available", "available"),
        ("balance-spent-today", "spent_today"),
        ("balance-spent-month", "spent_this_month"),
    ):
        expect(page.get_by_test_id(test_id)).to_have_attribute("data-value", before[field])
    assert Decimal(before["spent_today"]) > 0 and Decimal(before["balance"]) < 20
    # The usage chart is drawn, and its table lists the model that was used.
    expect(page.get_by_test_id("spend-chart").locator("svg.recharts-surface")).to_be_visible()
    expect(page.get_by_test_id("spend-by-model").locator(f'tr[data-model="{MODEL}"]')).to_contain_text(
        "CK Web: Fast One"
    )
    rows = page.get_by_test_id("transaction-row")
    expect(rows).to_have_count(3)  # the grant and two requests
    assert [r.get_attribute("data-type") for r in rows.all()] == ["usage", "usage", "topup"]

    # A wrong code is refused in words; a real one adds its credit.
    code_box, redeem = page.get_by_label("Redemption code"), page.get_by_test_id("redeem-submit")
    code_box.fill("MY-0000-0000-0000-0000")
    redeem.click()
    expect(page.get_by_test_id("redeem-error")).to_contain_text("This code is not valid")
    code = site.cli("codes", "create", "--count", "1", "--amount", "2.5").stdout.strip().splitlines()[-1]
    code_box.fill(code)
    redeem.click()
    expect(page.get_by_test_id("redeem-success")).to_contain_text("Added $2.50")
    after = api(site, account, "/api/balance")
    assert Decimal(after["balance"]) == Decimal(before["balance"]) + Decimal("2.5")
    expect(page.get_by_test_id("balance-balance")).to_have_attribute("data-value", after["balance"])
    expect(rows.first).to_have_attribute("data-type", "redemption")
    expect(rows.first).to_contain_text("+$2.50")
    code_box.fill(code)
    redeem.click()
    expect(page.get_by_test_id("redeem-error")).to_contain_text("You have already redeemed this code")

    # Filter by type (kept in the URL), then export what the filter shows.
    page.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name="Code redeemed").click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"/credits\?type=redemption$"))
    expect(rows).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_test_id("transactions-export").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename == "modelyard-transactions.csv"
    exported = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [(r["type"], r["amount"], r["balance_after"]) for r in exported] == [
        ("redemption", "2.5", after["balance"])
    ]
    # Unfiltered, after a reload from the URL: every entry.
    page.goto("/credits")
    expect(rows).to_have_count(4)
    with page.expect_download() as download:
        page.get_by_test_id("transactions-export").click()
    everything = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    listed = api(site, account, "/api/balance/transactions")["data"]
    assert [(int(r["id"]), r["type"], r["amount"]) for r in everything] == [
        (t["id"], t["type"], t["amount"]) for t in listed
    ]


def test_a_key_is_shown_once_works_and_can_be_disabled_and_deleted(
    site: Site, account: SiteUser, new_context: ContextFactory
) -> None:
    context, page = signed_in(new_context, account)
    # The playground makes the server's own key for this user.
    played = context.request.post(
        "/api/playground/chat/completions",
        data={"model": MODEL, "messages": MESSAGES},
        headers={"X-CSRF-Token": csrf_token(context)},
    )
    assert played.ok, played.text()
    page.goto("/keys")
    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    playground = card(page, "Playground (web)")
    expect(playground.get_by_test_id("key-playground")).to_have_text("Playground")
    expect(playground.get_by_test_id("key-playground-note")).to_contain_text("It has no secret to show")
    expect(playground.get_by_test_id("key-delete")).to_have_count(0)
    expect(card(page, "web-tests").get_by_test_id("key-status")).to_have_text("Active")

    page.get_by_test_id("create-key").click()
    dialog = page.get_by_role("dialog", name="Create an API key")
    dialog.get_by_label("Name").fill("sdk-key")
    dialog.get_by_label("Credit limit (USD)").fill("0.001")
    dialog.get_by_test_id("key-submit").click()
    shown = page.get_by_role("dialog", name="Your new API key")
    expect(shown.get_by_role("alert")).to_contain_text("This is the only time the key is shown")
    secret = shown.get_by_test_id("created-key").input_value()
    assert secret.startswith("sk-my-v1-")
    shown.get_by_role("button", name="Copy the key").click()
    expect(shown.get_by_role("button", name="Copied")).to_be_visible()
    shown.get_by_test_id("created-key-done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert secret not in page.content()

    keys = {k["name"]: k for k in context.request.get("/api/keys").json()}
    key_id = keys["sdk-key"]["id"]
    new_card = card(page, "sdk-key")
    expect(new_card.get_by_test_id("key-limit")).to_contain_text("Limit $0.001 in total")
    expect(new_card.get_by_test_id("key-last-used")).to_have_text("Never")
    expect(new_card.get_by_test_id("key-activity")).to_have_attribute("href", f"/activity?key_id={key_id}")

    client = openai.OpenAI(api_key=secret, base_url=f"{site.url}/v1", max_retries=0, timeout=30)
    # A small max_tokens: the hold for the request fits under the key's $0.001 limit.
    answer = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16)
    assert answer.choices[0].message.content
    wait_until(
        lambda: (
            {k["name"]: k for k in context.request.get("/api/keys").json()}["sdk-key"]["usage"]["total"]
            != "0"
        ),
        what="the key's usage",
    )
    usage = {k["name"]: k for k in context.request.get("/api/keys").json()}["sdk-key"]["usage"]
    page.reload()
    expect(new_card.get_by_test_id("key-usage-today")).to_have_attribute("data-value", usage["daily"])
    expect(new_card.get_by_test_id("key-usage-total")).to_have_attribute("data-value", usage["total"])
    assert Decimal(usage["daily"]) > 0
    # The bar: the share of the limit used, exact to a hundredth of a percent, rounded down.
    shown_percent = Decimal(new_card.get_by_test_id("key-limit").get_attribute("data-percent") or "-1")
    expected = min(Decimal(100), (Decimal(usage["total"]) * 10_000 / Decimal("0.001")) // 1 / 100)
    assert shown_percent == expected and expected > 0
    expect(new_card.get_by_test_id("key-last-used")).not_to_have_text("Never")
    new_card.get_by_test_id("key-usage-toggle").click()
    expect(new_card.get_by_test_id("key-usage")).to_contain_text("Last 30 days: 1 requests")
    expect(new_card.get_by_test_id("key-usage-chart").locator("svg.recharts-surface")).to_be_visible()

    new_card.get_by_test_id("key-toggle").click()
    expect(new_card.get_by_test_id("key-status")).to_have_text("Disabled")
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16)

    new_card.get_by_test_id("key-delete").click()
    confirm = page.get_by_role("dialog", name="Delete this key?")
    expect(confirm).to_contain_text('Delete "sdk-key"')
    confirm.get_by_test_id("delete-key-confirm").click()
    expect(new_card).to_have_count(0)
    assert "sdk-key" not in [k["name"] for k in context.request.get("/api/keys").json()]
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16)


@pytest.mark.parametrize("path", ["/credits", "/keys"])
def test_the_pages_fit_a_360_pixel_phone(path: str, account: SiteUser, new_context: ContextFactory) -> None:
    _, page = signed_in(new_context, account, viewport="phone")
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(path)
    page.locator('[data-testid="transaction-row"], [data-testid="key-card"]').first.wait_for()
    page.wait_for_load_state("networkidle")
    settle(page)
    assert_fits_the_width(page)


def csrf_token(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "my_csrf")


def session_token(site: Site, user: SiteUser) -> str:
    """An access token (managing keys needs a session: an ordinary API key may not)."""
    answer = httpx.post(f"{site.url}/api/auth/login", json={"email": user.email, "password": user.password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_screenshots(
    site: Site, account: SiteUser, shoot_all: ShootAll, new_context: ContextFactory, shoot: Shoot
) -> None:
    ready = {"/credits": '[data-testid="spend-chart"] svg', "/keys": '[data-testid="key-card"]'}
    heading = {"/credits": "额度", "/keys": "API 密钥"}
    # A key with a daily limit, some use and restrictions, for the pictures.
    session = {"Authorization": f"Bearer {session_token(site, account)}"}
    made = httpx.post(
        f"{site.url}/api/keys",
        json={"name": "ci-server", "limit": "0.0002", "limit_reset": "daily", "allowed_models": ["ckweb/*"],
              "rpm_limit": 60},
        headers=session,
        timeout=10,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    key = made.json()
    client = openai.OpenAI(api_key=key["key"], base_url=f"{site.url}/v1", max_retries=0, timeout=30)
    client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16)
    wait_until(
        lambda: (
            httpx.get(f"{site.url}/api/keys/{key['id']}", headers=session).json()["usage"]["total"] != "0"
        ),
        what="the key's use",
    )
    for path, name in (("/credits", "credits"), ("/keys", "keys")):
        shoot_all(path, name, ready=ready[path], user=account)
    # In Chinese: once signed in, the account's language wins over the browser's, so the account's changes.
    context, page = signed_in(new_context, account, language="zh-CN")
    headers = {"X-CSRF-Token": csrf_token(context)}
    assert context.request.patch("/api/user/preferences", data={"language": "zh-CN"}, headers=headers).ok
    try:
        for path, name in (("/credits", "credits"), ("/keys", "keys")):
            page.goto(path)
            page.locator(ready[path]).first.wait_for()
            page.wait_for_load_state("networkidle")
            expect(page.get_by_role("heading", level=1)).to_have_text(heading[path])
            settle(page)
            shoot(page, f"{name}-desktop-light-zh-CN")
        _shoot_the_key_form(page, shoot, "zh-CN")
    finally:
        context.request.patch("/api/user/preferences", data={"language": "en"}, headers=headers)
    _, page = signed_in(new_context, account)
    page.goto("/keys")
    _shoot_the_key_form(page, shoot, "en")


def _shoot_the_key_form(page: Page, shoot: Shoot, language: str) -> None:
    """The create dialog filled in with a daily credit limit and restrictions (for the user guide)."""
    daily = {"en": "Daily", "zh-CN": "每天"}[language]
    page.get_by_test_id("create-key").click()
    form = page.get_by_test_id("key-form")
    form.get_by_test_id("key-name").fill("ci-server")
    form.get_by_test_id("key-limit").fill("5")
    form.get_by_test_id("key-reset").click()
    page.get_by_role("option", name=daily, exact=True).click()
    form.get_by_test_id("key-models").fill("ckweb/*")
    form.get_by_test_id("key-models").press("Enter")
    form.get_by_test_id("key-rpm").fill("60")
    expect(form.get_by_test_id("key-reset")).to_have_value(daily)
    settle(page)
    shoot(page, f"keys-form-desktop-light-{language}")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
