"""OpenRouter's key APIs: `GET /api/v1/key` (and its legacy alias `/api/v1/auth/key`) describes the key in
use; `/api/v1/keys` and `/api/v1/keys/{hash}` let a management key administer its owner's keys (a key's hash,
the SHA-256 of the key, is its public id). Money is in USD as JSON numbers; shapes follow OpenRouter's
OpenAPI document and its Python SDK, which validates them strictly. Modelyard's own restrictions
(allowed models and IPs, requests and tokens per minute) are extra fields, accepted on create and update.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from modelyard.api.deps import Caller, CallerDep, GatewayDep
from modelyard.api.keys import ResetPeriod, apply_changes, changes_of, key_not_found, service_error
from modelyard.api.openapi import KEY_ONLY, errors
from modelyard.api.schemas import UsdAmount, parse_usd
from modelyard.billing import credits
from modelyard.errors import AppError
from modelyard.keys import service
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_number
from modelyard.models import ApiKey
from modelyard.state import Gateway

router = APIRouter(tags=["OpenRouter-compatible"])
_MANAGEMENT_ONLY = errors(403, s403="Not a management key")

# OpenRouter's workspaces do not exist here: every key is in the default one.
DEFAULT_WORKSPACE = "default"


def _rounded(value: object) -> object:
    """A JSON number in USD to at most 9 decimals (the nano), as OpenRouter clients send floats."""
    if isinstance(value, float):
        return format(Decimal(repr(round(value, 9))), "f")
    return value


Usd = Annotated[UsdAmount, BeforeValidator(_rounded)]


class OpenRouterKeyIn(BaseModel):
    # OpenRouter's fields this gateway has no use for (workspace_id, include_byok_in_limit, creator_user_id,
    # external) are accepted and ignored, so that its clients work unchanged.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"name": "customer 17", "limit": 10, "limit_reset": "monthly"}]},
    )

    name: str = Field(max_length=service.MAX_NAME_CHARS)
    limit: Usd | None = Field(default=None, description="Credit limit in USD; null = none")
    limit_reset: ResetPeriod | None = None
    expires_at: datetime | None = None
    allowed_models: list[str] = Field(default_factory=list)
    allowed_ips: list[str] = Field(default_factory=list)
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    is_management: bool = False


class OpenRouterKeyPatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=service.MAX_NAME_CHARS)
    disabled: bool | None = None
    limit: Usd | None = None
    limit_reset: ResetPeriod | None = None
    expires_at: datetime | None = None
    allowed_models: list[str] | None = None
    allowed_ips: list[str] | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None


# The answers' shapes, for the reference only: the routes build their dicts (`key_object`, `_limits`).
class KeyLimitsDoc(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str
    limit: float | None = Field(description="Credit limit in USD; null = none")
    limit_remaining: float | None
    limit_reset: ResetPeriod | None
    include_byok_in_limit: bool
    usage: float = Field(description="USD spent with this key, ever")
    usage_daily: float
    usage_weekly: float
    usage_monthly: float
    byok_usage: float
    byok_usage_daily: float
    byok_usage_weekly: float
    byok_usage_monthly: float
    creator_user_id: str | None
    expires_at: str | None
    is_management_key: bool
    allowed_models: list[str]
    allowed_ips: list[str]
    rpm_limit: int | None
    tpm_limit: int | None


class OpenRouterKey(KeyLimitsDoc):
    hash: str = Field(description="The key's SHA-256, hex: its id in /api/v1/keys/{key_hash}")
    name: str
    disabled: bool
    created_at: str
    updated_at: str | None
    workspace_id: str
    external_user: str | None
    last_used_at: str | None


class OpenRouterKeyOut(BaseModel):
    data: OpenRouterKey


class OpenRouterKeyCreatedOut(OpenRouterKeyOut):
    key: str = Field(description="The key itself: shown in this answer only")


class OpenRouterKeyList(BaseModel):
    data: list[OpenRouterKey]


class KeyDeletedOut(BaseModel):
    deleted: Literal[True]


class KeyRateLimit(BaseModel):
    requests: int = Field(description="Requests per minute; -1 = no limit")
    interval: str
    note: str


class CurrentKey(KeyLimitsDoc):
    is_free_tier: bool
    is_provisioning_key: bool
    rate_limit: KeyRateLimit
    organization_id: str | None
    workspace_id: str | None
    allowed_data_regions: list[str]
    budgets: list[Any]
    effective_budget: Any
    free_model_daily_requests: dict[str, int]


class CurrentKeyOut(BaseModel):
    data: CurrentKey


def _answer(model: type[BaseModel], status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": model, "description": "Successful Response"}, **_MANAGEMENT_ONLY}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _usd(nanos: int | None) -> float | None:
    return None if nanos is None else nanos_to_usd_number(nanos)


def _limits(key: ApiKey, usage: service.KeyUsage, now: datetime) -> dict[str, Any]:
    """The fields `/key` and the Key object share."""
    return {
        "label": key.label,
        "limit": _usd(key.limit_nanos),
        "limit_remaining": _usd(service.limit_remaining_nanos(key, now)),
        "limit_reset": key.limit_reset,
        "include_byok_in_limit": False,
        "usage": _usd(usage.total_nanos),
        "usage_daily": _usd(usage.daily_nanos),
        "usage_weekly": _usd(usage.weekly_nanos),
        "usage_monthly": _usd(usage.monthly_nanos),
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0,
        "creator_user_id": None,
        "expires_at": _iso(key.expires_at),
        # Modelyard's own restrictions.
        "is_management_key": key.is_management,
        "allowed_models": list(key.allowed_models or []),
        "allowed_ips": list(key.allowed_ips or []),
        "rpm_limit": key.rpm_limit,
        "tpm_limit": key.tpm_limit,
    }


def key_object(key: ApiKey, usage: service.KeyUsage, now: datetime) -> dict[str, Any]:
    """OpenRouter's Key object (`/keys`): only ever built for the caller's own keys."""
    return {
        "hash": key.key_hash,
        "name": key.name,
        "disabled": not key.is_enabled,
        **_limits(key, usage, now),
        "created_at": _iso(key.created_at),
        "updated_at": None,
        "workspace_id": DEFAULT_WORKSPACE,
        "external_user": None,
        "last_used_at": _iso(usage.last_used_at or key.last_used_at),
    }


def _require_management_key(caller: Caller) -> None:
    if not caller.is_management_key:
        raise AppError(
            403,
            "Only management keys can perform this operation",
            metadata={"error_type": "permission_denied"},
        )


async def _own_key(gateway: Gateway, caller: Caller, key_hash: str) -> dict[str, Any]:
    now = utcnow()
    async with gateway.sessions() as session:
        key = await service.get_key_by_hash(session, caller.user_id, key_hash.lower())
        if key is None:
            raise key_not_found()
        usage = await service.key_usage(session, [key.id], now)
    return key_object(key, usage.get(key.id, service.KeyUsage()), now)


@router.get(
    "/api/v1/key",
    summary="The API key in use: limits, usage, rate limit",
    response_model=None,
    responses={200: {"model": CurrentKeyOut, "description": "Successful Response"}},
    openapi_extra={"security": KEY_ONLY},
)
@router.get("/api/v1/auth/key", summary="The API key in use (legacy path)", include_in_schema=False)
async def current_key(caller: CallerDep, gateway: GatewayDep) -> dict[str, Any]:
    if caller.key_id is None:
        raise AppError(
            401,
            "This endpoint describes the API key in use: send `Authorization: Bearer <API key>`",
            metadata={"error_type": "authentication"},
        )
    now = utcnow()
    async with gateway.sessions() as session:
        key = await service.get_key(session, caller.key_id)
        if key is None:
            raise AppError(401, "Invalid API key", metadata={"error_type": "authentication"})
        usage = (await service.key_usage(session, [key.id], now)).get(key.id, service.KeyUsage())
        total_credits, _ = await credits.totals(session, key.user_id)
    return {
        "data": {
            **_limits(key, usage, now),
            "is_free_tier": total_credits <= 0,
            "is_provisioning_key": key.is_management,
            "rate_limit": {
                "requests": key.rpm_limit if key.rpm_limit is not None else -1,
                "interval": "1m",
                "note": "requests per minute of this key; -1 = no limit",
            },
            "organization_id": None,
            "workspace_id": None,
            "allowed_data_regions": ["global"],
            "budgets": [],
            "effective_budget": None,
            "free_model_daily_requests": {"limit": 0, "remaining": 0, "used": 0},
        }
    }


@router.get(
    "/api/v1/keys",
    summary="The management key owner's keys, newest first (100 per page)",
    response_model=None,
    responses=_answer(OpenRouterKeyList),
    openapi_extra={"security": KEY_ONLY},
)
async def list_keys(
    caller: CallerDep,
    gateway: GatewayDep,
    include_disabled: bool = False,
    include_expired: bool = False,
    offset: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    _require_management_key(caller)
    now = utcnow()
    async with gateway.sessions() as session:
        keys = await service.list_keys(
            session,
            caller.user_id,
            include_disabled=include_disabled,
            include_expired=include_expired,
            offset=offset or 0,
            limit=service.PAGE_SIZE,
            now=now,
        )
        usage = await service.key_usage(session, [k.id for k in keys], now)
    return {"data": [key_object(k, usage.get(k.id, service.KeyUsage()), now) for k in keys]}


@router.post(
    "/api/v1/keys",
    status_code=201,
    summary="Create a key (the key is in this answer only)",
    response_model=None,
    responses=_answer(OpenRouterKeyCreatedOut, 201),
    openapi_extra={"security": KEY_ONLY},
)
async def create_key(body: OpenRouterKeyIn, caller: CallerDep, gateway: GatewayDep) -> dict[str, Any]:
    _require_management_key(caller)
    settings = service.KeySettings(
        expires_at=body.expires_at,
        limit_nanos=parse_usd(body.limit) if body.limit is not None else None,
        limit_reset=body.limit_reset,
        allowed_models=body.allowed_models,
        allowed_ips=body.allowed_ips,
        rpm_limit=body.rpm_limit,
        tpm_limit=body.tpm_limit,
        is_management=body.is_management,
    )
    now = utcnow()
    try:
        async with gateway.sessions() as session, session.begin():
            created = await service.create_key(session, caller.user_id, body.name, settings, now=now)
    except service.KeyServiceError as exc:
        raise service_error(exc) from None
    await gateway.announce_change()
    return {"data": key_object(created.key, service.KeyUsage(), now), "key": created.plaintext}


@router.get(
    "/api/v1/keys/{key_hash}",
    summary="One of the management key owner's keys",
    response_model=None,
    responses=_answer(OpenRouterKeyOut),
    openapi_extra={"security": KEY_ONLY},
)
async def get_key(key_hash: str, caller: CallerDep, gateway: GatewayDep) -> dict[str, Any]:
    _require_management_key(caller)
    return {"data": await _own_key(gateway, caller, key_hash)}


@router.patch(
    "/api/v1/keys/{key_hash}",
    summary="Change one of the management key owner's keys",
    response_model=None,
    responses=_answer(OpenRouterKeyOut),
    openapi_extra={"security": KEY_ONLY},
)
async def update_key(
    key_hash: str, body: OpenRouterKeyPatch, caller: CallerDep, gateway: GatewayDep
) -> dict[str, Any]:
    _require_management_key(caller)
    async with gateway.sessions() as session:
        key = await service.get_key_by_hash(session, caller.user_id, key_hash.lower())
    if key is None:
        raise key_not_found()
    changes = changes_of(body)
    if changes:
        await apply_changes(gateway, key.id, changes)
    return {"data": await _own_key(gateway, caller, key_hash)}


@router.delete(
    "/api/v1/keys/{key_hash}",
    summary="Delete one of the management key owner's keys",
    response_model=None,
    responses=_answer(KeyDeletedOut),
    openapi_extra={"security": KEY_ONLY},
)
async def delete_key(key_hash: str, caller: CallerDep, gateway: GatewayDep) -> dict[str, bool]:
    _require_management_key(caller)
    async with gateway.sessions() as session, session.begin():
        key = await service.get_key_by_hash(session, caller.user_id, key_hash.lower())
        if key is None:
            raise key_not_found()
        await service.delete_key(session, key)
    await gateway.announce_change()
    return {"deleted": True}
