"""In-process copies of what every relayed request reads: keys, model prices, channels.

The hot path reads only these; they are rebuilt from the database on an interval (and at once when another
process announces a change through Redis), so a request never waits on the database to be authenticated,
priced or routed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.billing.pricing import Price
from modelyard.catalog.pricing_admin import GLOBAL_MARKUP, apply_markup
from modelyard.channels.service import decode_keys
from modelyard.kit.money import per_mtok_nanos_to_per_token_usd_str
from modelyard.kit.secrets import SecretBox
from modelyard.models import (
    ApiKey,
    CatalogModel,
    CatalogProvider,
    Channel,
    ChannelModel,
    ModelPrice,
    PricingSetting,
    User,
    UserRole,
)
from modelyard.routing.planner import Route

log = logging.getLogger(__name__)


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class KeyPrincipal:
    key_id: int
    user_id: int
    is_usable: bool  # key enabled and its owner active
    role: str = UserRole.USER
    routing_strategy: str | None = None  # the owner's preference; None = the deployment's
    is_management: bool = False
    key_hash: str = ""
    expires_at: datetime | None = None
    # A credit limit the hold must check in the database (its amount and window live there).
    has_credit_limit: bool = False
    allowed_models: tuple[str, ...] = ()  # fnmatch patterns over catalogue slugs; empty = every model
    # Parsed allowed_ips; `ip_restricted` with no network (none could be read) lets no address in.
    allowed_networks: tuple[IpNetwork, ...] = ()
    ip_restricted: bool = False
    rpm_limit: int | None = None
    tpm_limit: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in (UserRole.ADMIN, UserRole.ROOT)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    slug: str
    price: Price | None  # None: the catalogue has no usable price, so the model cannot be billed
    context_length: int | None
    max_completion_tokens: int | None
    base_price: Price | None = None  # before markup
    markup_bps: int = 0
    # The request parameters the model accepts (OpenRouter's vocabulary); None = not known.
    supported_parameters: frozenset[str] | None = None


@dataclass
class CatalogView:
    models: dict[str, ModelInfo] = field(default_factory=dict)
    # Every active model in OpenRouter's `/models` shape, newest first.
    documents: list[dict[str, Any]] = field(default_factory=list)
    by_slug: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: tuple[int, datetime | None, int] = (0, None, 0)


class GatewayCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self._sessions = sessions
        self._box = box
        self.keys: dict[str, KeyPrincipal] = {}
        self.catalog = CatalogView()
        self.routes: dict[str, list[Route]] = {}
        # Catalogue providers in `/api/v1/providers` shape, by slug.
        self.providers: dict[str, dict[str, Any]] = {}
        self._refreshing = asyncio.Lock()

    async def refresh(self) -> None:
        # One refresh at a time: two overlapping ones (the interval, an admin change, a Redis notice) could
        # otherwise finish out of order and leave the older snapshot in place.
        async with self._refreshing, self._sessions() as session:
            await self._refresh_catalog(session)
            self.keys = await _load_keys(session)
            self.providers = await _load_providers(session)
            self.routes = await _load_routes(session, self._box, self.catalog.models, self.providers)

    async def lookup_key(self, key_hash: str) -> KeyPrincipal | None:
        """A key created since the last refresh is found in the database once, then cached."""
        principal = self.keys.get(key_hash)
        if principal is not None:
            return principal
        async with self._sessions() as session:
            found = await _load_keys(session, key_hash)
        principal = found.get(key_hash)
        if principal is not None:
            self.keys[key_hash] = principal
        return principal

    async def _refresh_catalog(self, session: AsyncSession) -> None:
        count, updated = (
            await session.execute(select(func.count(CatalogModel.id), func.max(CatalogModel.updated_at)))
        ).one()
        prices_updated = await session.scalar(select(func.max(ModelPrice.updated_at)))
        setting = await session.get(PricingSetting, GLOBAL_MARKUP)
        global_bps = setting.value_bps if setting is not None else 0
        stamps = (updated, prices_updated, setting.updated_at if setting is not None else None)
        version = (int(count), max((d for d in stamps if d is not None), default=None), global_bps)
        if version == self.catalog.version:
            return
        rows = (
            await session.execute(
                select(CatalogModel, ModelPrice)
                .outerjoin(ModelPrice, ModelPrice.model_id == CatalogModel.id)
                .where(CatalogModel.is_active.is_(True))
                .order_by(CatalogModel.created_unix.desc(), CatalogModel.slug)
            )
        ).all()
        models: dict[str, ModelInfo] = {}
        documents: list[dict[str, Any]] = []
        for model, price in rows:
            billed = _price(price, global_bps)
            models[model.slug] = ModelInfo(
                slug=model.slug,
                price=billed,
                context_length=model.context_length,
                max_completion_tokens=model.max_completion_tokens,
                base_price=_price(price, 0),
                markup_bps=(price.markup_bps if price and price.markup_bps is not None else global_bps),
                supported_parameters=frozenset(model.supported_parameters)
                if model.supported_parameters
                else None,
            )
            documents.append(_model_document(model, billed))
        self.catalog = CatalogView(
            models=models,
            documents=documents,
            by_slug={d["id"]: d for d in documents},
            version=version,
        )


def _price(row: ModelPrice | None, global_bps: int) -> Price | None:
    """The price users are billed: the model's, with its markup (or the global one) applied once here."""
    if row is None or not row.is_priced:
        return None
    bps = row.markup_bps if row.markup_bps is not None else global_bps
    return Price(
        prompt_per_mtok_nanos=apply_markup(row.prompt_per_mtok_nanos, bps),
        completion_per_mtok_nanos=apply_markup(row.completion_per_mtok_nanos, bps),
        internal_reasoning_per_mtok_nanos=apply_markup(row.internal_reasoning_per_mtok_nanos, bps),
        cache_read_per_mtok_nanos=apply_markup(row.cache_read_per_mtok_nanos, bps),
        cache_write_per_mtok_nanos=apply_markup(row.cache_write_per_mtok_nanos, bps),
        request_nanos=apply_markup(row.request_nanos, bps),
    )


