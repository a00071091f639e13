"""The model marketplace (/models) and a model's page (/models/{author}/{slug}) in a real browser, against a
server of their own with a seeded catalogue: search, filters with counts, sorts, the table view and pages,
all in the URL (so the back button restores each step); a model's prices, providers, usage and code samples;
an unknown model; the filters drawer on a phone; and screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import (
    ContextFactory,
    Shoot,
    ShootAll,
    Site,
    SiteFactory,
    catalog_model,
    settle,
)

CREATED = 1_767_225_600
TEXT_PARAMS = ["max_tokens", "temperature", "stream"]
FILLERS = 22  # with the four text models below: 26 models, two pages of 24


def _models() -> list[dict[str, Any]]:
    models = [
        catalog_model(
            "acme/fast-1",
            name="Acme Fast 1",
            prompt="0.000001",
            completion="0.000002",
            context_length=128_000,
            created=CREATED + 50,
            supported_parameters=[*TEXT_PARAMS, "tools", "structured_outputs"],
        ),
        catalog_model(
            "acme/vision-pro",
            name="Acme Vision Pro",
            context_length=200_000,
            input_modalities=("text", "image"),
            created=CREATED + 60,
            supported_parameters=[*TEXT_PARAMS, "tools", "reasoning"],
            pricing={
                "prompt": "0.000005",
                "completion": "0.000015",
                "input_cache_read": "0.0000025",
                "input_cache_write": "0.00000625",
                "internal_reasoning": "0.000015",
                "request": "0.001",
                "image": "0.0048",
            },
            description="A seeded multimodal model.\nIt reads images.",
        ),
        catalog_model(
            "bolt/free-chat",
            name="Bolt Free Chat",
            prompt="0",
            completion="0",
            context_length=32_000,
            created=CREATED + 40,
        ),
        catalog_model(
            "bolt/long-read",
            name="Bolt Long Read",
            prompt="0.0000003",
            completion="0.0000012",
            context_length=1_000_000,
            input_modalities=("text", "file"),
            created=CREATED + 30,
            supported_parameters=[*TEXT_PARAMS, "reasoning"],
        ),
        catalog_model(
            "corex/imagine-1",
            name="Corex Imagine 1",
            prompt="0.00001",
            completion="0.00004",
            context_length=8_000,
            output_modalities=("image",),
            created=CREATED + 70,
        ),
    ]
    models += [
        catalog_model(
            f"filler/model-{i:02d}",
            name=f"Filler Model {i:02d}",
            prompt="0.000002",
            completion="0.000004",
            context_length=16_000,
            created=CREATED - i,
        )
        for i in range(1, FILLERS + 1)
    ]
    return models


@pytest.fixture(scope="module")
def site(site_factory: SiteFactory) -> Site:
    """A server of this module's own: the counts below are exact, whatever other modules seed."""
    return site_factory(MODELYARD_WEB_TEST_SITE="models-pages")


@pytest.fixture(scope="module")
def catalogue(site: Site) -> Iterator[Site]:
    """26 text models (two authors with two each, 22 fillers) and an image model on `web-fake-1`; Acme's
    two also on `web-fake-2`; traffic makes Bolt Long Read the most popular, then Acme Vision Pro, then Acme
    Fast 1."""
    models = _models()
    site.serve_models(models)
    site.serve_models([m for m in models if m["id"] in ("acme/fast-1", "acme/vision-pro")])
    site.traffic("bolt/long-read", requests=3)
    site.traffic("acme/vision-pro", requests=2)
    site.traffic("acme/fast-1", requests=1)
    yield site


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def cards(page: Page) -> Locator:
    return page.get_by_test_id("model-card")


def card_titles(page: Page) -> list[str]:
    return [title.strip() for title in cards(page).locator("a").all_inner_texts()]


def count_of(page: Page, facet: str) -> Locator:
    return page.get_by_test_id(f"facet-{facet}").get_by_test_id("facet-count")


