"""The admin pages in a real browser against a real server, on a server of their own (they change site-wide
settings): an administrator connects a channel to the fake upstream and prices its model in the pages, and a
user's request through the official OpenAI SDK goes through that channel at that price; bulk disable asks
first; a balance adjusted with a note shows in the audit log; a codes batch is made, shown once and listed;
closing sign-up in the settings page refuses sign-ups at once; a user is refused every admin page and call;
and screenshots of every admin page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import wait_until
from tests.web.conftest import (
    PASSWORD,
    UPSTREAM_KEY,
    VIEWPORTS,
    ContextFactory,
    Shoot,
    Site,
    SiteFactory,
    SiteUser,
    assert_fits_the_width,
    catalog_model,
    settle,
    sign_in,
)

PRICED = "adminweb/priced-1"
ADMIN_PAGES = ["channels", "models", "users", "codes", "settings", "audit"]


@pytest.fixture(scope="module")
def site(site_factory: SiteFactory) -> Site:
    """A server of this module's own: its settings change here (sign-up closes), which other pages' tests
    must not see. (The variable is only a marker: Modelyard ignores it.)"""
    return site_factory(MODELYARD_WEB_TEST_ADMIN_PAGES="1")


@pytest.fixture(scope="module")
def admin(site: Site) -> SiteUser:
    return site.user("admin", role="admin")


def admin_page(new_context: ContextFactory, user: SiteUser, **options: Any) -> tuple[BrowserContext, Page]:
    context = new_context(**options)
    sign_in(context, user)
    return context, context.new_page()


def api(site: Site, user: SiteUser, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {user.api_key}"}
    return httpx.request(method, f"{site.url}{path}", headers=headers, timeout=30, **kwargs)


def channel_body(name: str, site: Site, slug: str, upstream: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "openai",
        "base_url": site.upstream.base_url,
        "api_key": UPSTREAM_KEY,
        "models": [{"slug": slug, "upstream_name": upstream}],
        "options": {"probe_enabled": False},
    }


def test_a_channel_and_a_price_set_in_the_pages_serve_and_bill_a_request(
    site: Site, admin: SiteUser, new_context: ContextFactory
) -> None:
    site.import_models([catalog_model(PRICED, name="Adminweb: Priced One")])
    _, page = admin_page(new_context, admin)

    page.goto("/admin/channels")
    expect(page.get_by_role("heading", level=1)).to_have_text("Channels")
    page.get_by_test_id("add-channel").first.click()
    form = page.get_by_test_id("channel-form")
    form.get_by_test_id("channel-name").fill("web-admin-channel")
    form.get_by_test_id("channel-base-url").fill(site.upstream.base_url)
    form.get_by_test_id("channel-keys").fill(UPSTREAM_KEY)
    form.get_by_test_id("model-slug-0").fill(PRICED)
    page.keyboard.press("Escape")  # the suggestions, not the dialog
    form.get_by_test_id("model-upstream-0").fill("priced-1-chunks-5")
    form.get_by_test_id("channel-save").click()
    expect(page.get_by_test_id("channel-form")).to_have_count(0)
    row = page.locator('[data-testid="channel-row"][data-name="web-admin-channel"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(PRICED)
    expect(row.get_by_test_id("health-status")).to_have_text("No traffic")
    ((channel_id, key_stored),) = site.sql(
        "SELECT id, api_key_encrypted FROM channels WHERE name = 'web-admin-channel'"
    )
    assert UPSTREAM_KEY not in key_stored  # written encrypted
    site.wait_for_model(PRICED)

    # Its price, in dollars per million tokens.
    page.goto(f"/admin/models?q={PRICED}")
    model_row = page.locator(f'[data-testid="admin-model-row"][data-id="{PRICED}"]')
    expect(model_row.get_by_test_id("price-input")).to_have_text("$1.00")
    model_row.get_by_role("button", name="Edit Adminweb: Priced One").click()
    editor = page.get_by_test_id("model-editor")
    expect(editor.get_by_test_id("price-prompt")).to_have_value("1")
    editor.get_by_test_id("price-prompt").fill("3")
    editor.get_by_test_id("price-completion").fill("6.5")
    expect(editor).to_contain_text("Users pay $6.50")
    editor.get_by_test_id("model-save").click()
    expect(editor.get_by_test_id("model-saved")).to_be_visible()
    expect(editor.get_by_test_id("endpoint-form")).to_contain_text("web-admin-channel")
    page.keyboard.press("Escape")
    expect(model_row.get_by_test_id("price-output")).to_have_text("$6.50")

    # A user's request through the official SDK uses that channel and pays that price.
    user = site.user("payer", credits_usd="10")
    client = openai.OpenAI(base_url=f"{site.url}/v1", api_key=user.api_key, max_retries=0)
    reply = client.chat.completions.create(model=PRICED, messages=[{"role": "user", "content": "hello"}])
    assert reply.usage is not None
    cost_nanos = reply.usage.prompt_tokens * 3_000 + reply.usage.completion_tokens * 6_500
    wait_until(
        lambda: site.sql("SELECT count(*) FROM request_logs WHERE user_id = :u", u=user.user_id)[0][0] == 1,
        what="the request to be recorded",
    )
    ((used_channel, cost),) = site.sql(
        "SELECT channel_id, cost_nanos FROM request_logs WHERE user_id = :u", u=user.user_id
    )
    assert (used_channel, cost) == (channel_id, cost_nanos)
    balance = api(site, user, "GET", "/api/balance").json()["balance"]
    assert Decimal(balance) == Decimal(10) - Decimal(cost_nanos) / Decimal(10**9)

    page.goto("/admin/channels")
    expect(row.get_by_test_id("health-status")).to_have_text("Healthy")


def test_bulk_disable_asks_first_and_disables_every_ticked_channel(
    site: Site, admin: SiteUser, new_context: ContextFactory
) -> None:
    site.import_models([catalog_model("adminweb/bulk-1")])
    for name in ("bulk-a", "bulk-b"):
        created = api(
            site, admin, "POST", "/api/admin/channels", json=channel_body(name, site, "adminweb/bulk-1", "b")
        )
        assert created.status_code == 201, created.text
    _, page = admin_page(new_context, admin)
    page.goto("/admin/channels")
    page.get_by_role("checkbox", name="Select bulk-a").check()
    page.get_by_role("checkbox", name="Select bulk-b").check()
    expect(page.get_by_test_id("bulk-bar")).to_contain_text("2 channels selected")
    page.get_by_test_id("bulk-disable").click()
    dialog = page.get_by_role("dialog", name="Disable 2 channels?")
    expect(dialog).to_contain_text("bulk-a, bulk-b")
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("bulk-outcome")).to_contain_text("2 channels disabled.")
    for name in ("bulk-a", "bulk-b"):
        row = page.locator(f'[data-testid="channel-row"][data-name="{name}"]')
        expect(row).to_have_attribute("data-enabled", "0")
        expect(row.get_by_test_id("health-status")).to_have_text("Disabled")
    listed = {c["name"]: c["is_enabled"] for c in api(site, admin, "GET", "/api/admin/channels").json()}
    assert (listed["bulk-a"], listed["bulk-b"]) == (False, False)
    assert listed["web-admin-channel"] is True  # not ticked, not touched


def test_a_balance_adjusted_with_a_note_is_in_the_audit_log(
    site: Site, admin: SiteUser, new_context: ContextFactory
) -> None:
    user = site.user("adjusted", credits_usd="1")
    _, page = admin_page(new_context, admin)
    page.goto("/admin/users")
    page.get_by_test_id("user-search").fill(user.email)
    row = page.locator(f'[data-testid="user-row"][data-email="{user.email}"]')
    expect(row.get_by_test_id("user-balance")).to_have_text("$1.00")
    row.get_by_role("button", name=f"Manage {user.email}").click()
    dialog = page.get_by_test_id("manage-user")
    dialog.get_by_test_id("adjust-amount").fill("12.5")
    dialog.get_by_test_id("adjust-submit").click()
    expect(dialog.get_by_text("Say why")).to_be_visible()  # a note is required
    dialog.get_by_test_id("adjust-note").fill("goodwill for the outage")
    dialog.get_by_test_id("adjust-submit").click()
    expect(dialog.get_by_test_id("adjust-done")).to_contain_text("The balance is now $13.50")
    page.keyboard.press("Escape")
    expect(row.get_by_test_id("user-balance")).to_have_text("$13.50")
    assert api(site, user, "GET", "/api/balance").json()["balance"] == "13.5"
    assert site.sql(
        "SELECT amount_nanos FROM ledger_entries WHERE user_id = :u AND note = :n",
        u=user.user_id,
        n="goodwill for the outage",
    ) == [(12_500_000_000,)]

    page.goto("/admin/audit")
    first = page.get_by_test_id("audit-row").first
    expect(first).to_have_attribute("data-route", "/api/admin/users/{user_id}/credits")
    expect(first).to_contain_text("Adjust a balance")
    expect(first).to_contain_text(admin.email)
    expect(first.get_by_test_id("audit-summary")).to_contain_text("note: goodwill for the outage")
    page.get_by_test_id("audit-route").click()
    page.get_by_role("option", name="Add a channel").click()
    expect(page).to_have_url(re.compile(r"route=%2Fapi%2Fadmin%2Fchannels"))
    expect(page.get_by_test_id("audit-row").first).to_have_attribute("data-route", "/api/admin/channels")


def test_a_codes_batch_is_shown_once_and_listed_with_its_use(
    site: Site, admin: SiteUser, new_context: ContextFactory
) -> None:
    _, page = admin_page(new_context, admin)
    page.goto("/admin/codes")
    page.get_by_test_id("codes-count").fill("3")
    page.get_by_test_id("codes-amount").fill("2.50")
    page.get_by_test_id("codes-create").click()
    created = page.get_by_test_id("created-codes")
    expect(created).to_contain_text("3 new codes")
    codes = page.get_by_test_id("code-list").inner_text().split()
    assert len(codes) == 3
    batch = page.get_by_test_id("batch-row").first
    expect(batch.get_by_test_id("batch-uses")).to_have_text("0 of 3")
    with page.expect_download() as download:
        page.get_by_test_id("download-codes").click()
    csv_text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115 - read once
    assert csv_text.startswith("code,batch,amount_usd,max_uses,expires_at") and all(
        c in csv_text for c in codes
    )

    user = site.user("redeemer")
    assert api(site, user, "POST", "/api/balance/redeem", json={"code": codes[0]}).status_code == 200
    page.reload()
    expect(page.get_by_test_id("created-codes")).to_have_count(0)  # shown once only
    expect(page.get_by_test_id("batch-row").first.get_by_test_id("batch-uses")).to_have_text("1 of 3")
    page.get_by_test_id("batch-row").first.get_by_role("button", name=re.compile("View batch")).click()
    expect(page.get_by_test_id("batch-detail")).to_contain_text(user.email)


def test_closing_sign_up_in_the_settings_page_refuses_sign_ups_at_once(
    site: Site, admin: SiteUser, new_context: ContextFactory
) -> None:
    _, page = admin_page(new_context, admin)
    page.goto("/admin/settings")
    signup = page.get_by_test_id("settings-signup")
    expect(signup).to_contain_text("Environment")
    signup.get_by_label("Closed").check()
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-saved")).to_be_visible()
    expect(signup).to_contain_text("Set here")

    refused = httpx.post(
        f"{site.url}/api/auth/signup", json={"email": "late@example.com", "password": PASSWORD}, timeout=30
    )
    assert refused.status_code == 403, refused.text
    visitor = new_context().new_page()
    visitor.goto("/signup")
    expect(visitor.get_by_text("Sign-up is closed on this server")).to_be_visible()

    # Back to the environment's value (open) from the page.
    signup.get_by_role("button", name="Use the environment value for Sign-up").click()
    expect(signup).to_contain_text("Back to environment on save")
    page.get_by_test_id("settings-save").click()
    expect(signup).to_contain_text("Environment")
    opened = httpx.post(
        f"{site.url}/api/auth/signup", json={"email": "early@example.com", "password": PASSWORD}, timeout=30
    )
    assert opened.status_code == 201, opened.text


def test_a_user_is_refused_every_admin_page_and_call(site: Site, new_context: ContextFactory) -> None:
    user = site.user("curious")
    context, page = admin_page(new_context, user)
    for name in ADMIN_PAGES:
        page.goto(f"/admin/{name}")
        expect(page.get_by_test_id("forbidden")).to_be_visible()
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "my_csrf")
    for method, path, body in (
        ("GET", "/api/admin/channels", None),
        ("GET", "/api/admin/models", None),
        ("GET", "/api/admin/settings", None),
        ("GET", "/api/admin/audit", None),
        ("PATCH", "/api/admin/settings", {"signup_mode": "closed"}),
        ("POST", "/api/admin/codes", {"count": 1, "amount": "100"}),
        ("POST", f"/api/admin/users/{user.user_id}/credits", {"amount": "100", "note": "me"}),
    ):
        response = page.request.fetch(
            f"{site.url}{path}", method=method, data=body, headers={"X-CSRF-Token": csrf}
        )
        assert response.status == 403, (method, path, response.text())
    assert api(site, user, "GET", "/api/balance").json()["balance"] == "0"


def _shots(
    new_context: ContextFactory, shoot: Shoot, admins: dict[str, SiteUser], name: str, ready: str
) -> None:
    """docs/screenshots/admin-{name}-: desktop light and dark, phone light (English), desktop light (Chinese);
    and the page fits a phone's width."""
    for language, admin in admins.items():
        context = new_context(language=language)
        sign_in(context, admin)
        page = context.new_page()
        page.goto(f"/admin/{name}")
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", language)
        variants = (
            [("desktop", "light"), ("desktop", "dark"), ("phone", "light")]
            if language == "en"
            else [("desktop", "light")]
        )
        for viewport, scheme in variants:
            page.set_viewport_size(VIEWPORTS[viewport])
            page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
            settle(page)
            if viewport == "phone":
                assert_fits_the_width(page)
            shoot(page, f"admin-{name}-{viewport}-{scheme}-{language}")
        context.close()