def _model_document(model: CatalogModel, billed: Price | None) -> dict[str, Any]:
    """The model in OpenRouter's `/models` shape; prices come from our tables (they may differ from the
    imported source after an operator's edit), the rest from the imported document."""
    source = dict(model.source or {})
    document: dict[str, Any] = {
        "id": model.slug,
        # `object` and `owned_by` are the `openai` SDK's Model fields; OpenRouter clients ignore them.
        "object": "model",
        "owned_by": model.author,
        "canonical_slug": model.canonical_slug,
        "hugging_face_id": source.get("hugging_face_id"),
        "name": model.name,
        "created": model.created_unix,
        "description": model.description,
        "context_length": model.context_length,
        "architecture": source.get("architecture")
        or {
            "modality": "text->text",
            "input_modalities": model.input_modalities,
            "output_modalities": model.output_modalities,
            "tokenizer": model.tokenizer,
            "instruct_type": model.instruct_type,
        },
        "pricing": pricing_document(billed, source.get("pricing") or {}),
        "top_provider": source.get("top_provider")
        or {
            "context_length": model.context_length,
            "max_completion_tokens": model.max_completion_tokens,
            "is_moderated": False,
        },
        "per_request_limits": source.get("per_request_limits"),
        "supported_parameters": model.supported_parameters,
        "default_parameters": model.default_parameters,
        "supported_voices": source.get("supported_voices"),
        "knowledge_cutoff": source.get("knowledge_cutoff"),
        "expiration_date": source.get("expiration_date"),
        "links": {"details": f"/api/v1/models/{model.canonical_slug}/endpoints"},
    }
    if "reasoning" in source:
        document["reasoning"] = source["reasoning"]
    return document


def pricing_document(price: Price | None, source_pricing: dict[str, Any]) -> dict[str, Any]:
    """What users pay, in OpenRouter's USD-per-token strings."""
    if price is None:
        return {"prompt": "-1", "completion": "-1"}
    pricing = dict(source_pricing)  # keeps keys we do not bill yet (audio, image output, overrides)
    pricing["prompt"] = per_mtok_nanos_to_per_token_usd_str(price.prompt_per_mtok_nanos)
    pricing["completion"] = per_mtok_nanos_to_per_token_usd_str(price.completion_per_mtok_nanos)
    for key, nanos in (
        ("internal_reasoning", price.internal_reasoning_per_mtok_nanos),
        ("input_cache_read", price.cache_read_per_mtok_nanos),
        ("input_cache_write", price.cache_write_per_mtok_nanos),
    ):
        if nanos:
            pricing[key] = per_mtok_nanos_to_per_token_usd_str(nanos)
    return pricing


