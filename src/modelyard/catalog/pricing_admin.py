"""Operators' price edits and markups, each change written to the price audit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.catalog.importer import PRICE_FIELDS
from modelyard.kit.money import MoneyError, nanos_to_usd_str, usd_to_nanos
from modelyard.models import (
    CatalogModel,
    Channel,
    ChannelModel,
    ModelPrice,
    PriceAudit,
    PricingSetting,
)

GLOBAL_MARKUP = "global_markup"
MIN_MARKUP_BPS = -9_999  # a discount up to 99.99%; never free or negative
MAX_MARKUP_BPS = 1_000_000  # 10,000%


class PricingError(ValueError):
    pass


def apply_markup(nanos: int, markup_bps: int) -> int:
    """The price a user pays: rounded half-up to the nano, once, when prices are loaded (not per request)."""
    return (nanos * (10_000 + markup_bps) + 5_000) // 10_000


def parse_markup_percent(value: str) -> int:
    """A percentage with at most two decimals ("12.5") to basis points."""
    try:
        bps = Decimal(str(value).strip()) * 100
    except (InvalidOperation, ValueError):
        raise PricingError(f'markup must be a percentage such as "10" or "12.5", got {value!r}') from None
    if not bps.is_finite() or bps != bps.to_integral_value():
        raise PricingError("markup takes at most two decimals")
    if not MIN_MARKUP_BPS <= bps <= MAX_MARKUP_BPS:
        raise PricingError("markup must be above -100% and at most 10000%")
    return int(bps)


def markup_percent(bps: int | None) -> str | None:
    return None if bps is None else nanos_to_usd_str(bps * 10_000_000)  # bps / 100, exactly


def parse_price(name: str, value: str) -> int:
    """An admin's price: USD per million tokens for token prices, USD per unit otherwise, as nanos."""
    try:
        nanos = usd_to_nanos(str(value).strip())
    except MoneyError as exc:
        raise PricingError(f"prices.{name}: {exc}") from None
    if nanos < 0:
        raise PricingError(f"prices.{name} must not be negative")
    return nanos


async def global_markup_bps(session: AsyncSession) -> int:
    setting = await session.get(PricingSetting, GLOBAL_MARKUP)
    return setting.value_bps if setting is not None else 0


async def model_pricing(session: AsyncSession, slug: str) -> tuple[CatalogModel, ModelPrice]:
    row = (
        await session.execute(
            select(CatalogModel, ModelPrice).join(ModelPrice).where(CatalogModel.slug == slug)
        )
    ).first()
    if row is None:
        raise LookupError(f"Model {slug} does not exist")
    return row[0], row[1]


def describe(model: CatalogModel, price: ModelPrice, global_bps: int) -> dict[str, Any]:
    """A model's prices for administrators: as imported or set, and what users pay after markup."""
    markup = price.markup_bps if price.markup_bps is not None else global_bps
    prices: dict[str, Any] = {}
    for name, (column, per_mtok) in PRICE_FIELDS.items():
        nanos = int(getattr(price, column))
        prices[name] = {
            "base": nanos_to_usd_str(nanos),
            "billed": nanos_to_usd_str(apply_markup(nanos, markup)),
            "unit": "USD per million tokens" if per_mtok else "USD",
        }
    return {
        "id": model.slug,
        "name": model.name,
        "is_active": model.is_active,
        "is_priced": price.is_priced,
        "is_manual": price.is_manual,
        "markup_percent": markup_percent(price.markup_bps),
        "effective_markup_percent": markup_percent(markup),
        "prices": prices,
    }


async def update_model(
    session: AsyncSession,
    slug: str,
    *,
    actor_user_id: int,
    prices: dict[str, str],
    markup: str | None,
    clear_markup: bool,
    is_active: bool | None,
) -> None:
    """Changes prices (marking them set by hand, so a catalogue sync keeps them), the model's markup and
    whether it is listed, auditing each change."""
    model, price = await model_pricing(session, slug)
    audits: list[PriceAudit] = []

    def audit(field: str, old: Any, new: Any) -> None:
        audits.append(
            PriceAudit(
                actor_user_id=actor_user_id,
                subject=slug,
                field=field,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
            )
        )

    for name, value in prices.items():
        if name not in PRICE_FIELDS:
            raise PricingError(f"unknown price `{name}`; known: {', '.join(PRICE_FIELDS)}")
        column, _ = PRICE_FIELDS[name]
        nanos = parse_price(name, value)
        old = int(getattr(price, column))
        if old != nanos:
            audit(f"price.{name}", nanos_to_usd_str(old), nanos_to_usd_str(nanos))
            setattr(price, column, nanos)
    if prices:
        price.is_manual = True
        if not price.is_priced:
            audit("is_priced", False, True)
            price.is_priced = True
    if markup is not None or clear_markup:
        new_bps = None if clear_markup else parse_markup_percent(markup or "")
        if new_bps != price.markup_bps:
            audit("markup_percent", markup_percent(price.markup_bps), markup_percent(new_bps))
            price.markup_bps = new_bps
    if is_active is not None and is_active != model.is_active:
        audit("is_active", model.is_active, is_active)
        model.is_active = is_active
    session.add_all(audits)
    await session.flush()


