"""The journeys that matter, end to end in a real browser against the real server, and an automated
accessibility check (axe-core) of every page: no serious or critical violation."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import wait_until
from tests.web.conftest import PASSWORD, WEB_DIR, ContextFactory, Site, catalog_model, sign_in

MODEL = "journey/model-1"
AXE = WEB_DIR / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ["/", "/models", f"/models/{MODEL}", "/rankings", "/signin", "/signup"]
CONSOLE_PAGES = ["/credits", "/keys", "/activity", "/playground", "/settings"]
ADMIN_PAGES = [
    "/admin/channels",
    "/admin/models",
    "/admin/users",
    "/admin/codes",
    "/admin/settings",
    "/admin/audit",
]


@pytest.fixture(scope="module")
def served(site: Site) -> str:
    site.serve_models(
        [catalog_model(MODEL, name="Journey: Model One", prompt="0.000002", completion="0.000004")]
    )
    return MODEL


def test_sign_up_redeem_create_a_key_call_the_api_and_see_it_billed(
    site: Site, served: str, new_context: ContextFactory
) -> None:
    page = new_context().new_page()
    email = f"journey-{secrets.token_hex(4)}@example.com"
    page.goto("/signup?next=%2Fcredits")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/credits$"))

    code = site.cli("codes", "create", "--count", "1", "--amount", "3").stdout.strip().splitlines()[-1]
    page.get_by_label("Redemption code").fill(code)
    page.get_by_test_id("redeem-submit").click()
    expect(page.get_by_test_id("redeem-success")).to_contain_text("Added $3.00")
    expect(page.get_by_test_id("balance-balance")).to_have_attribute("data-value", "3")

    page.goto("/keys")
    page.get_by_test_id("create-key").click()
    dialog = page.get_by_role("dialog", name="Create an API key")
    dialog.get_by_label("Name").fill("journey")
    dialog.get_by_test_id("key-submit").click()
    secret = page.get_by_role("dialog", name="Your new API key").get_by_test_id("created-key").input_value()
    page.get_by_test_id("created-key-done").click()

    client = openai.OpenAI(api_key=secret, base_url=f"{site.url}/v1", max_retries=0, timeout=30)
    answer = client.chat.completions.create(model=served, messages=[{"role": "user", "content": "bill me"}])
    assert answer.choices[0].message.content
    generation = answer.id
    cost = Decimal(str((answer.usage.model_extra or {})["cost"])) if answer.usage else Decimal(0)
    assert cost > 0

    def recorded() -> bool:
        rows = page.request.get("/api/activity/logs").json()["data"]
        return any(row["id"] == generation for row in rows)

    wait_until(recorded, what="the request in activity")
    page.goto("/activity")
    row = page.locator(f'[data-testid="log-row"][data-generation="{generation}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Journey: Model One")
    page.goto("/credits")
    expect(page.get_by_test_id("balance-balance")).to_have_attribute("data-value", str(Decimal(3) - cost))


def _serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [_node(n) for n in v["nodes"][:5]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _node(node: dict[str, Any]) -> str:
    """The element, and for a contrast failure its colours and ratio: what a fix needs to know."""
    data: dict[str, Any] = next(
        (check["data"] for check in node.get("any", []) if isinstance(check.get("data"), dict)), {}
    )
    colours = f" {data.get('fgColor')} on {data.get('bgColor')} = {data.get('contrastRatio')}" if data else ""
    return " ".join(map(str, node["target"])) + colours


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_without_serious_violations(
    site: Site, served: str, new_context: ContextFactory, scheme: str
) -> None:
    assert Path(AXE).is_file(), "axe-core is a dev dependency of web/: run `npm ci` in web/"
    admin = site.user("axe", role="admin", credits_usd="5")
    found: dict[str, list[dict[str, Any]]] = {}
    for signed_in, pages in ((False, PUBLIC_PAGES), (True, CONSOLE_PAGES + ADMIN_PAGES)):
        context = new_context(color_scheme=scheme)  # type: ignore[arg-type]
        if signed_in:
            sign_in(context, admin)
        page = context.new_page()
        for path in pages:
            page.goto(path)
            page.locator("h1").first.wait_for()
            page.wait_for_load_state("networkidle")
            violations = _serious_violations(page)
            if violations:
                found[path] = violations
        context.close()
    assert found == {}, found
