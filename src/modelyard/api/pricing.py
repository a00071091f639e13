"""Administration of prices and markups. Every change is audited and reaches every server on the next request
(this one refreshes at once; others through Redis when configured, else at their next cache refresh)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.catalog import pricing_admin
from modelyard.catalog.importer import PRICE_FIELDS
from modelyard.errors import AppError
from modelyard.kit.money import nanos_to_usd_str

router = APIRouter(tags=["admin"])


class EndpointOut(BaseModel):
    channel_id: int
    channel_name: str
    is_enabled: bool
    upstream_name: str
    prices: dict[str, str | None] = Field(
        description="This channel's own prices before markup (USD per million tokens, or per request); "
        "null = the model's"
    )
    limits: dict[str, int | None] = Field(description="This channel's own limits; null = the model's")


class ModelPricingOut(BaseModel):
    id: str
    name: str
    is_active: bool = Field(description="Listed and served; false hides the model and refuses its requests")
    is_priced: bool
    is_manual: bool = Field(description="Prices were set by hand; a catalogue sync keeps them unless forced")
    markup_percent: str | None = Field(description="This model's markup; null = the global markup")
    effective_markup_percent: str | None
    prices: dict[str, Any] = Field(
        description="Per field: base and billed USD (per million tokens or per unit)"
    )
    context_length: int | None = None
    max_completion_tokens: int | None = None
    endpoints: list[EndpointOut] = Field(
        default_factory=list, description="The channels serving it, with their own prices and limits"
    )


class AdminModelOut(BaseModel):
    id: str
    name: str
    is_active: bool
    is_priced: bool
    is_manual: bool
    markup_percent: str | None = Field(description="This model's markup; null = the global markup")
    prompt: str = Field(description="USD per million input tokens, before markup")
    completion: str = Field(description="USD per million output tokens, before markup")
    channels: int = Field(description="How many channels serve it")


class AdminModelPage(BaseModel):
    data: list[AdminModelOut]
    total: int = Field(description="Models matching the search")
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null on the last page")


class ModelPricingIn(BaseModel):
    prices: dict[str, str] = Field(
        default_factory=dict,
        description="USD per million tokens (prompt, completion, internal_reasoning, input_cache_read, "
        "input_cache_write) or per unit (request, image, web_search)",
    )
    markup_percent: str | None = Field(
        default=None, description='e.g. "10"; send clear_markup to use the global'
    )
    clear_markup: bool = False
    is_active: bool | None = None


class MarkupIn(BaseModel):
    percent: str = Field(description='The global markup, e.g. "5" or "12.5"')


class MarkupOut(BaseModel):
    percent: str


class AuditOut(BaseModel):
    id: int
    actor_user_id: int | None
    subject: str
    field: str
    old_value: str | None
    new_value: str | None
    created_at: datetime


@router.get(
    "/api/admin/models",
    response_model=AdminModelPage,
    summary="Catalogue models, hidden ones too",
)
async def list_admin_models(
    admin: AdminPrincipal,
    gateway: GatewayDep,
    search: Annotated[str | None, Query(max_length=200, description="Part of the slug or name")] = None,
    status: Annotated[Literal["all", "listed", "hidden"], Query()] = "all",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AdminModelPage:
    async with gateway.sessions() as session:
        rows, total = await pricing_admin.list_models(
            session, search=search, status=status, offset=offset, limit=limit
        )
    prompt_column, completion_column = PRICE_FIELDS["prompt"][0], PRICE_FIELDS["completion"][0]
    data = [
        AdminModelOut(
            id=model.slug,
            name=model.name,
            is_active=model.is_active,
            is_priced=price.is_priced if price is not None else False,
            is_manual=price.is_manual if price is not None else False,
            markup_percent=pricing_admin.markup_percent(price.markup_bps) if price is not None else None,
            prompt=nanos_to_usd_str(getattr(price, prompt_column) if price is not None else 0),
            completion=nanos_to_usd_str(getattr(price, completion_column) if price is not None else 0),
            channels=channels,
        )
        for model, price, channels in rows
    ]
    more = offset + len(data) < total
    return AdminModelPage(data=data, total=total, next_offset=offset + len(data) if more and data else None)


@router.get("/api/admin/models/{author}/{slug}", response_model=ModelPricingOut, summary="A model's pricing")
async def get_model_pricing(
    author: str, slug: str, admin: AdminPrincipal, gateway: GatewayDep
) -> ModelPricingOut:
    model_slug = f"{author}/{slug}"
    async with gateway.sessions() as session:
        try:
            model, price = await pricing_admin.model_pricing(session, model_slug)
        except LookupError as exc:
            raise AppError(404, str(exc)) from None
        global_bps = await pricing_admin.global_markup_bps(session)
        endpoints = await pricing_admin.model_endpoints(session, model_slug)
    out = []
    for channel, served in endpoints:
        prices, limits = pricing_admin.endpoint_values(served)
        out.append(
            EndpointOut(
                channel_id=channel.id,
                channel_name=channel.name,
                is_enabled=channel.is_enabled,
                upstream_name=served.upstream_name,
                prices=prices,
                limits=limits,
            )
        )
    return ModelPricingOut(
        **pricing_admin.describe(model, price, global_bps),
        context_length=model.context_length,
        max_completion_tokens=model.max_completion_tokens,
        endpoints=out,
    )


class GlobalMarkupOut(BaseModel):
    percent: str


@router.get("/api/admin/pricing/markup", response_model=GlobalMarkupOut, summary="The global markup")
async def get_global_markup(admin: AdminPrincipal, gateway: GatewayDep) -> GlobalMarkupOut:
    async with gateway.sessions() as session:
        bps = await pricing_admin.global_markup_bps(session)
    return GlobalMarkupOut(percent=pricing_admin.markup_percent(bps) or "0")


@router.patch("/api/admin/models/{author}/{slug}", response_model=ModelPricingOut, summary="Change prices")
async def update_model_pricing(
    author: str, slug: str, body: ModelPricingIn, admin: AdminPrincipal, gateway: GatewayDep
) -> ModelPricingOut:
    try:
        async with gateway.sessions() as session, session.begin():
            await pricing_admin.update_model(
                session,
                f"{author}/{slug}",
                actor_user_id=admin.user_id,
                prices=body.prices,
                markup=body.markup_percent,
                clear_markup=body.clear_markup,
                is_active=body.is_active,
            )
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except pricing_admin.PricingError as exc:
        raise AppError(400, str(exc)) from None
    await gateway.announce_change()
    return await get_model_pricing(author, slug, admin, gateway)


class EndpointPricingIn(BaseModel):
    prices: dict[str, str | None] = Field(
        default_factory=dict,
        description="USD per million tokens (prompt, completion, internal_reasoning, input_cache_read, "
        "input_cache_write) or per request (request); null returns a field to the model's price",
    )
    limits: dict[str, int | None] = Field(
        default_factory=dict,
        description="context_length and max_completion_tokens this channel allows; null = the model's",
    )


class EndpointPricingOut(BaseModel):
    model: str
    channel_id: int
    prices: dict[str, str | None] = Field(
        description="This channel's own prices before markup; null = model's"
    )
    limits: dict[str, int | None] = Field(description="This channel's own limits; null = model's")


@router.patch(
    "/api/admin/models/{author}/{slug}/endpoints/{channel_id}",
    response_model=EndpointPricingOut,
    summary="Set one channel's own prices and limits for a model",
)
async def update_endpoint_pricing(
    author: str,
    slug: str,
    channel_id: int,
    body: EndpointPricingIn,
    admin: AdminPrincipal,
    gateway: GatewayDep,
) -> EndpointPricingOut:
    model = f"{author}/{slug}"
    try:
        async with gateway.sessions() as session, session.begin():
            await pricing_admin.update_endpoint(
                session,
                model,
                channel_id,
                actor_user_id=admin.user_id,
                prices=body.prices,
                limits=body.limits,
            )
            served, limits = await pricing_admin.endpoint_prices(session, model, channel_id)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except pricing_admin.PricingError as exc:
        raise AppError(400, str(exc)) from None
    await gateway.announce_change()
    return EndpointPricingOut(model=model, channel_id=channel_id, prices=served, limits=limits)


@router.put("/api/admin/pricing/markup", response_model=MarkupOut, summary="Set the global markup")
async def set_global_markup(body: MarkupIn, admin: AdminPrincipal, gateway: GatewayDep) -> MarkupOut:
    try:
        async with gateway.sessions() as session, session.begin():
            bps = await pricing_admin.set_global_markup(
                session, actor_user_id=admin.user_id, percent=body.percent
            )
    except pricing_admin.PricingError as exc:
        raise AppError(400, str(exc)) from None
    await gateway.announce_change()
    return MarkupOut(percent=pricing_admin.markup_percent(bps) or "0")


@router.get("/api/admin/pricing/audit", response_model=list[AuditOut], summary="Price changes, newest first")
async def price_audit(
    admin: AdminPrincipal,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    subject: Annotated[str | None, Query(description="A model slug, or `global`")] = None,
) -> list[AuditOut]:
    async with gateway.sessions() as session:
        rows = await pricing_admin.audit_log(session, limit=limit, subject=subject)
    return [
        AuditOut(
            id=r.id,
            actor_user_id=r.actor_user_id,
            subject=r.subject,
            field=r.field,
            old_value=r.old_value,
            new_value=r.new_value,
            created_at=r.created_at,
        )
        for r in rows
    ]
