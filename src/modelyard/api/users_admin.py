"""Administration of users: the list, enabling and disabling accounts, roles, and sign-up invitations."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.accounts import service as accounts
from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.api.profile import FieldErrorRoute
from modelyard.errors import AppError, bad_request
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import ApiKey, AuthSession, UsageHourly, User, UserRole

log = logging.getLogger(__name__)

router = APIRouter(tags=["admin"], route_class=FieldErrorRoute)

Role = Literal["user", "admin", "root"]


class AdminUserOut(BaseModel):
    id: int
    email: str
    display_name: str | None
    role: str
    is_active: bool
    has_password: bool
    google_linked: bool
    balance: str = Field(description="USD")
    spend: str | None = Field(
        default=None, description="USD charged for usage, ever (in lists; null in other answers)"
    )
    requests: int | None = Field(default=None, description="Requests ever relayed (in lists)")
    last_active_at: datetime | None = Field(
        default=None,
        description="Its latest request, API key use or signed-in session (in lists; null: never)",
    )
    created_at: datetime

    @classmethod
    def of(cls, user: User, activity: Activity | None = None) -> AdminUserOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            is_active=user.is_active,
            has_password=bool(user.password_hash),
            google_linked=user.google_id is not None,
            balance=nanos_to_usd_str(user.balance_nanos),
            spend=nanos_to_usd_str(activity.spend_nanos) if activity is not None else None,
            requests=activity.requests if activity is not None else None,
            last_active_at=activity.last_active_at if activity is not None else None,
            created_at=user.created_at,
        )


class Activity(BaseModel):
    spend_nanos: int = 0
    requests: int = 0
    last_active_at: datetime | None = None


async def user_activity(db: AsyncSession, user_ids: list[int]) -> dict[int, Activity]:
    """Spend, requests and the latest sign of life of a page of users: three grouped queries on indexed
    columns (the hourly usage rollup, API keys, sessions), never the raw request records."""
    found = {user_id: Activity() for user_id in user_ids}
    if not user_ids:
        return found
    usage = await db.execute(
        select(
            UsageHourly.user_id,
            func.sum(UsageHourly.cost_nanos),
            func.sum(UsageHourly.requests),
            func.max(UsageHourly.hour),
        )
        .where(UsageHourly.user_id.in_(user_ids))
        .group_by(UsageHourly.user_id)
    )
    latest: dict[int, list[datetime]] = {user_id: [] for user_id in user_ids}
    for user_id, spend, requests, hour in usage.all():
        found[user_id].spend_nanos = int(spend or 0)
        found[user_id].requests = int(requests or 0)
        if hour is not None:
            latest[user_id].append(hour)
    for column, owner in (
        (ApiKey.last_used_at, ApiKey.user_id),
        (AuthSession.last_used_at, AuthSession.user_id),
    ):
        rows = await db.execute(select(owner, func.max(column)).where(owner.in_(user_ids)).group_by(owner))
        for user_id, at in rows.all():
            if at is not None:
                latest[user_id].append(at)
    for user_id, times in latest.items():
        # SQLite returns aggregates of timestamps without their zone; they are stored in UTC.
        aware = [
            t if t.tzinfo is not None else t.replace(tzinfo=UTC) for t in times if isinstance(t, datetime)
        ]
        found[user_id].last_active_at = max(aware, default=None)
    return found


class AdminUserPage(BaseModel):
    data: list[AdminUserOut]
    total: int = Field(description="Users matching the search")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class AdminUserIn(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = Field(default=None, description="false: the account cannot sign in or call")
    role: Role | None = Field(default=None, description="Only a root changes roles")


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, description="Only this address may use it")
    expires_in_days: int | None = Field(
        default=7, ge=1, le=365, description="Days until the code expires; null: never"
    )


class InviteOut(BaseModel):
    code: str = Field(description="Shown only this once")
    email: str | None
    expires_at: datetime | None


@router.get("/api/admin/users", response_model=AdminUserPage, summary="List users")
async def list_users(
    admin: AdminPrincipal,
    gateway: GatewayDep,
    search: Annotated[str | None, Query(max_length=320, description="Part of the email address")] = None,
    role: Annotated[list[Role] | None, Query(description="Only users with one of these roles")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=20, description="next_cursor of the previous page")
    ] = None,
) -> AdminUserPage:
    after: int | None = None
    if cursor:
        if not cursor.isdigit():
            raise bad_request("`cursor` must be the next_cursor of a previous page", field="cursor")
        after = int(cursor)
    async with gateway.sessions() as db:
        users, total = await accounts.list_users(
            db, search=search, limit=limit + 1, after_id=after, roles=list(role or [])
        )
        more = len(users) > limit
        users = users[:limit]
        activity = await user_activity(db, [user.id for user in users])
    return AdminUserPage(
        data=[AdminUserOut.of(user, activity[user.id]) for user in users],
        total=total,
        next_cursor=str(users[-1].id) if more and users else None,
    )


@router.patch(
    "/api/admin/users/{user_id}",
    response_model=AdminUserOut,
    summary="Enable, disable or change the role of a user",
    responses={
        403: {"description": "Only a root changes roles or another administrator"},
        404: {"description": "No such user"},
        409: {"description": "The last active root cannot be demoted or disabled"},
    },
)
async def patch_user(
    user_id: int, body: AdminUserIn, admin: AdminPrincipal, gateway: GatewayDep
) -> AdminUserOut:
    given = body.model_fields_set
    if "is_active" in given and body.is_active is None:
        raise bad_request("`is_active` must be true or false", field="is_active")
    if "role" in given and body.role is None:
        raise bad_request("`role` must be user, admin or root", field="role")
    try:
        async with gateway.sessions() as db, db.begin():
            actor = await db.get(User, admin.user_id)
            if actor is None or not actor.is_active or actor.role not in (UserRole.ADMIN, UserRole.ROOT):
                # The role in an access token can be older than the account's.
                raise AppError(
                    403, "Only administrators can do this", metadata={"error_type": "permission_denied"}
                )
            outcome = await accounts.administer_user(
                db, actor, user_id, is_active=body.is_active, role=body.role
            )
            user, changed = outcome.user, outcome.changed
            ended = 0
            if changed and (not user.is_active or outcome.demoted):
                # Access tokens carry the role, and a disabled account keeps no session.
                ended = await gateway.auth.sessions.revoke_all(
                    db, user.id, reason="account_disabled" if not user.is_active else "role_changed"
                )
            out = AdminUserOut.of(user)
    except accounts.AccountNotFound as exc:
        raise AppError(404, str(exc)) from None
    except accounts.AccountForbidden as exc:
        raise AppError(
            403,
            str(exc),
            metadata={"error_type": "permission_denied", **({"field": exc.field} if exc.field else {})},
        ) from None
    except accounts.AccountConflict as exc:
        raise AppError(409, str(exc), metadata={"field": exc.field} if exc.field else None) from None
    except accounts.AccountError as exc:
        raise AppError(400, str(exc), metadata={"field": exc.field} if exc.field else None) from None
    if changed:
        log.info(
            "user %s changed by admin %s: role %s, active %s, %d sessions ended",
            out.id,
            admin.user_id,
            out.role,
            out.is_active,
            ended,
        )
        await gateway.announce_change()  # API keys carry their owner's role and whether it may call
    return out


@router.post(
    "/api/admin/invites",
    response_model=InviteOut,
    status_code=201,
    summary="Create a sign-up invitation (the code is shown once)",
)
async def create_invite(body: InviteIn, admin: AdminPrincipal, gateway: GatewayDep) -> InviteOut:
    expires_at = None if body.expires_in_days is None else utcnow() + timedelta(days=body.expires_in_days)
    try:
        async with gateway.sessions() as db, db.begin():
            code = await accounts.create_invite(
                db, created_by=admin.user_id, email=body.email, expires_at=expires_at
            )
    except accounts.AccountError as exc:
        raise AppError(400, str(exc), metadata={"field": exc.field} if exc.field else None) from None
    email = accounts.normalize_email(body.email) if body.email else None
    return InviteOut(code=code, email=email, expires_at=expires_at)
