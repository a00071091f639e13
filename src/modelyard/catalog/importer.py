"""Imports an OpenRouter-format `/api/v1/models` document into the catalogue tables."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.money import MoneyError, per_token_usd_to_per_mtok_nanos, per_unit_usd_to_nanos
from modelyard.models import CatalogModel, ModelPrice

BUNDLED_CATALOG = "openrouter-models.json"

# OpenRouter pricing key -> (our column, is it per token?); the API and the admin API use the same names.
PRICE_FIELDS: dict[str, tuple[str, bool]] = {
    "prompt": ("prompt_per_mtok_nanos", True),
    "completion": ("completion_per_mtok_nanos", True),
    "internal_reasoning": ("internal_reasoning_per_mtok_nanos", True),
    "input_cache_read": ("cache_read_per_mtok_nanos", True),
    "input_cache_write": ("cache_write_per_mtok_nanos", True),
    "request": ("request_nanos", False),
    "image": ("image_nanos", False),
    "web_search": ("web_search_nanos", False),
}


class CatalogFormatError(ValueError):
    pass


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    total: int


def bundled_catalog_bytes() -> bytes:
    return resources.files("modelyard.data").joinpath(BUNDLED_CATALOG).read_bytes()


def load_document(path: Path | None) -> list[dict[str, Any]]:
    return validate_document(bundled_catalog_bytes() if path is None else path.read_bytes())


def validate_document(raw: bytes) -> list[dict[str, Any]]:
    """The models of an OpenRouter `/api/v1/models` document, checked (prices parse, ids are unique)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogFormatError(f"not JSON: {exc}") from None
    models = document.get("data") if isinstance(document, dict) else document
    if not isinstance(models, list):
        raise CatalogFormatError("expected an object with a `data` list of models, as /api/v1/models returns")
    seen: set[str] = set()
    for index, entry in enumerate(models):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not isinstance(entry.get("pricing"), dict)
        ):
            raise CatalogFormatError(f"model #{index} has no `id` string or no `pricing` object")
        if entry["id"] in seen:
            raise CatalogFormatError(f"model #{index}: {entry['id']} appears more than once")
        seen.add(entry["id"])
        parse_prices(entry["id"], entry["pricing"])  # a price that does not parse rejects the whole document
    return models


def parse_prices(slug: str, pricing: dict[str, Any]) -> dict[str, Any]:
    """Column values for ModelPrice. A missing key means 0 (OpenRouter omits zero prices); "-1" means the
    price is undefined, and the model is stored unpriced."""
    values: dict[str, Any] = {"is_priced": True}
    for key, (column, per_token) in PRICE_FIELDS.items():
        raw = pricing.get(key, "0")
        if str(raw).strip() == "-1":
            values["is_priced"] = False
            values[column] = 0
            continue
        try:
            amount = per_token_usd_to_per_mtok_nanos(raw) if per_token else per_unit_usd_to_nanos(raw)
        except MoneyError as exc:
            raise CatalogFormatError(f"{slug}: pricing.{key}: {exc}") from None
        if amount < 0:
            raise CatalogFormatError(f"{slug}: pricing.{key} is negative")
        values[column] = amount
    return values


def _model_values(entry: dict[str, Any]) -> dict[str, Any]:
    architecture = entry.get("architecture") or {}
    top_provider = entry.get("top_provider") or {}
    slug: str = entry["id"]
    return {
        "slug": slug,
        "canonical_slug": entry.get("canonical_slug") or slug,
        "name": entry.get("name") or slug,
        "author": slug.split("/", 1)[0] if "/" in slug else "",
        "description": entry.get("description") or "",
        "created_unix": int(entry.get("created") or 0),
        "context_length": entry.get("context_length"),
        "max_completion_tokens": top_provider.get("max_completion_tokens"),
        "input_modalities": list(architecture.get("input_modalities") or ["text"]),
        "output_modalities": list(architecture.get("output_modalities") or ["text"]),
        "tokenizer": architecture.get("tokenizer"),
        "instruct_type": architecture.get("instruct_type"),
        "supported_parameters": list(entry.get("supported_parameters") or []),
        "default_parameters": entry.get("default_parameters"),
        "supports_reasoning": "reasoning" in (entry.get("supported_parameters") or []),
        "is_active": True,
        "source": entry,
    }


async def import_models(
    session: AsyncSession, models: list[dict[str, Any]], *, force_prices: bool = False
) -> ImportResult:
    """Upsert by slug. Prices an operator set by hand (is_manual) are kept unless `force_prices`."""
    parsed = [
        (_model_values(entry), parse_prices(entry["id"], entry.get("pricing") or {})) for entry in models
    ]
    existing = {row.slug: row for row in (await session.scalars(select(CatalogModel))).all()}
    prices = {row.model_id: row for row in (await session.scalars(select(ModelPrice))).all()}
    added = updated = 0
    for values, price_values in parsed:
        row = existing.get(values["slug"])
        if row is None:
            row = CatalogModel(**values)
            session.add(row)
            await session.flush()
            session.add(ModelPrice(model_id=row.id, **price_values))
            existing[row.slug] = row
            added += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        price = prices.get(row.id)
        if price is None:
            session.add(ModelPrice(model_id=row.id, **price_values))
        elif force_prices or not price.is_manual:
            price.is_manual = False
            for key, value in price_values.items():
                setattr(price, key, value)
        updated += 1
    await session.flush()
    return ImportResult(added=added, updated=updated, total=len(existing))


async def catalog_is_empty(session: AsyncSession) -> bool:
    count = await session.scalar(select(func.count()).select_from(CatalogModel))
    return not count
