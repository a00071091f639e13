"""`modelyard catalog sync` against a local server speaking OpenRouter's /api/v1/models: every diff case."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.server import FakeServer

CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "src/modelyard/data/openrouter-models.json").read_text()
)


class FakeCatalogue(FakeServer):
    """Serves whatever document a test sets, or a failure."""

    def __init__(self) -> None:
        super().__init__(api_key=None)
        self.document: Any = CATALOG
        self.status = 200

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/models", self._models)

    async def _models(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.json_response({"error": {"code": self.status, "message": "down"}}, status=self.status)
        if isinstance(self.document, bytes):
            return web.Response(body=self.document, content_type="application/json")
        return web.json_response(self.document)


@pytest.fixture(scope="module")
def catalogue() -> Iterator[FakeCatalogue]:
    with FakeCatalogue() as fake:
        yield fake


@pytest.fixture(autouse=True)
def fresh_document(catalogue: FakeCatalogue) -> Iterator[None]:
    """Each test starts from the shipped catalogue, whatever the one before left (even when it failed)."""
    catalogue.document, catalogue.status = CATALOG, 200
    yield
    catalogue.document, catalogue.status = CATALOG, 200


def price(database_url: str, slug: str, column: str = "prompt_per_mtok_nanos") -> int:
    rows = query(
        database_url,
        f"SELECT p.{column} FROM model_prices p JOIN catalog_models m ON m.id = p.model_id WHERE m.slug = :s",
        s=slug,
    )
    return int(rows[0][0])


def with_changes(**prompt_prices: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(CATALOG)
    for model in document["data"]:
        if model["id"] in prompt_prices:
            model["pricing"]["prompt"] = prompt_prices[model["id"]]
    return document


def test_sync_shows_and_applies_a_diff(cli: Cli, catalogue: FakeCatalogue, database_url: str) -> None:
    url = f"{catalogue.base_url}/api/v1/models"
    cli("catalog", "import")
    unchanged = cli("catalog", "sync", "--url", url)
    assert "no changes" in unchanged.stdout

    document = with_changes(**{"openai/gpt-4o": "0.000003"})  # $2.5 -> $3 per M: applied
    document["data"] = [m for m in document["data"] if m["id"] != "openai/gpt-4o-mini"]  # removed
    new_model = copy.deepcopy(BY_ID["openai/gpt-4o"])
    new_model.update(id="acme/new-model", canonical_slug="acme/new-model-2026", name="Acme: New")
    document["data"].append(new_model)  # added
    catalogue.document = document

    dry = cli("catalog", "sync", "--url", url, "--dry-run")
    assert "+ acme/new-model" in dry.stdout and "- openai/gpt-4o-mini" in dry.stdout
    assert "~ openai/gpt-4o prompt: $2.5 -> $3/M tokens" in dry.stdout
    assert price(database_url, "openai/gpt-4o") == 2_500_000_000  # a dry run changes nothing

    cli("catalog", "sync", "--url", url)
    assert price(database_url, "openai/gpt-4o") == 3_000_000_000
    assert price(database_url, "acme/new-model") == 2_500_000_000  # a copy of gpt-4o's original entry
    hidden = query(database_url, "SELECT is_active FROM catalog_models WHERE slug = 'openai/gpt-4o-mini'")
    assert hidden == [(False,)]


def test_suspicious_prices_wait_for_confirmation(
    cli: Cli, catalogue: FakeCatalogue, database_url: str
) -> None:
    url = f"{catalogue.base_url}/api/v1/models"
    catalogue.document = CATALOG
    cli("catalog", "sync", "--url", url)
    catalogue.document = with_changes(**{"openai/gpt-4o": "0", "anthropic/claude-sonnet-5": "0.00005"})
    held = cli("catalog", "sync", "--url", url)
    assert "! held openai/gpt-4o prompt: $2.5 -> $0/M tokens (drops to zero" in held.stdout
    assert "! held anthropic/claude-sonnet-5 prompt: $2 -> $50/M tokens (changes more than 3x" in held.stdout
    assert price(database_url, "openai/gpt-4o") == 2_500_000_000
    assert price(database_url, "anthropic/claude-sonnet-5") == 2_000_000_000
    cli("catalog", "sync", "--url", url, "--confirm")
    assert price(database_url, "openai/gpt-4o") == 0
    assert price(database_url, "anthropic/claude-sonnet-5") == 50_000_000_000


def test_prices_set_by_hand_are_kept_unless_forced(
    cli: Cli, catalogue: FakeCatalogue, database_url: str
) -> None:
    url = f"{catalogue.base_url}/api/v1/models"
    catalogue.document = CATALOG
    cli("catalog", "sync", "--url", url, "--confirm")
    query(
        database_url,
        "UPDATE model_prices SET prompt_per_mtok_nanos = 1500000000, is_manual = true WHERE model_id = "
        "(SELECT id FROM catalog_models WHERE slug = 'openai/gpt-4.1')",
    )
    kept = cli("catalog", "sync", "--url", url)
    assert "= kept openai/gpt-4.1 prompt" in kept.stdout
    assert price(database_url, "openai/gpt-4.1") == 1_500_000_000
    cli("catalog", "sync", "--url", url, "--force")
    assert price(database_url, "openai/gpt-4.1") == 2_000_000_000


@pytest.mark.parametrize(
    ("status", "document", "reason"),
    [
        (500, None, "HTTP 500"),
        (200, b"<html>maintenance</html>", "did not send a catalogue"),
        (200, {"models": []}, "did not send a catalogue"),
        (200, {"data": [{"id": "x/y", "pricing": {"prompt": "free", "completion": "0"}}]}, "did not send"),
    ],
)
def test_a_failed_or_malformed_download_changes_nothing(
    cli: Cli, catalogue: FakeCatalogue, database_url: str, status: int, document: Any, reason: str
) -> None:
    url = f"{catalogue.base_url}/api/v1/models"
    before = query(database_url, "SELECT COUNT(*), SUM(prompt_per_mtok_nanos) FROM model_prices")
    catalogue.status, catalogue.document = status, document
    try:
        failed = cli("catalog", "sync", "--url", url, expect=1)
    finally:
        catalogue.status, catalogue.document = 200, CATALOG
    assert reason in failed.stderr and "nothing was changed" in failed.stderr
    assert query(database_url, "SELECT COUNT(*), SUM(prompt_per_mtok_nanos) FROM model_prices") == before


BY_ID = {m["id"]: m for m in CATALOG["data"]}


def test_admin_api_and_schedule_sync(
    cli: Cli, env: Env, catalogue: FakeCatalogue, database_url: str, server_factory: Callable[[Env], Server]
) -> None:
    url = f"{catalogue.base_url}/api/v1/models"
    catalogue.document = CATALOG
    cli("catalog", "sync", "--url", url, "--confirm", "--force")
    cli("users", "create", "catalog-admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "catalog-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("catalog-user@example.com")
    scheduled = Env(
        env.data_dir,
        env.database_url,
        {**env.extra, "MODELYARD_CATALOG_SYNC_INTERVAL": "0.3", "MODELYARD_CATALOG_SYNC_URL": url},
    )
    server = server_factory(scheduled)

    def gpt4o_prompt() -> str:
        models = httpx.get(
            f"{server.url}/api/v1/models", params={"include_unavailable": "true", "q": "openai/gpt-4o"}
        ).json()["data"]
        prompt: str = next(m for m in models if m["id"] == "openai/gpt-4o")["pricing"]["prompt"]
        return prompt

    # The schedule applies ordinary changes on its own, and the API answers with the new price at once.
    catalogue.document = with_changes(**{"openai/gpt-4o": "0.000003"})
    wait_until(lambda: gpt4o_prompt() == "0.000003", what="the scheduled sync")
    # It never applies a suspicious change unattended; an admin can, through the API.
    catalogue.document = with_changes(**{"openai/gpt-4o": "0.00003"})
    time.sleep(1)
    assert gpt4o_prompt() == "0.000003"
    body = {"url": url, "confirm": True}
    forbidden = httpx.post(
        f"{server.url}/api/admin/catalog/sync", json=body, headers={"Authorization": f"Bearer {user}"}
    )
    assert forbidden.status_code == 403
    dry = httpx.post(
        f"{server.url}/api/admin/catalog/sync",
        json={**body, "dry_run": True},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    assert dry["applied"] is False and any(
        "openai/gpt-4o prompt: $3 -> $30" in line for line in dry["changes"]
    )
    assert gpt4o_prompt() == "0.000003"
    done = httpx.post(
        f"{server.url}/api/admin/catalog/sync", json=body, headers={"Authorization": f"Bearer {admin}"}
    )
    assert done.status_code == 200 and done.json()["applied"] is True
    assert gpt4o_prompt() == "0.00003"
    catalogue.document = CATALOG