def test_screenshots_of_every_admin_page(
    site: Site, admin: SiteUser, new_context: ContextFactory, shoot: Shoot
) -> None:
    ready = {
        "channels": '[data-testid="channel-row"]',
        "models": '[data-testid="admin-model-row"]',
        "users": '[data-testid="user-row"]',
        "codes": '[data-testid="batch-row"], [data-testid="batches-empty"]',
        "settings": '[data-testid="settings-signup"]',
        "audit": '[data-testid="audit-row"], [data-testid="audit-empty"]',
    }
    # Once signed in, the account's language wins over the browser's: the Chinese pictures need an
    # administrator whose account is in Chinese.
    chinese = site.user("admin-zh", role="admin")
    context = new_context(language="zh-CN")
    sign_in(context, chinese)
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "my_csrf")
    assert context.request.patch(
        "/api/user/preferences", data={"language": "zh-CN"}, headers={"X-CSRF-Token": csrf}
    ).ok
    context.close()
    for name in ADMIN_PAGES:
        _shots(new_context, shoot, {"en": admin, "zh-CN": chinese}, name, ready[name])
    _dialog_shots(new_context, shoot, admin)


# What the dialog shots click or read, as each language labels it.
_DIALOG_LABELS = {
    "en": {
        "provider": "Provider type",
        "api_version": "Azure API version",
        "stream_options": "Ask for usage in streams",
        "edit": "Edit Adminweb: Priced One",
    },
    "zh-CN": {
        "provider": "提供方类型",
        "api_version": "Azure API 版本",
        "stream_options": "在流式响应中请求用量",
        "edit": "编辑 Adminweb: Priced One",
    },
}


