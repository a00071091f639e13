"""The signed-in caller's API keys (the web app's key page): list, create, show, change, delete.

Callers are a session (token or cookie) or a management key; an ordinary API key cannot manage keys. A
user only ever sees their own keys; an administrator, signed in, may list and show any user's keys
(`?user_id=`) and enable or disable them. The key itself is in the create answer only; a key's hash (its
public id on OpenRouter's `/api/v1/keys`) is shown to its owner only. Every change reaches the relay at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from modelyard.api.deps import Caller, CallerDep, GatewayDep
from modelyard.api.schemas import UsdAmount, parse_usd
from modelyard.errors import AppError
from modelyard.keys import service
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import ApiKey
from modelyard.state import Gateway

router = APIRouter(tags=["account"])

ResetPeriod = Literal["daily", "weekly", "monthly"]
KeyStatus = Literal["active", "disabled", "expired"]


class KeyUsageOut(BaseModel):
    total: str = Field(description="USD charged to this key's requests, ever")
    daily: str = Field(description="USD since 00:00 UTC")
    weekly: str = Field(description="USD since Monday 00:00 UTC")
    monthly: str = Field(description="USD since the 1st, 00:00 UTC")


class KeyOut(BaseModel):
    id: int
    user_id: int
    name: str
    label: str = Field(description="The masked key, enough to recognise it")
    hash: str | None = Field(
        description="The key's public id (its SHA-256) for /api/v1/keys/{hash}; shown to its owner only"
    )
    status: KeyStatus
    disabled: bool
    is_management: bool = Field(description="Administers keys; cannot call models")
    is_playground: bool = Field(
        description="The key the server made for the web playground: its secret was never shown to anyone"
    )
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="Its latest request")
    limit: str | None = Field(description="Credit limit in USD per period; null = none")
    limit_reset: ResetPeriod | None = Field(description="When the limit starts again (UTC); null = never")
    limit_remaining: str | None = Field(
        description="USD new requests may still use this period: limit - spent - held by requests in flight"
    )
    usage: KeyUsageOut
    allowed_models: list[str] = Field(description="Model slugs or patterns such as openai/*; empty = all")
    allowed_ips: list[str] = Field(description="Client addresses or CIDR blocks; empty = anywhere")
    rpm_limit: int | None = Field(description="Requests per minute; null = no limit")
    tpm_limit: int | None = Field(
        description="Tokens per minute (a request counts its prompt estimate + max_tokens at admission, and "
        "gives back what it did not use); null = no limit"
    )


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The API key. This is the only time it is shown: store it now")


class KeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "my app"},
                {
                    "name": "ci",
                    "limit": "5",
                    "limit_reset": "monthly",
                    "allowed_models": ["openai/*"],
                    "rpm_limit": 60,
                },
            ]
        },
    )

    name: str = Field(max_length=service.MAX_NAME_CHARS)
    expires_at: datetime | None = Field(default=None, description="ISO 8601 with a time zone; null = never")
    limit: UsdAmount | None = Field(default=None, description='Credit limit in USD, e.g. "5"; null = none')
    limit_reset: ResetPeriod | None = None
    allowed_models: list[str] = Field(default_factory=list)
    allowed_ips: list[str] = Field(default_factory=list)
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    is_management: bool = False


class KeyPatch(BaseModel):
    """Only the fields sent change; null removes an expiry, a limit or a restriction."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=service.MAX_NAME_CHARS)
    disabled: bool | None = None
    expires_at: datetime | None = None
    limit: UsdAmount | None = None
    limit_reset: ResetPeriod | None = None
    allowed_models: list[str] | None = None
    allowed_ips: list[str] | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None


# ---------------------------------------------------------------------------------------------- shared


def require_key_manager(caller: Caller) -> None:
    """Sessions and management keys manage keys; an ordinary API key cannot (it could mint itself an
    unrestricted one)."""
    if caller.key_id is not None and not caller.is_management_key:
        raise AppError(
            403,
            "Only management keys can perform this operation; sign in, or use a management key",
            metadata={"error_type": "permission_denied"},
        )


def key_not_found() -> AppError:
    return AppError(404, "No such API key", metadata={"error_type": "not_found"})


def service_error(exc: service.KeyServiceError) -> AppError:
    return AppError(400, str(exc), metadata={"field": exc.field} if exc.field else None)


def changes_of(patch: BaseModel) -> dict[str, Any]:
    """The service's field changes from a PATCH body's fields that were sent (see EDITABLE)."""
    changes: dict[str, Any] = {}
    for field in patch.model_fields_set:
        value = getattr(patch, field)
        if field == "disabled":
            if value is None:
                raise AppError(400, "disabled must be true or false", metadata={"field": "disabled"})
            changes["is_enabled"] = not value
        elif field == "name":
            if value is None:
                raise AppError(400, "name cannot be null", metadata={"field": "name"})
            changes["name"] = value
        elif field == "limit":
            changes["limit_nanos"] = None if value is None else parse_usd(value)
        elif field in ("allowed_models", "allowed_ips"):
            changes[field] = value or []
        elif field in service.EDITABLE:
            changes[field] = value
    return changes


