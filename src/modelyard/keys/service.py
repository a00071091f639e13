"""API keys: created once, stored as a SHA-256 hash plus a masked label, with what each may do: an expiry,
a credit limit per UTC day, week or month (or for ever), the models and client addresses it may use, and
requests and tokens per minute. A management key administers keys and cannot call models.

The relay enforces these from its in-memory copy of the keys (relay/cache.py), except the credit limit,
which the hold transaction enforces in the database (billing/holds.py) so that every instance agrees.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.billing.holds import LIMIT_RESETS, window_spent_nanos, window_start
from modelyard.kit.clock import utcnow
from modelyard.kit.secrets import api_key_label, hash_api_key, new_api_key
from modelyard.models import ApiKey, RequestLog

MAX_NAME_CHARS = 200
MAX_PATTERNS = 100
MAX_PATTERN_CHARS = 200
MAX_RATE = 1_000_000_000
# What a management API lists at most per page (OpenRouter's page size).
PAGE_SIZE = 100

# The fields `update_key` changes.
EDITABLE = frozenset(
    {
        "name",
        "is_enabled",
        "expires_at",
        "limit_nanos",
        "limit_reset",
        "allowed_models",
        "allowed_ips",
        "rpm_limit",
        "tpm_limit",
    }
)


class KeyServiceError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    plaintext: str


@dataclass(frozen=True)
class KeySettings:
    """What a new key may do; the defaults are an ordinary key without limits."""

    expires_at: datetime | None = None
    limit_nanos: int | None = None
    limit_reset: str | None = None
    allowed_models: Sequence[str] = ()
    allowed_ips: Sequence[str] = ()
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    is_management: bool = False


@dataclass(frozen=True)
class KeyUsage:
    """Cost of a key's requests in nano-USD (request_logs, UTC windows; weeks from Monday)."""

    total_nanos: int = 0
    daily_nanos: int = 0
    weekly_nanos: int = 0
    monthly_nanos: int = 0
    last_used_at: datetime | None = None


# ---------------------------------------------------------------------------------------------- checks


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise KeyServiceError(f"key name must be 1 to {MAX_NAME_CHARS} characters", "name")
    return name


def check_reset(reset: str | None) -> str | None:
    if reset is None:
        return None
    if reset not in LIMIT_RESETS:
        raise KeyServiceError(
            f"limit_reset must be one of {', '.join(LIMIT_RESETS)}, or null for a limit that never resets",
            "limit_reset",
        )
    return reset


def check_limit(limit_nanos: int | None) -> int | None:
    if limit_nanos is not None and limit_nanos < 0:
        raise KeyServiceError("limit must be 0 or more USD, or null for no limit", "limit")
    return limit_nanos


def check_expiry(expires_at: datetime | None, now: datetime | None = None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise KeyServiceError("expires_at needs a time zone, e.g. 2027-01-31T00:00:00Z", "expires_at")
    if expires_at <= (now or utcnow()):
        raise KeyServiceError("expires_at must be in the future", "expires_at")
    return expires_at


def check_rate(value: int | None, field: str) -> int | None:
    if value is not None and not 1 <= value <= MAX_RATE:
        raise KeyServiceError(f"{field} must be between 1 and {MAX_RATE}, or null for no limit", field)
    return value


def check_model_patterns(patterns: Iterable[str]) -> list[str]:
    """Catalogue slugs or shell-style patterns (`openai/*`, `*/gpt-4o*`); empty = every model."""
    cleaned: list[str] = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern or len(pattern) > MAX_PATTERN_CHARS or any(c.isspace() for c in pattern):
            raise KeyServiceError(
                f"allowed_models entries must be model slugs or patterns such as openai/*, 1 to "
                f"{MAX_PATTERN_CHARS} characters without spaces",
                "allowed_models",
            )
        if pattern not in cleaned:
            cleaned.append(pattern)
    if len(cleaned) > MAX_PATTERNS:
        raise KeyServiceError(f"allowed_models holds at most {MAX_PATTERNS} entries", "allowed_models")
    return cleaned


def check_ips(values: Iterable[str]) -> list[str]:
    """IPv4/IPv6 addresses or CIDR blocks, normalised (`10.0.0.0/8`, `2001:db8::/32`); empty = anywhere."""
    cleaned: list[str] = []
    for value in values:
        value = value.strip()
        try:
            text = (
                str(ipaddress.ip_network(value, strict=False))
                if "/" in value
                else str(ipaddress.ip_address(value))
            )
        except ValueError:
            raise KeyServiceError(
                f"allowed_ips: {value!r} is not an IP address or CIDR block (e.g. 203.0.113.7, 10.0.0.0/8)",
                "allowed_ips",
            ) from None
        if text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_PATTERNS:
        raise KeyServiceError(f"allowed_ips holds at most {MAX_PATTERNS} entries", "allowed_ips")
    return cleaned


# ---------------------------------------------------------------------------------------------- writes


async def create_key(
    session: AsyncSession,
    user_id: int,
    name: str,
    settings: KeySettings | None = None,
    *,
    now: datetime | None = None,
) -> CreatedKey:
    settings = settings or KeySettings()
    now = now or utcnow()
    name = check_name(name)
    limit_nanos = check_limit(settings.limit_nanos)
    limit_reset = check_reset(settings.limit_reset)
    plaintext = new_api_key()
    key = ApiKey(
        user_id=user_id,
        name=name,
        key_hash=hash_api_key(plaintext),
        label=api_key_label(plaintext),
        is_enabled=True,
        expires_at=check_expiry(settings.expires_at, now),
        is_management=settings.is_management,
        limit_nanos=limit_nanos,
        limit_reset=limit_reset,
        window_started_at=window_start(limit_reset, now) if limit_nanos is not None else None,
        window_spent_nanos=0,
        held_nanos=0,
        allowed_models=check_model_patterns(settings.allowed_models),
        allowed_ips=check_ips(settings.allowed_ips),
        rpm_limit=check_rate(settings.rpm_limit, "rpm_limit"),
        tpm_limit=check_rate(settings.tpm_limit, "tpm_limit"),
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, plaintext=plaintext)


PLAYGROUND = "playground"


async def playground_key(session: AsyncSession, user_id: int) -> ApiKey:
    """The user's playground key, created on first use. Its secret is discarded at once: the playground is
    reached through the user's web session, and the server finds the key by its owner."""
    key = await session.scalar(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.purpose == PLAYGROUND).order_by(ApiKey.id)
    )
    if key is None:
        key = (await create_key(session, user_id, "Playground (web)")).key
        key.purpose = PLAYGROUND
        await session.flush()
    return key