def _dialog_shots(new_context: ContextFactory, shoot: Shoot, admin: SiteUser) -> None:
    """For the operator's guides, desktop light in both languages: the add-channel dialog filled in for Azure
    OpenAI (nothing is saved), and a model's pricing editor with its per-channel prices. A taller window
    shows each whole. One page throughout: the language switch changes it in place (and the account's
    preference, set back to English at the end)."""
    context = new_context()
    sign_in(context, admin)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.goto("/admin/channels")
    _shoot_the_azure_channel(page, shoot, "en")
    _switch_language(page, "zh-CN")
    _shoot_the_azure_channel(page, shoot, "zh-CN")
    page.goto(f"/admin/models?q={PRICED}")
    _shoot_the_model_editor(page, shoot, "zh-CN")
    _switch_language(page, "en")
    _shoot_the_model_editor(page, shoot, "en")
    context.close()


def _switch_language(page: Page, language: str) -> None:
    page.get_by_test_id("language-switch").click()
    page.get_by_test_id(f"language-{language}").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _shoot_the_azure_channel(page: Page, shoot: Shoot, language: str) -> None:
    labels = _DIALOG_LABELS[language]
    page.get_by_test_id("add-channel").first.click()
    form = page.get_by_test_id("channel-form")
    form.get_by_test_id("channel-name").fill("azure-eastus")
    form.get_by_label(labels["provider"]).click()
    page.get_by_role("option", name="Azure OpenAI").click()
    form.get_by_test_id("channel-base-url").fill("https://my-resource.openai.azure.com")
    form.get_by_test_id("channel-keys").fill("0123456789abcdef0123456789abcdef")
    form.get_by_test_id("model-slug-0").fill("openai/gpt-4o")
    page.keyboard.press("Escape")  # the suggestions, not the dialog
    form.get_by_test_id("model-upstream-0").fill("gpt-4o-prod")
    form.get_by_label(labels["api_version"]).fill("2024-10-21")
    # An OpenAI-compatible switch, gone once Azure is chosen.
    expect(form.get_by_text(labels["stream_options"])).to_have_count(0)
    settle(page)
    shoot(page, f"admin-channel-azure-desktop-light-{language}")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("channel-form")).to_have_count(0)


def _shoot_the_model_editor(page: Page, shoot: Shoot, language: str) -> None:
    row = page.locator(f'[data-testid="admin-model-row"][data-id="{PRICED}"]')
    row.get_by_role("button", name=_DIALOG_LABELS[language]["edit"]).click()
    editor = page.get_by_test_id("model-editor")
    expect(editor.get_by_test_id("endpoint-form")).to_contain_text("web-admin-channel")
    page.wait_for_load_state("networkidle")
    settle(page)
    shoot(page, f"admin-model-editor-desktop-light-{language}")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("model-editor")).to_have_count(0)