async def apply_changes(gateway: Gateway, key_id: int, changes: dict[str, Any]) -> None:
    """Writes the changes to the key (re-read and locked in the transaction) and tells every relay."""
    try:
        async with gateway.sessions() as session, session.begin():
            key = await service.get_key(session, key_id)
            if key is None:
                raise key_not_found()
            await service.update_key(session, key, changes)
    except service.KeyServiceError as exc:
        raise service_error(exc) from None
    await gateway.announce_change()


def _is_admin_session(caller: Caller) -> bool:
    return caller.is_admin and caller.session_id is not None


def _target_user(caller: Caller, user_id: int | None) -> int:
    if user_id is None or user_id == caller.user_id:
        return caller.user_id
    if _is_admin_session(caller):
        return user_id
    raise AppError(
        403, "Only administrators can see another user's keys", metadata={"error_type": "permission_denied"}
    )


def _key_out(key: ApiKey, usage: service.KeyUsage, caller: Caller, now: datetime) -> KeyOut:
    remaining = service.limit_remaining_nanos(key, now)
    status = cast(KeyStatus, service.key_status(key, now))
    return KeyOut(
        id=key.id,
        user_id=key.user_id,
        name=key.name,
        label=key.label,
        hash=key.key_hash if key.user_id == caller.user_id else None,
        status=status,
        disabled=not key.is_enabled,
        is_management=key.is_management,
        is_playground=key.purpose == service.PLAYGROUND,
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=usage.last_used_at or key.last_used_at,
        limit=nanos_to_usd_str(key.limit_nanos) if key.limit_nanos is not None else None,
        limit_reset=cast(ResetPeriod | None, key.limit_reset),
        limit_remaining=nanos_to_usd_str(remaining) if remaining is not None else None,
        usage=KeyUsageOut(
            total=nanos_to_usd_str(usage.total_nanos),
            daily=nanos_to_usd_str(usage.daily_nanos),
            weekly=nanos_to_usd_str(usage.weekly_nanos),
            monthly=nanos_to_usd_str(usage.monthly_nanos),
        ),
        allowed_models=list(key.allowed_models or []),
        allowed_ips=list(key.allowed_ips or []),
        rpm_limit=key.rpm_limit,
        tpm_limit=key.tpm_limit,
    )


async def _visible_key(gateway: Gateway, caller: Caller, key_id: int) -> KeyOut:
    now = utcnow()
    async with gateway.sessions() as session:
        key = await service.get_key(session, key_id)
        if key is None or (key.user_id != caller.user_id and not _is_admin_session(caller)):
            raise key_not_found()
        usage = await service.key_usage(session, [key.id], now)
    return _key_out(key, usage.get(key.id, service.KeyUsage()), caller, now)


# ---------------------------------------------------------------------------------------------- routes


@router.get("/api/keys", response_model=list[KeyOut], summary="Your API keys, newest first")
async def list_keys(
    caller: CallerDep,
    gateway: GatewayDep,
    user_id: Annotated[int | None, Query(description="Administrators: another user's keys")] = None,
) -> list[KeyOut]:
    require_key_manager(caller)
    owner = _target_user(caller, user_id)
    now = utcnow()
    async with gateway.sessions() as session:
        keys = await service.list_keys(session, owner, now=now)
        usage = await service.key_usage(session, [k.id for k in keys], now)
    return [_key_out(k, usage.get(k.id, service.KeyUsage()), caller, now) for k in keys]


@router.post(
    "/api/keys",
    response_model=KeyCreatedOut,
    status_code=201,
    summary="Create an API key (the key is in this answer only)",
)
async def create_key(body: KeyIn, caller: CallerDep, gateway: GatewayDep) -> KeyCreatedOut:
    require_key_manager(caller)
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
    out = _key_out(created.key, service.KeyUsage(), caller, now)
    return KeyCreatedOut(**out.model_dump(), key=created.plaintext)


@router.get("/api/keys/{key_id}", response_model=KeyOut, summary="One API key")
async def get_key(key_id: int, caller: CallerDep, gateway: GatewayDep) -> KeyOut:
    require_key_manager(caller)
    return await _visible_key(gateway, caller, key_id)


@router.patch(
    "/api/keys/{key_id}",
    response_model=KeyOut,
    summary="Change an API key (administrators may enable or disable anyone's)",
)
async def update_key(key_id: int, body: KeyPatch, caller: CallerDep, gateway: GatewayDep) -> KeyOut:
    require_key_manager(caller)
    current = await _visible_key(gateway, caller, key_id)
    changes = changes_of(body)
    if current.user_id != caller.user_id and set(changes) - {"is_enabled"}:
        raise AppError(
            403,
            "Administrators can only enable or disable another user's key",
            metadata={"error_type": "permission_denied"},
        )
    if changes:
        await apply_changes(gateway, key_id, changes)
    return await _visible_key(gateway, caller, key_id)


@router.delete("/api/keys/{key_id}", status_code=204, summary="Delete one of your API keys")
async def delete_key(key_id: int, caller: CallerDep, gateway: GatewayDep) -> Response:
    require_key_manager(caller)
    async with gateway.sessions() as session, session.begin():
        key = await service.get_key(session, key_id)
        if key is None or key.user_id != caller.user_id:
            if key is not None and _is_admin_session(caller):
                raise AppError(
                    403,
                    "Administrators can disable another user's key, not delete it",
                    metadata={"error_type": "permission_denied"},
                )
            raise key_not_found()
        await service.delete_key(session, key)
    await gateway.announce_change()
    return Response(status_code=204)