def test_search_filters_sort_table_pages_and_back(page: Page, catalogue: Site) -> None:
    page.goto("/models")
    expect(page.get_by_role("heading", level=1)).to_have_text("Models")
    expect(page.get_by_test_id("models-count")).to_have_text("26 models")
    expect(cards(page)).to_have_count(24)
    # Most popular first (by this week's requests), then the rest newest first.
    assert card_titles(page)[:4] == ["Bolt Long Read", "Acme Vision Pro", "Acme Fast 1", "Bolt Free Chat"]

    # Counts next to the filter values, as seeded.
    expect(count_of(page, "capability-vision")).to_have_text("1")
    expect(count_of(page, "capability-tools")).to_have_text("2")
    expect(count_of(page, "capability-reasoning")).to_have_text("2")
    expect(count_of(page, "capability-structured_outputs")).to_have_text("1")
    expect(count_of(page, "capability-long_context")).to_have_text("3")
    expect(count_of(page, "free")).to_have_text("1")
    expect(count_of(page, "author-filler")).to_have_text("22")
    expect(count_of(page, "author-acme")).to_have_text("2")
    expect(count_of(page, "output-image")).to_have_text("1")
    expect(count_of(page, "provider-web-fake-2")).to_have_text("2")

    # Search (debounced) goes to the URL.
    page.get_by_label("Search models", exact=True).fill("vision")
    expect(page).to_have_url(re.compile(r"[?&]q=vision"))
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("Acme Vision Pro")
    page.get_by_role("button", name="Clear the search").click()
    expect(page.get_by_test_id("models-count")).to_have_text("26 models")
    assert "q" not in query(page)

    # A capability, then an author: the URL, the results and the other counts follow.
    page.get_by_role("checkbox", name="Reasoning (2)").click()
    expect(page).to_have_url(re.compile(r"[?&]params=reasoning"))
    expect(page.get_by_test_id("models-count")).to_have_text("2 models")
    assert sorted(card_titles(page)) == ["Acme Vision Pro", "Bolt Long Read"]
    # Each dimension is counted without its own filter (the server's facets): tools still counts 2.
    expect(count_of(page, "capability-tools")).to_have_text("2")
    expect(count_of(page, "capability-vision")).to_have_text("1")
    expect(count_of(page, "capability-long_context")).to_have_text("2")
    page.get_by_role("checkbox", name="bolt (1)").click()
    expect(page.get_by_test_id("models-count")).to_have_text("1 model")
    assert query(page)["authors"] == ["bolt"]

    page.get_by_role("switch", name=re.compile(r"^Free models only")).click()
    # Nothing left: the empty state names each filter with a button that removes it, and what that would
    # leave.
    empty = page.get_by_test_id("models-empty")
    expect(empty).to_contain_text("No models match")
    expect(empty.get_by_role("button", name="Remove filter: Free only (1 model)")).to_be_visible()
    expect(empty.get_by_role("button", name="Remove filter: Author: bolt (0 models)")).to_be_visible()
    empty.get_by_role("button", name="Remove filter: Capability: Reasoning (1 model)").click()
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("Bolt Free Chat")
    expect(cards(page).first).to_contain_text("Free")
    assert query(page)["free"] == ["1"] and "params" not in query(page)

    page.get_by_test_id("filter-panel").get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("models-count")).to_have_text("26 models")
    assert query(page) == {}

    # Sort by price, then the table view and its second page: each a step in the history.
    page.get_by_label("Sort models", exact=True).select_option("pricing-low-to-high")
    expect(page).to_have_url(re.compile(r"[?&]sort=pricing-low-to-high"))
    expect(cards(page).first).to_contain_text("Bolt Free Chat")
    expect(cards(page).nth(1)).to_contain_text("Bolt Long Read")
    expect(cards(page).nth(1).get_by_test_id("price-summary")).to_have_text(
        "$0.30 /M input · $1.20 /M output"
    )
    page.get_by_text("Table", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]view=table"))
    rows = page.get_by_test_id("model-table").locator("tbody tr")
    expect(rows).to_have_count(24)
    expect(rows.nth(1)).to_contain_text("$0.30")
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Showing 25–26 of 26")).to_be_visible()

    page.go_back()
    expect(rows).to_have_count(24)
    assert "page" not in query(page) and query(page)["view"] == ["table"]
    page.go_back()
    expect(cards(page)).to_have_count(24)
    expect(cards(page).first).to_contain_text("Bolt Free Chat")
    page.go_back()
    expect(cards(page).first).to_contain_text("Bolt Long Read")
    assert query(page) == {}
    expect(page.get_by_label("Sort models", exact=True)).to_have_value("most-popular")

    # Back through the filters too: the switch and the author come back, and the search box refills.
    page.go_back()
    expect(page.get_by_test_id("models-count")).to_have_text("1 model")
    assert query(page)["free"] == ["1"]
    for _ in range(5):
        page.go_back()
    expect(page.get_by_label("Search models", exact=True)).to_have_value("vision")
    expect(cards(page)).to_have_count(1)


