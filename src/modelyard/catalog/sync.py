"""Catalogue sync: download an OpenRouter-format `/api/v1/models` document, show what would change, apply it.

Prices an operator set by hand are kept unless forced. A price that drops to zero or moves by more than the
configured factor is held back until confirmed: a bad upstream document must not silently make a model free
or ten times dearer. A failed or malformed download changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.catalog.importer import (
    PRICE_FIELDS,
    CatalogFormatError,
    import_models,
    parse_prices,
    validate_document,
)
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import CatalogModel, ModelPrice

DEFAULT_URL = "https://openrouter.ai/api/v1/models?output_modalities=all"
DEFAULT_MAX_CHANGE_FACTOR = Decimal(3)
_PRICE_COLUMNS = tuple(column for column, _ in PRICE_FIELDS.values())
_SYNCING = asyncio.Lock()


class SyncError(Exception):
    """The download failed or was not a catalogue; nothing was changed."""


@dataclass(frozen=True)
class PriceChange:
    slug: str
    column: str
    old_nanos: int
    new_nanos: int
    reason: str | None = None  # why it is held or kept, None when it applies

    def describe(self) -> str:
        unit = "/M tokens" if "mtok" in self.column else ""
        name = self.column.removesuffix("_per_mtok_nanos").removesuffix("_nanos")
        old, new = nanos_to_usd_str(self.old_nanos), nanos_to_usd_str(self.new_nanos)
        text = f"{self.slug} {name}: ${old} -> ${new}{unit}"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass
class SyncPlan:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[PriceChange] = field(default_factory=list)
    held: list[PriceChange] = field(default_factory=list)  # suspicious: needs --confirm
    kept: list[PriceChange] = field(default_factory=list)  # set by hand: needs --force
    models: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.held or self.kept)

    def lines(self) -> list[str]:
        out = [f"+ {slug}" for slug in self.added] + [f"- {slug}" for slug in self.removed]
        out += [f"~ {c.describe()}" for c in self.changed]
        out += [f"! held {c.describe()}" for c in self.held]
        out += [f"= kept {c.describe()}" for c in self.kept]
        return out


async def download(url: str, timeout_seconds: float = 60) -> list[dict[str, Any]]:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as http,
            http.get(url, headers={"Accept": "application/json"}) as response,
        ):
            body = await response.read()
            if response.status != 200:
                raise SyncError(f"{url} answered HTTP {response.status}; nothing was changed")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SyncError(f"cannot download {url}: {type(exc).__name__}: {exc}; nothing was changed") from None
    try:
        return validate_document(body)
    except CatalogFormatError as exc:
        raise SyncError(f"{url} did not send a catalogue: {exc}; nothing was changed") from None


async def plan(
    session: AsyncSession,
    models: list[dict[str, Any]],
    *,
    max_change_factor: Decimal = DEFAULT_MAX_CHANGE_FACTOR,
    force: bool = False,
    confirm: bool = False,
) -> SyncPlan:
    result = SyncPlan(models=models)
    rows = (await session.execute(select(CatalogModel, ModelPrice).outerjoin(ModelPrice))).all()
    current = {model.slug: (model, price) for model, price in rows}
    incoming = {entry["id"]: entry for entry in models}
    result.added = sorted(set(incoming) - set(current))
    result.removed = sorted(
        slug for slug, (model, _) in current.items() if slug not in incoming and model.is_active
    )
    for slug in sorted(set(incoming) & set(current)):
        _, price = current[slug]
        if price is None:
            continue
        new_prices = parse_prices(slug, incoming[slug].get("pricing") or {})
        for column in _PRICE_COLUMNS:
            old, new = int(getattr(price, column)), int(new_prices[column])
            if old == new:
                continue
            if price.is_manual and not force:
                result.kept.append(PriceChange(slug, column, old, new, "set by hand; --force to replace"))
                continue
            suspicious = _suspicious(old, new, max_change_factor)
            if suspicious and not confirm:
                result.held.append(PriceChange(slug, column, old, new, f"{suspicious}; --confirm to apply"))
                continue
            result.changed.append(PriceChange(slug, column, old, new))
    return result


def _suspicious(old: int, new: int, factor: Decimal) -> str | None:
    if new == 0 and old > 0:
        return "drops to zero"
    if old > 0 and new > 0 and (Decimal(new) / old > factor or Decimal(old) / new > factor):
        return f"changes more than {factor.normalize()}x"
    return None


async def apply(session: AsyncSession, sync_plan: SyncPlan) -> None:
    """Applies the plan in the caller's transaction: held and kept prices stay as they are, removed models
    are hidden (never deleted: request logs and history refer to them)."""
    protected = {(c.slug, c.column) for c in sync_plan.held + sync_plan.kept}
    if protected:
        # What the rows hold now (locked where the database can), not what they held when the plan was
        # made: a confirmed sync or an admin's edit may have landed in between, and must not be undone.
        slugs = sorted({slug for slug, _ in protected})
        rows = await session.execute(
            select(CatalogModel.slug, ModelPrice)
            .join(ModelPrice, ModelPrice.model_id == CatalogModel.id)
            .where(CatalogModel.slug.in_(slugs))
            .with_for_update(of=ModelPrice)
        )
        current = {
            (slug, column): getattr(price, column) for slug, price in rows for column in _PRICE_COLUMNS
        }
    await import_models(session, sync_plan.models, force_prices=True)
    if protected:
        prices = {
            model.slug: price
            for model, price in (
                await session.execute(select(CatalogModel, ModelPrice).join(ModelPrice))
            ).all()
        }
        for slug, column in protected:
            setattr(prices[slug], column, current[(slug, column)])
        for change in sync_plan.kept:
            prices[change.slug].is_manual = True
    if sync_plan.removed:
        for model in (
            await session.scalars(select(CatalogModel).where(CatalogModel.slug.in_(sync_plan.removed)))
        ).all():
            model.is_active = False
    await session.flush()


def parse_document(raw: bytes) -> list[dict[str, Any]]:
    try:
        return validate_document(raw)
    except (CatalogFormatError, orjson.JSONDecodeError) as exc:
        raise SyncError(f"not a catalogue: {exc}") from None


async def sync_catalog(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    *,
    dry_run: bool,
    force: bool,
    confirm: bool,
    applied: Callable[[], Awaitable[None]] | None = None,
) -> list[str]:
    """Downloads, plans and (unless a dry run) applies a sync in one transaction; `applied` then runs (the
    server passes its cache refresh, so the new prices bill the next request)."""
    models = await download(url)
    # One sync at a time in this process (the schedule and an admin's call): a plan is only valid until
    # another sync applies.
    async with _SYNCING, sessions() as session, session.begin():
        sync_plan = await plan(session, models, force=force, confirm=confirm)
        if not dry_run:
            await apply(session, sync_plan)
    if not dry_run and applied is not None:
        await applied()
    return sync_plan.lines()