async def update_key(
    session: AsyncSession, key: ApiKey, changes: dict[str, Any], *, now: datetime | None = None
) -> ApiKey:
    """Applies `changes` (field -> new value; see EDITABLE), each checked. Setting a credit limit or its
    reset period starts the window afresh from the request log: the spend of the current window counts."""
    now = now or utcnow()
    unknown = set(changes) - EDITABLE
    if unknown:
        raise KeyServiceError(f"cannot change {', '.join(sorted(unknown))}")
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            checked[field] = check_name(value)
        elif field == "is_enabled":
            checked[field] = bool(value)
        elif field == "expires_at":
            checked[field] = check_expiry(value, now)
        elif field == "limit_nanos":
            checked[field] = check_limit(value)
        elif field == "limit_reset":
            checked[field] = check_reset(value)
        elif field == "allowed_models":
            checked[field] = check_model_patterns(value)
        elif field == "allowed_ips":
            checked[field] = check_ips(value)
        else:
            checked[field] = check_rate(value, field)
    restart_window = ("limit_nanos" in checked or "limit_reset" in checked) and (
        checked.get("limit_nanos", key.limit_nanos) is not None
    )
    if restart_window:
        # Settlements add to the window's spend: lock the row so none lands between the sum and the write.
        await session.refresh(key, with_for_update=True)
    for field, value in checked.items():
        setattr(key, field, value)
    if restart_window:
        start = window_start(key.limit_reset, now)
        spent = await session.scalar(
            select(func.coalesce(func.sum(RequestLog.cost_nanos), 0)).where(
                RequestLog.api_key_id == key.id, RequestLog.created_at >= max(start, key.created_at)
            )
        )
        key.window_started_at = start
        key.window_spent_nanos = int(spent or 0)
    await session.flush()
    return key


async def delete_key(session: AsyncSession, key: ApiKey) -> None:
    """Requests in flight with it still settle (their key update finds no row and changes nothing)."""
    await session.delete(key)
    await session.flush()


# ---------------------------------------------------------------------------------------------- reads


async def get_key(session: AsyncSession, key_id: int) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def get_key_by_hash(session: AsyncSession, user_id: int, key_hash: str) -> ApiKey | None:
    """Only the owner's key: another user's hash finds nothing."""
    return await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.user_id == user_id))


async def list_keys(
    session: AsyncSession,
    user_id: int,
    *,
    include_disabled: bool = True,
    include_expired: bool = True,
    offset: int = 0,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[ApiKey]:
    """The user's keys, newest first."""
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
    if not include_disabled:
        query = query.where(ApiKey.is_enabled.is_(True))
    if not include_expired:
        query = query.where((ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > (now or utcnow())))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def key_usage(
    session: AsyncSession, key_ids: Sequence[int], now: datetime | None = None
) -> dict[int, KeyUsage]:
    """Cost per key in total and in the current UTC day, ISO week and calendar month, and the last request,
    in one query over the request log. Only requests since the key was created count: SQLite hands a
    deleted key's id to the next key, and its requests are not the new key's."""
    if not key_ids:
        return {}
    now = now or utcnow()

    def since(reset: str) -> Any:
        start = window_start(reset, now)
        return func.coalesce(
            func.sum(case((RequestLog.created_at >= start, RequestLog.cost_nanos), else_=0)), 0
        )

    rows = await session.execute(
        select(
            RequestLog.api_key_id,
            func.coalesce(func.sum(RequestLog.cost_nanos), 0),
            since("daily"),
            since("weekly"),
            since("monthly"),
            func.max(RequestLog.created_at),
        )
        .join(ApiKey, ApiKey.id == RequestLog.api_key_id)
        .where(RequestLog.api_key_id.in_(list(key_ids)), RequestLog.created_at >= ApiKey.created_at)
        .group_by(RequestLog.api_key_id)
    )
    return {
        int(key_id): KeyUsage(int(total), int(daily), int(weekly), int(monthly), last)
        for key_id, total, daily, weekly, monthly, last in rows
    }


def key_status(key: ApiKey, now: datetime | None = None) -> str:
    if not key.is_enabled:
        return "disabled"
    if key.expires_at is not None and key.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def limit_remaining_nanos(key: ApiKey, now: datetime | None = None) -> int | None:
    """What new requests may still hold on the key's credit limit in the current window (None: no limit):
    the limit minus the window's spend and the credit held by its requests in flight."""
    if key.limit_nanos is None:
        return None
    spent = window_spent_nanos(
        key.limit_reset, key.window_started_at, key.window_spent_nanos, now or utcnow()
    )
    return max(key.limit_nanos - spent - key.held_nanos, 0)
