"""The web app in a real browser against a real server: serving, the first load's size, client routes, the
language and theme switches, the phone layout; and that the API beside it is unchanged."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, Request, expect

from tests.web.conftest import ContextFactory, Site, assert_fits_the_width, catalog_model

FIRST_LOAD_JS_BUDGET_BYTES = 300_000  # gzip, as sent


def test_client_routes_get_the_app_and_api_paths_keep_their_json(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        for path in ("/", "/models/foo/bar", "/rankings", "/signin?next=/models"):
            response = http.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert '<div id="root">' in response.text
            assert response.headers["cache-control"] == "no-cache"
        missing = http.get("/api/unknown")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": 404, "message": "Not found"}}
        models = http.get("/v1/models")
        assert models.status_code == 200 and models.json()["object"] == "list"
        assert http.get("/openapi.json").json()["info"]["title"] == "Modelyard"
        script = re.search(r'src="(/assets/[^"]+\.js)"', http.get("/").text)
        assert script is not None
        asset = http.get(script.group(1), headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["content-encoding"] == "gzip"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_streamed_completions_are_neither_compressed_nor_buffered(site: Site) -> None:
    site.serve_models([catalog_model("webtest/stream-1")], behaviour="chunks-6-delay-30ms")
    user = site.user("stream", credits_usd="5")
    body = {"model": "webtest/stream-1", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {user.api_key}", "Accept-Encoding": "gzip"}
    with httpx.stream("POST", f"{site.url}/v1/chat/completions", json=body, headers=headers, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        # Chunks arrive one by one while the upstream is still writing, not in one piece at the end.
        pieces = [chunk for chunk in r.iter_raw() if chunk.strip()]
    assert len(pieces) >= 3
    assert b"data: [DONE]" in pieces[-1]


def test_the_first_load_of_home_stays_under_the_budget(page: Page) -> None:
    scripts: list[Request] = []
    page.on(
        "requestfinished",
        lambda request: scripts.append(request) if request.resource_type == "script" else None,
    )
    page.goto("/")
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    sizes = {request.url.rsplit("/", 1)[-1]: request.sizes()["responseBodySize"] for request in scripts}
    total = sum(sizes.values())
    print(f"first load of / : {len(sizes)} scripts, {total / 1000:.1f} kB gzip: {sizes}")
    assert all(request.response() is not None for request in scripts)
    assert 0 < total < FIRST_LOAD_JS_BUDGET_BYTES, sizes


def test_unknown_client_routes_render_in_the_app(page: Page) -> None:
    page.goto("/models/foo/bar")  # a model page (the server has no such model): the app, not a JSON 404
    expect(page.get_by_role("link", name="Modelyard home")).to_be_visible()
    expect(page.locator("main")).not_to_be_empty()
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.get_by_role("link", name="Back to the home page").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_the_language_switch_shows_chinese_and_is_remembered(new_context: ContextFactory) -> None:
    page = new_context(language=None, locale="en-US").new_page()
    page.goto("/signin")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Models")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Modelyard")
    page.get_by_test_id("language-switch").click()
    page.get_by_test_id("language-zh-CN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录 Modelyard")
    expect(header.get_by_role("link", name="排行榜")).to_be_visible()
    expect(page.get_by_test_id("mobile-nav")).to_have_attribute("inert", "")  # the closed drawer
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录 Modelyard")
    page.get_by_test_id("language-switch").click()
    page.get_by_test_id("language-en").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Modelyard")


def test_a_chinese_browser_gets_chinese_first(new_context: ContextFactory) -> None:
    page = new_context(language=None, locale="zh-CN").new_page()
    page.goto("/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("创建 Modelyard 账户")


def test_the_theme_switch_turns_dark_and_is_remembered(page: Page) -> None:
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")
    page.get_by_test_id("theme-switch").click()
    page.get_by_test_id("theme-dark").click()
    expect(html).to_have_attribute("data-mantine-color-scheme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", background
    page.reload()
    expect(html).to_have_attribute("data-mantine-color-scheme", "dark")
    page.get_by_test_id("theme-switch").click()
    page.get_by_test_id("theme-auto").click()
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")  # the browser prefers light


def test_phones_get_a_burger_menu(new_context: ContextFactory) -> None:
    context = new_context(viewport="phone")
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/signup")
    burger = page.get_by_test_id("burger")
    expect(burger).to_be_visible()
    desktop_nav = page.locator("header nav")
    expect(desktop_nav).to_be_hidden()
    assert_fits_the_width(page)
    drawer = page.get_by_test_id("mobile-nav")
    expect(drawer).to_have_attribute("inert", "")
    burger.click()
    expect(drawer).not_to_have_attribute("inert", "")
    expect(drawer.get_by_role("link", name="Rankings")).to_be_visible()
    drawer.get_by_role("link", name="Rankings").click()
    expect(page).to_have_url(re.compile(r"/rankings$"))
    expect(drawer).to_have_attribute("inert", "")  # closed again


def test_keyboard_focus_is_visible(page: Page) -> None:
    page.goto("/no/such/page")  # nothing on it takes the focus by itself
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")  # the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")  # the logo
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