def test_a_model_page_shows_prices_providers_usage_and_code(
    new_context: ContextFactory, catalogue: Site
) -> None:
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=catalogue.url)
    page = context.new_page()
    page.goto("/models?q=vision")
    page.get_by_role("link", name="Acme Vision Pro").click()
    expect(page).to_have_url(re.compile(r"/models/acme/vision-pro$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Vision Pro")
    expect(page.get_by_test_id("model-description")).to_contain_text("It reads images.")
    expect(page.get_by_test_id("stat-context")).to_contain_text("200K tokens")
    expect(page.get_by_test_id("stat-max-output")).to_contain_text("16.4K tokens")
    expect(page.get_by_test_id("stat-input-price")).to_contain_text("$5.00")
    expect(page.get_by_test_id("stat-output-price")).to_contain_text("$15.00")
    prices = page.get_by_test_id("pricing-table")
    expected = {
        "prompt": "$5.00",
        "completion": "$15.00",
        "input_cache_read": "$2.50",
        "input_cache_write": "$6.25",
        "internal_reasoning": "$15.00",
        "request": "$0.001",
        "image": "$0.0048",
    }
    for key, price in expected.items():
        expect(prices.locator(f'tr[data-price="{key}"] td').nth(1)).to_have_text(price)
    for badge in ("Tools", "Vision", "Reasoning", "Long context (128K+)"):
        expect(page.get_by_text(badge, exact=True).first).to_be_visible()

    page.get_by_role("tab", name=re.compile("^Providers")).click()
    expect(page).to_have_url(re.compile(r"[?&]tab=providers"))
    providers = page.get_by_test_id("provider-row")
    expect(providers).to_have_count(2)
    expect(page.get_by_test_id("providers-table")).to_contain_text("web-fake-1")
    expect(page.get_by_test_id("providers-table")).to_contain_text("web-fake-2")
    expect(providers.first).to_contain_text("$5.00")
    expect(providers.first).to_contain_text("200K")
    expect(providers.first).to_contain_text("Available")
    # The two requests of the seeded traffic went through one of the two: its uptime and latency show.
    expect(page.get_by_test_id("providers-table")).to_contain_text("100%")
    expect(page.get_by_test_id("providers-table")).to_contain_text(re.compile(r"\d+ ms"))

    page.get_by_role("tab", name="Usage").click()
    expect(page.get_by_test_id("usage-chart").locator("svg").first).to_be_visible()
    expect(page.get_by_text("Requests, 30 days")).to_be_visible()

    page.get_by_role("tab", name="API").click()
    expect(page).to_have_url(re.compile(r"[?&]tab=api"))
    sample = page.get_by_test_id("code-sample")
    base = f"{catalogue.url}/v1"
    expect(sample).to_contain_text(f"curl {base}/chat/completions")
    expect(sample).to_contain_text('"model": "acme/vision-pro"')
    expect(page.get_by_test_id("base-url")).to_have_text(base)
    page.get_by_text("Python", exact=True).click()
    expect(sample).to_contain_text(f'base_url="{base}"')
    page.get_by_text("JavaScript", exact=True).click()
    expect(sample).to_contain_text(f'baseURL: "{base}"')
    copy = page.get_by_test_id("copy-button")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text("Copied")
    assert 'model: "acme/vision-pro"' in page.evaluate("navigator.clipboard.readText()")

    # The tabs are steps in the history.
    page.go_back()
    expect(page.get_by_role("tab", name="Usage")).to_have_attribute("aria-selected", "true")
    page.get_by_test_id("back-to-models").click()
    expect(page).to_have_url(re.compile(r"/models$"))


def test_an_unknown_model_says_so_with_a_way_back(page: Page, catalogue: Site) -> None:
    page.goto("/models/nobody/nothing-here")
    expect(page.get_by_role("heading", level=1)).to_have_text("Model not found")
    expect(page.get_by_test_id("model-not-found")).to_contain_text("nobody/nothing-here")
    page.get_by_role("link", name="Browse all models").click()
    expect(page).to_have_url(re.compile(r"/models$"))
    expect(page.get_by_test_id("models-count")).to_have_text("26 models")


def test_filters_are_in_a_drawer_on_phones(new_context: ContextFactory, catalogue: Site) -> None:
    page = new_context(viewport="phone").new_page()
    page.goto("/models")
    expect(page.get_by_test_id("models-count")).to_have_text("26 models")
    expect(page.get_by_test_id("filter-panel")).to_be_hidden()
    page.get_by_test_id("open-filters").click()
    drawer = page.get_by_role("dialog", name="Filters")
    drawer.get_by_role("checkbox", name="Tools (2)").click()
    drawer.get_by_test_id("show-results").click()
    expect(drawer).to_be_hidden()
    expect(page).to_have_url(re.compile(r"[?&]params=tools"))
    assert sorted(card_titles(page)) == ["Acme Fast 1", "Acme Vision Pro"]
    # Nothing sticks out sideways at 360 px, here or on a model page (wide tables and code scroll inside).
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for tab in ("providers", "api"):
        page.goto(f"/models/acme/vision-pro?tab={tab}")
        expect(
            page.get_by_test_id("provider-row" if tab == "providers" else "code-sample").first
        ).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, tab


def test_screenshots(shoot_all: ShootAll, shoot: Shoot, new_context: ContextFactory, catalogue: Site) -> None:
    pages = (
        ("/models", "models", "[data-testid=model-card]"),
        ("/models/acme/vision-pro?tab=providers", "model-detail", "[data-testid=provider-row]"),
    )
    for path, name, ready in pages:
        shoot_all(path, name, ready=ready)
    # In Chinese, for the Chinese user guide: desktop, light.
    page = new_context(language="zh-CN").new_page()
    for path, name, ready in pages:
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        settle(page)
        shoot(page, f"{name}-desktop-light-zh-CN")
