"""Importing an OpenRouter `/api/v1/models` document: the prices every charge is computed from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelyard.catalog.importer import CatalogFormatError, ImportResult, import_models, load_document
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from tests.conftest import query, run_async

BUNDLED = Path(__file__).resolve().parents[2] / "src" / "modelyard" / "data" / "openrouter-models.json"
BUNDLED_MODELS: dict[str, dict[str, Any]] = {m["id"]: m for m in json.loads(BUNDLED.read_text())["data"]}
PRICE_COLUMNS = (
    "is_priced, prompt_per_mtok_nanos, completion_per_mtok_nanos, internal_reasoning_per_mtok_nanos, "
    "cache_read_per_mtok_nanos, cache_write_per_mtok_nanos, request_nanos, image_nanos, web_search_nanos, "
    "is_manual"
)


def import_into(database_url: str, models: list[dict[str, Any]]) -> ImportResult:
    """One import in one transaction, as `modelyard catalog import` runs it."""

    async def run() -> ImportResult:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await import_models(session, models)
        finally:
            await engine.dispose()

    return run_async(run())


def price_row(database_url: str, slug: str) -> dict[str, Any]:
    rows = query(
        database_url,
        f"SELECT {PRICE_COLUMNS} FROM model_prices p JOIN catalog_models m ON m.id = p.model_id "
        "WHERE m.slug = :slug",
        slug=slug,
    )
    assert len(rows) == 1, f"{slug}: {rows}"
    names = [name.strip() for name in PRICE_COLUMNS.split(",")]
    return {name: (bool(v) if name.startswith("is_") else v) for name, v in zip(names, rows[0], strict=True)}


def count(database_url: str, table: str) -> int:
    return int(query(database_url, f"SELECT count(*) FROM {table}")[0][0])


@dataclass(frozen=True)
class Imported:
    database_url: str
    first_import: ImportResult


@pytest.fixture(scope="module")
def catalogue(database_url: str) -> Imported:
    """The module's database, migrated, with the bundled catalogue imported once."""

    async def upgrade() -> None:
        engine = create_engine(database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    run_async(upgrade())
    return Imported(database_url, import_into(database_url, load_document(None)))


@pytest.fixture
def imported(catalogue: Imported) -> Iterator[str]:
    """The imported catalogue; whatever a test changes is put back afterwards (a re-import is quick)."""
    yield catalogue.database_url
    query(catalogue.database_url, "DELETE FROM catalog_models WHERE slug LIKE 'acme/%'")
    query(catalogue.database_url, "UPDATE model_prices SET is_manual = :no", no=False)
    import_into(catalogue.database_url, load_document(None))


@pytest.fixture
def catalog_url(catalogue: Imported) -> str:
    """The imported catalogue, for tests that only read it."""
    return catalogue.database_url


def test_bundled_catalogue_has_549_priced_models(catalogue: Imported) -> None:
    url = catalogue.database_url
    assert len(BUNDLED_MODELS) == 549
    assert catalogue.first_import == ImportResult(added=549, updated=0, total=549)
    assert count(url, "catalog_models") == 549
    assert count(url, "model_prices") == 549
    slugs = {row[0] for row in query(url, "SELECT slug FROM catalog_models")}
    assert slugs == set(BUNDLED_MODELS)


@pytest.mark.parametrize(
    ("slug", "pricing_key", "json_value", "column", "nanos"),
    [
        # per token USD -> nanos per million tokens: × 1e15
        ("openai/gpt-4o", "prompt", "0.0000025", "prompt_per_mtok_nanos", 2_500_000_000),
        ("openai/gpt-4o", "completion", "0.00001", "completion_per_mtok_nanos", 10_000_000_000),
        ("openai/gpt-4o", "input_cache_read", "0.00000125", "cache_read_per_mtok_nanos", 1_250_000_000),
        ("openai/gpt-4o-mini", "prompt", "0.00000015", "prompt_per_mtok_nanos", 150_000_000),
        ("openai/gpt-4o-mini", "input_cache_read", "0.000000075", "cache_read_per_mtok_nanos", 75_000_000),
        ("deepseek/deepseek-chat", "prompt", "0.0000002574", "prompt_per_mtok_nanos", 257_400_000),
        ("deepseek/deepseek-chat", "completion", "0.0000010287", "completion_per_mtok_nanos", 1_028_700_000),
        (
            "perplexity/sonar-deep-research",
            "internal_reasoning",
            "0.000003",
            "internal_reasoning_per_mtok_nanos",
            3_000_000_000,
        ),
        # 22 decimals: 20_833_333.3333333 nanos per Mtok, rounded half-up to 20_833_333
        (
            "google/gemini-3.7-flash",
            "input_cache_write",
            "0.0000000208333333333333",
            "cache_write_per_mtok_nanos",
            20_833_333,
        ),
        # per unit USD -> nanos: × 1e9
        ("google/gemini-3.7-flash", "web_search", "0.014", "web_search_nanos", 14_000_000),
    ],
)
def test_prices_match_the_bundled_document_exactly(
    catalog_url: str, slug: str, pricing_key: str, json_value: str, column: str, nanos: int
) -> None:
    assert BUNDLED_MODELS[slug]["pricing"][pricing_key] == json_value  # the document is what we think it is
    price = price_row(catalog_url, slug)
    assert price[column] == nanos
    assert price["is_priced"] is True


def test_absent_prices_are_zero(catalog_url: str) -> None:
    assert "internal_reasoning" not in BUNDLED_MODELS["openai/gpt-4o"]["pricing"]
    price = price_row(catalog_url, "openai/gpt-4o")
    assert price["internal_reasoning_per_mtok_nanos"] == 0
    assert price["cache_write_per_mtok_nanos"] == 0
    assert price["request_nanos"] == 0


def test_routers_priced_minus_one_are_stored_unpriced(catalog_url: str) -> None:
    routers = sorted(s for s, m in BUNDLED_MODELS.items() if m["pricing"]["prompt"] == "-1")
    assert "openrouter/auto" in routers
    unpriced = sorted(
        row[0]
        for row in query(
            catalog_url,
            "SELECT m.slug FROM catalog_models m JOIN model_prices p ON p.model_id = m.id "
            "WHERE p.is_priced = :no",
            no=False,
        )
    )
    assert unpriced == routers
    price = price_row(catalog_url, "openrouter/auto")
    assert price["is_priced"] is False
    assert price["prompt_per_mtok_nanos"] == 0  # never a negative price
    assert price["completion_per_mtok_nanos"] == 0


def test_importing_twice_adds_nothing_and_updates_everything(imported: str) -> None:
    # Changes made to imported rows (not marked manual) are what a re-import overwrites.
    query(
        imported,
        "UPDATE model_prices SET prompt_per_mtok_nanos = 1 "
        "WHERE model_id = (SELECT id FROM catalog_models WHERE slug = 'openai/gpt-4o')",
    )
    query(imported, "UPDATE catalog_models SET name = 'renamed' WHERE slug = 'openai/gpt-4o-mini'")

    assert import_into(imported, load_document(None)) == ImportResult(added=0, updated=549, total=549)

    assert count(imported, "catalog_models") == 549
    assert count(imported, "model_prices") == 549
    assert price_row(imported, "openai/gpt-4o")["prompt_per_mtok_nanos"] == 2_500_000_000
    name = query(imported, "SELECT name FROM catalog_models WHERE slug = 'openai/gpt-4o-mini'")[0][0]
    assert name == BUNDLED_MODELS["openai/gpt-4o-mini"]["name"]


def test_a_manual_price_survives_a_reimport(imported: str) -> None:
    query(
        imported,
        "UPDATE model_prices SET prompt_per_mtok_nanos = 1234, is_manual = :yes "
        "WHERE model_id = (SELECT id FROM catalog_models WHERE slug = 'openai/gpt-4o')",
        yes=True,
    )
    query(imported, "UPDATE catalog_models SET name = 'renamed' WHERE slug = 'openai/gpt-4o'")

    import_into(imported, load_document(None))

    price = price_row(imported, "openai/gpt-4o")
    assert price["prompt_per_mtok_nanos"] == 1234
    assert price["is_manual"] is True
    # Only the price is the operator's: the rest of the model row is still synced.
    name = query(imported, "SELECT name FROM catalog_models WHERE slug = 'openai/gpt-4o'")[0][0]
    assert name == BUNDLED_MODELS["openai/gpt-4o"]["name"]


def test_a_new_document_adds_and_keeps_models_it_does_not_mention(imported: str) -> None:
    new_model = {"id": "acme/new-1", "name": "Acme New", "pricing": {"prompt": "0.000001", "completion": "0"}}
    assert import_into(imported, [new_model]) == ImportResult(added=1, updated=0, total=550)
    assert price_row(imported, "acme/new-1")["prompt_per_mtok_nanos"] == 1_000_000_000
    assert count(imported, "catalog_models") == 550


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "models.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def document(*models: object) -> str:
    return json.dumps({"data": list(models)})


GOOD = {"id": "acme/good", "pricing": {"prompt": "0.000001", "completion": "0.000002"}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG not json", "not JSON"),
        ("", "not JSON"),
        ('{"data": [', "not JSON"),
        ('{"models": []}', "`data`"),
        ('{"data": {"id": "acme/x"}}', "`data`"),
        ('"just a string"', "`data`"),
        (document(GOOD, {"name": "no id", "pricing": {}}), "model #1 has no `id`"),
        (document({"id": 42, "pricing": {}}), "model #0 has no `id`"),
        (document({"id": "acme/no-pricing"}), "model #0 has no `id` string or no `pricing` object"),
        (document({"id": "acme/bad-pricing", "pricing": "free"}), "no `pricing` object"),
        (document(GOOD, "acme/x"), "model #1"),
        (document(GOOD, GOOD), "acme/good appears more than once"),
    ],
)
def test_malformed_documents_are_refused_naming_the_problem(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    with pytest.raises(CatalogFormatError) as raised:
        load_document(write(tmp_path, content))
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("pricing", "message"),
    [
        ({"prompt": "abc", "completion": "0"}, "acme/bad: pricing.prompt: not a decimal number: 'abc'"),
        ({"prompt": "0", "completion": None}, "acme/bad: pricing.completion: not a decimal number: None"),
        ({"prompt": "0", "completion": "0", "request": [1]}, "acme/bad: pricing.request: not a decimal"),
        ({"prompt": "0", "completion": "0", "input_cache_read": "NaN"}, "pricing.input_cache_read"),
        ({"prompt": "1e40", "completion": "0"}, "acme/bad: pricing.prompt: '1e40' is out of range"),
        ({"prompt": "-0.5", "completion": "0"}, "acme/bad: pricing.prompt is negative"),
    ],
)
def test_a_price_that_is_not_a_usable_number_changes_nothing(
    catalog_url: str, tmp_path: Path, pricing: dict[str, Any], message: str
) -> None:
    # A valid update to an existing model and a new model come first in the document; neither may land.
    changed = {**BUNDLED_MODELS["openai/gpt-4o"], "pricing": {"prompt": "0.000009", "completion": "0.00009"}}
    new = {"id": "acme/new-2", "pricing": {"prompt": "0.000001", "completion": "0"}}
    bad = {"id": "acme/bad", "pricing": pricing}
    # Loading the document checks every price, so a bad one is refused before anything is imported; the
    # importer checks again for documents that did not come through load_document.
    with pytest.raises(CatalogFormatError) as loading:
        load_document(write(tmp_path, document(changed, new, bad)))
    assert message in str(loading.value)
    with pytest.raises(CatalogFormatError) as raised:
        import_into(catalog_url, [changed, new, bad])

    assert message in str(raised.value)
    assert count(catalog_url, "catalog_models") == 549
    assert count(catalog_url, "model_prices") == 549
    assert price_row(catalog_url, "openai/gpt-4o")["prompt_per_mtok_nanos"] == 2_500_000_000
    assert query(catalog_url, "SELECT id FROM catalog_models WHERE slug IN ('acme/new-2', 'acme/bad')") == []