async def set_global_markup(session: AsyncSession, *, actor_user_id: int, percent: str) -> int:
    bps = parse_markup_percent(percent)
    setting = await session.get(PricingSetting, GLOBAL_MARKUP)
    old = setting.value_bps if setting is not None else 0
    if setting is None:
        session.add(PricingSetting(name=GLOBAL_MARKUP, value_bps=bps))
    else:
        setting.value_bps = bps
    if old != bps:
        session.add(
            PriceAudit(
                actor_user_id=actor_user_id,
                subject="global",
                field="markup_percent",
                old_value=markup_percent(old),
                new_value=markup_percent(bps),
            )
        )
    await session.flush()
    return bps


async def audit_log(session: AsyncSession, *, limit: int, subject: str | None = None) -> list[PriceAudit]:
    query = select(PriceAudit).order_by(PriceAudit.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(PriceAudit.subject == subject)
    return list((await session.scalars(query)).all())


ENDPOINT_FIELDS = (
    "prompt",
    "completion",
    "internal_reasoning",
    "input_cache_read",
    "input_cache_write",
    "request",
)


ENDPOINT_LIMITS = ("context_length", "max_completion_tokens")


async def update_endpoint(
    session: AsyncSession,
    slug: str,
    channel_id: int,
    *,
    actor_user_id: int,
    prices: dict[str, str | None],
    limits: dict[str, int | None] | None = None,
) -> None:
    """Sets (or, with null, clears) one channel's own prices and limits for a model, auditing each change."""
    served = await session.scalar(
        select(ChannelModel).where(ChannelModel.model_slug == slug, ChannelModel.channel_id == channel_id)
    )
    if served is None:
        raise LookupError(f"channel {channel_id} does not serve {slug}")
    subject = f"{slug}@channel:{channel_id}"

    def change(attribute: str, field: str, value: int | None, shown: Callable[[int], str]) -> None:
        old = getattr(served, attribute)
        if old != value:
            session.add(
                PriceAudit(
                    actor_user_id=actor_user_id,
                    subject=subject,
                    field=field,
                    old_value=None if old is None else shown(old),
                    new_value=None if value is None else shown(value),
                )
            )
            setattr(served, attribute, value)

    for name, value in prices.items():
        if name not in ENDPOINT_FIELDS:
            raise PricingError(f"unknown endpoint price `{name}`; known: {', '.join(ENDPOINT_FIELDS)}")
        nanos = None if value is None else parse_price(name, value)
        change(PRICE_FIELDS[name][0], f"price.{name}", nanos, nanos_to_usd_str)
    for name, limit in (limits or {}).items():
        if name not in ENDPOINT_LIMITS:
            raise PricingError(f"unknown endpoint limit `{name}`; known: {', '.join(ENDPOINT_LIMITS)}")
        if limit is not None and limit < 1:
            raise PricingError(f"`{name}` must be a positive number of tokens, or null for the model's")
        change(name, f"limit.{name}", limit, str)
    await session.flush()


async def endpoint_prices(
    session: AsyncSession, slug: str, channel_id: int
) -> tuple[dict[str, str | None], dict[str, int | None]]:
    served = await session.scalar(
        select(ChannelModel).where(ChannelModel.model_slug == slug, ChannelModel.channel_id == channel_id)
    )
    if served is None:
        raise LookupError(f"channel {channel_id} does not serve {slug}")
    return endpoint_values(served)


# --- The admin pages' model list and a model's endpoints.


async def list_models(
    session: AsyncSession,
    *,
    search: str | None,
    status: str,
    offset: int,
    limit: int,
) -> tuple[list[tuple[CatalogModel, ModelPrice | None, int]], int]:
    """Catalogue models by slug, hidden ones too (`status`: all, listed or hidden), with how many channels
    serve each, and how many match."""
    matching = select(CatalogModel.id)
    if search and search.strip():
        words = search.strip().lower()
        matching = matching.where(
            func.lower(CatalogModel.slug).contains(words, autoescape=True)
            | func.lower(CatalogModel.name).contains(words, autoescape=True)
        )
    if status == "listed":
        matching = matching.where(CatalogModel.is_active.is_(True))
    elif status == "hidden":
        matching = matching.where(CatalogModel.is_active.is_(False))
    total = int(await session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
    served = (
        select(ChannelModel.model_slug, func.count(ChannelModel.id).label("channels"))
        .group_by(ChannelModel.model_slug)
        .subquery()
    )
    rows = (
        await session.execute(
            select(CatalogModel, ModelPrice, func.coalesce(served.c.channels, 0))
            .outerjoin(ModelPrice, ModelPrice.model_id == CatalogModel.id)
            .outerjoin(served, served.c.model_slug == CatalogModel.slug)
            .where(CatalogModel.id.in_(matching))
            .order_by(CatalogModel.slug)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [(model, price, int(channels)) for model, price, channels in rows], total


async def model_endpoints(session: AsyncSession, slug: str) -> list[tuple[Channel, ChannelModel]]:
    """The channels serving a model, with their own prices and limits for it."""
    rows = await session.execute(
        select(Channel, ChannelModel)
        .join(ChannelModel, ChannelModel.channel_id == Channel.id)
        .where(ChannelModel.model_slug == slug)
        .order_by(Channel.priority.desc(), Channel.name)
    )
    return [(channel, served) for channel, served in rows.all()]


def endpoint_values(
    served: ChannelModel,
) -> tuple[dict[str, str | None], dict[str, int | None]]:
    prices: dict[str, str | None] = {}
    for name in ENDPOINT_FIELDS:
        value = getattr(served, PRICE_FIELDS[name][0])
        prices[name] = None if value is None else nanos_to_usd_str(value)
    return prices, {name: getattr(served, name) for name in ENDPOINT_LIMITS}
