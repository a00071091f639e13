"""The Home and Rankings pages in a real browser against a real server: the figures they show are the API's
(seeded traffic, relayed live and folded into the rollups as past history), the search box, the measure and
period kept in the URL (the back button restores them), the charts drawn; and screenshots."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from modelyard.activity import rollups
from modelyard.db.engine import create_engine
from modelyard.kit.clock import utcnow
from tests.web.conftest import ContextFactory, ShootAll, Site, catalog_model, off_loop

ALPHA, BETA, GAMMA = "rankweb/alpha-1", "rankweb/beta-2", "otherlab/gamma-3"
MODELS = [
    catalog_model(ALPHA, name="Rankweb: Alpha One"),
    catalog_model(BETA, name="Rankweb: Beta Two", prompt="0.000003", completion="0.000015"),
    catalog_model(GAMMA, name="Otherlab: Gamma Three"),
]
HOME_LIST_SIZE = 5


def past_record(model: str, days_ago: float, tokens: int, *, app: str | None = None) -> dict[str, Any]:
    """A finished request as the settlement writer records it, `days_ago` before now."""
    return {
        "created_at": utcnow() - timedelta(days=days_ago),
        "model_slug": model,
        "provider": "rankweb-cloud",
        "status": "success",
        "prompt_tokens": tokens // 4,
        "completion_tokens": tokens - tokens // 4,
        "reasoning_tokens": None,
        "cached_tokens": None,
        "cost_nanos": tokens * 2_000,
        "latency_ms": 900,
        "ttft_ms": 200,
        "app_referer": None,
        "app_title": app,
    }


def fold_history(site: Site, records: list[dict[str, Any]]) -> None:
    """Past records folded into everyone's rollups (model_stats, its daily sums, apps) by the code the
    settlement writer uses; they count in the rankings as if relayed then."""

    async def write() -> None:
        engine = create_engine(site.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: rollups.apply_site_sync(c, rollups.aggregate_site(records)))
        await engine.dispose()

    off_loop(lambda: asyncio.run(write()))


@pytest.fixture(scope="module")
def seeded(site: Site) -> Iterator[Site]:
    """Three models: alpha grows on the week before, beta shrinks, gamma is new this week; live requests on
    top (with an app's name), so today's day is partial."""
    site.serve_models(MODELS)
    history: list[dict[str, Any]] = []
    for day in range(1, 6):  # this week
        history.append(past_record(ALPHA, day + 0.1, 40_000 + 1_000 * day, app="Rank Web Tests"))
        history.append(past_record(BETA, day + 0.2, 5_000))
        history.append(past_record(GAMMA, day + 0.3, 2_000))
    for day in range(8, 13):  # the week before
        history.append(past_record(ALPHA, day + 0.1, 10_000))
        history.append(past_record(BETA, day + 0.2, 30_000))
    fold_history(site, history)
    site.traffic(ALPHA, requests=2, app="Rank Web Tests")
    site.traffic(GAMMA, requests=1)
    yield site


def api(site: Site, path: str, **params: Any) -> Any:
    response = httpx.get(f"{site.url}{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def rankings(site: Site, by: str, period: str) -> dict[str, Any]:
    data: dict[str, Any] = api(site, "/api/v1/rankings", by=by, period=period, limit=20)["data"]
    return data


def list_models(items: Locator) -> list[str]:
    return [item.get_attribute("data-model") or "" for item in items.all()]


ROWS_JS = """board => [...board.querySelectorAll('[data-testid="leaderboard-row"]')].map(row => ({
    model: row.dataset.model,
    value: row.dataset.value,
    share: row.dataset.share,
    rank: row.querySelector('[data-testid="rank"]').textContent,
    change: row.querySelector('[data-change]').dataset.change,
}))"""


def expect_leaderboard(page: Page, site: Site, by: str, period: str) -> None:
    """The leaderboard shows the API's answer for (by, period): models, order, values, shares, changes."""
    board = page.get_by_test_id("leaderboard")
    expect(board).to_have_attribute("data-by", by)
    expect(board).to_have_attribute("data-period", period)
    expect(board).not_to_have_attribute("aria-busy", "true")
    answer = rankings(site, by, period)
    shown = board.evaluate(ROWS_JS)
    for row in shown:  # JavaScript writes 0.0 as "0"
        row["share"] = None if row["share"] == "" else float(row["share"])

    def direction(change: float | None) -> str:
        return "new" if change is None else "up" if change > 0 else "down" if change < 0 else "same"

    assert shown == [
        {
            "model": m["model"],
            "value": str(m["value"]),
            "share": None if m["share"] is None else float(m["share"]),
            "rank": str(m["rank"]),
            "change": direction(m["change_percent"]),
        }
        for m in answer["models"]
    ]
    assert shown, "the leaderboard is empty"


def url_state(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_home_shows_the_apis_figures_and_models(seeded: Site, page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("One API for every model")
    count = api(seeded, "/api/v1/models/count")["data"]["count"]
    providers = len(api(seeded, "/api/v1/providers")["data"])
    tokens_week = rankings(seeded, "tokens", "week")
    requests_day = rankings(seeded, "requests", "day")
    assert count >= 3 and tokens_week["total"] > 0 and requests_day["total"] >= 3
    expect(page.get_by_test_id("stat-models")).to_have_attribute("data-value", str(count))
    expect(page.get_by_test_id("stat-providers")).to_have_attribute("data-value", str(providers))
    expect(page.get_by_test_id("stat-tokens-week")).to_have_attribute("data-value", str(tokens_week["total"]))
    expect(page.get_by_test_id("stat-requests-day")).to_have_attribute(
        "data-value", str(requests_day["total"])
    )
    expect(page.get_by_test_id("stat-models")).to_contain_text(f"{count:,}")
    expect(page.get_by_test_id("stat-requests-day")).to_contain_text("last 24 h")

    top = page.get_by_test_id("home-top-list").locator("li")
    expected_top = [m["model"] for m in tokens_week["models"][:HOME_LIST_SIZE]]
    expect(top).to_have_count(len(expected_top))
    assert list_models(top) == expected_top
    growth = rankings(seeded, "growth", "week")["models"]
    expected_trending = [m["model"] for m in growth if m["change_percent"] is None or m["change_percent"] > 0]
    trending = page.get_by_test_id("home-trending-list").locator("li")
    expect(trending).to_have_count(min(HOME_LIST_SIZE, len(expected_trending)))
    assert list_models(trending) == expected_trending[:HOME_LIST_SIZE]
    # Alpha grew on the week before, gamma is new; beta shrank and is not trending.
    assert ALPHA in expected_trending and GAMMA in expected_trending and BETA not in expected_trending
    alpha = page.get_by_test_id("home-trending-list").locator(f'li[data-model="{ALPHA}"]')
    expect(alpha.get_by_role("link", name="Rankweb: Alpha One")).to_have_attribute("href", f"/models/{ALPHA}")
    expect(alpha).to_contain_text(re.compile(r"▲ \+\d"))
    # The code sample calls this server.
    expect(page.get_by_test_id("base-url")).to_have_text(f"{seeded.url}/v1")
    expect(page.get_by_test_id("code-curl")).to_contain_text(f"curl {seeded.url}/v1/chat/completions")


def test_home_search_opens_the_models_page_with_the_query(seeded: Site, page: Page) -> None:
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search models")
    search.fill("alpha one")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/models\?q=alpha\+one$"))
    assert url_state(page) == {"q": ["alpha one"]}


def test_rankings_follow_the_url_and_match_the_api(seeded: Site, page: Page) -> None:
    page.goto("/rankings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rankings")
    expect_leaderboard(page, seeded, "tokens", "week")
    # The stacked chart and the share donuts are drawn (lazy-loaded).
    expect(page.get_by_test_id("trend-chart").locator("svg.recharts-surface")).to_be_visible()
    expect(page.get_by_test_id("trend-chart")).to_have_attribute(
        "aria-label", re.compile("Stacked bar chart")
    )
    expect(page.get_by_test_id("share-authors").locator("svg").first).to_be_visible()
    expect(page.get_by_text("today so far").first).to_be_visible()
    apps = page.get_by_test_id("top-apps").get_by_test_id("app-row")
    expect(apps.first).to_be_visible()
    assert "Rank Web Tests" in [a["app"] for a in rankings(seeded, "tokens", "week")["apps"]]
    expect(page.get_by_test_id("top-apps")).to_contain_text("Rank Web Tests")

    by, period = page.get_by_test_id("rank-by"), page.get_by_test_id("rank-period")
    by.get_by_text("Requests").click()
    expect(page).to_have_url(re.compile(r"by=requests"))
    expect_leaderboard(page, seeded, "requests", "week")
    period.get_by_text("30 days").click()
    expect(page).to_have_url(re.compile(r"period=month"))
    assert url_state(page) == {"by": ["requests"], "period": ["month"]}
    expect_leaderboard(page, seeded, "requests", "month")
    by.get_by_text("Spend").click()
    expect_leaderboard(page, seeded, "spend", "month")
    expect(page.get_by_test_id("leaderboard-row").first.get_by_test_id("value")).to_contain_text("$")
    by.get_by_text("Growth").click()
    expect_leaderboard(page, seeded, "growth", "month")
    period.get_by_text("24 hours").click()
    expect_leaderboard(page, seeded, "growth", "day")

    page.go_back()
    assert url_state(page) == {"by": ["growth"], "period": ["month"]}
    expect_leaderboard(page, seeded, "growth", "month")
    expect(by.get_by_role("radio", name="Growth")).to_be_checked()
    page.go_back()
    page.go_back()
    assert url_state(page) == {"by": ["requests"], "period": ["month"]}
    expect_leaderboard(page, seeded, "requests", "month")
    expect(period.get_by_role("radio", name="30 days")).to_be_checked()
    # A shared link opens the same view.
    page.goto("/rankings?by=spend&period=day")
    expect_leaderboard(page, seeded, "spend", "day")
    expect(by.get_by_role("radio", name="Spend")).to_be_checked()


def test_rankings_are_reachable_by_keyboard(seeded: Site, page: Page) -> None:
    page.goto("/rankings")
    expect_leaderboard(page, seeded, "tokens", "week")
    page.get_by_test_id("rank-by").get_by_role("radio", name="Tokens").focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"by=requests"))
    expect_leaderboard(page, seeded, "requests", "week")


def test_pages_fit_a_360_px_phone(seeded: Site, new_context: ContextFactory) -> None:
    page = new_context(viewport="phone").new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    for path, ready in (("/", "home-top-list"), ("/rankings", "leaderboard")):
        page.goto(path)
        expect(page.get_by_test_id(ready)).to_be_visible()
        if path == "/rankings":
            expect(page.get_by_test_id("trend-chart").locator("svg.recharts-surface")).to_be_visible()
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways at 360 px: {width}"


def test_screenshots(seeded: Site, shoot_all: ShootAll) -> None:
    shoot_all("/", "home", ready='[data-testid="home-top-list"]')
    shoot_all("/rankings", "rankings", ready='[data-testid="trend-chart"] svg.recharts-surface')
    shoot_all(
        "/rankings?by=growth",
        "rankings-growth",
        ready='[data-testid="trend-chart"] svg.recharts-surface',
        language="zh-CN",
    )