async def _load_keys(session: AsyncSession, key_hash: str | None = None) -> dict[str, KeyPrincipal]:
    query = select(
        ApiKey.key_hash,
        ApiKey.id,
        ApiKey.user_id,
        ApiKey.is_enabled,
        User.is_active,
        User.role,
        User.routing_strategy,
        ApiKey.is_management,
        ApiKey.expires_at,
        ApiKey.limit_nanos,
        ApiKey.allowed_models,
        ApiKey.allowed_ips,
        ApiKey.rpm_limit,
        ApiKey.tpm_limit,
    ).join(User, User.id == ApiKey.user_id)
    if key_hash is not None:
        query = query.where(ApiKey.key_hash == key_hash)
    return {row.key_hash: _principal(row) for row in await session.execute(query)}


def _principal(row: Any) -> KeyPrincipal:
    allowed_ips = [str(v) for v in row.allowed_ips or ()]
    return KeyPrincipal(
        key_id=row.id,
        user_id=row.user_id,
        is_usable=bool(row.is_enabled and row.is_active),
        role=row.role,
        routing_strategy=row.routing_strategy,
        is_management=bool(row.is_management),
        key_hash=row.key_hash,
        expires_at=row.expires_at,
        has_credit_limit=row.limit_nanos is not None,
        allowed_models=tuple(str(p) for p in row.allowed_models or ()),
        allowed_networks=tuple(n for n in (_network(v) for v in allowed_ips) if n is not None),
        ip_restricted=bool(allowed_ips),
        rpm_limit=row.rpm_limit,
        tpm_limit=row.tpm_limit,
    )


def _network(value: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        log.error("ignoring an unreadable allowed_ips entry %r", value)
        return None


async def _load_providers(session: AsyncSession) -> dict[str, dict[str, Any]]:
    return {
        row.slug: {
            "name": row.name,
            "slug": row.slug,
            "privacy_policy_url": row.privacy_policy_url,
            "terms_of_service_url": row.terms_of_service_url,
            "status_page_url": row.status_page_url,
            "headquarters": row.headquarters,
        }
        for row in await session.scalars(select(CatalogProvider).order_by(CatalogProvider.slug))
    }


async def _load_routes(
    session: AsyncSession,
    box: SecretBox,
    models: dict[str, ModelInfo],
    providers: dict[str, dict[str, Any]],
) -> dict[str, list[Route]]:
    rows = await session.execute(
        select(Channel, ChannelModel)
        .join(ChannelModel, ChannelModel.channel_id == Channel.id)
        .where(Channel.is_enabled.is_(True))
        .order_by(Channel.priority.desc(), Channel.id)
    )
    routes: dict[str, list[Route]] = {}
    secrets: dict[int, tuple[str, ...] | None] = {}
    for channel, served in rows:
        if channel.id not in secrets:
            try:
                secrets[channel.id] = decode_keys(box.decrypt(channel.api_key_encrypted)) or None
            except ValueError as exc:
                # One unreadable credential must not take every other channel down with it.
                log.error("channel %s skipped: %s", channel.name, exc)
                secrets[channel.id] = None
        api_keys = secrets[channel.id]
        if api_keys is None:
            continue
        routes.setdefault(served.model_slug, []).append(
            Route(
                channel_id=channel.id,
                channel_name=channel.name,
                provider=channel.provider,
                base_url=channel.base_url,
                api_key=api_keys[0],
                api_keys=api_keys,
                options=dict(channel.options or {}),
                upstream_model=served.upstream_name,
                priority=channel.priority,
                weight=channel.weight,
                price=_endpoint_price(served, models.get(served.model_slug)),
                provider_slug=channel.provider_slug,
                provider_name=(providers.get(channel.provider_slug) or {}).get("name")
                if channel.provider_slug
                else None,
                context_length=served.context_length,
                max_completion_tokens=served.max_completion_tokens,
            )
        )
    return routes


# The price fields a request is billed by (billing.pricing.Price), which a channel may set for itself.
_ENDPOINT_PRICE_FIELDS = tuple(f.name for f in fields(Price))


def _endpoint_price(served: ChannelModel, model: ModelInfo | None) -> Price | None:
    """The endpoint's own price where it has one, field by field over the model's, with the model's markup;
    None when it has none (the model's price applies)."""
    overrides = {f: getattr(served, f) for f in _ENDPOINT_PRICE_FIELDS if getattr(served, f) is not None}
    if not overrides or model is None:
        return None
    base = model.base_price or Price()
    return Price(
        **{
            f: apply_markup(overrides.get(f, getattr(base, f)), model.markup_bps)
            for f in _ENDPOINT_PRICE_FIELDS
        }
    )
