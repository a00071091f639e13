"""The audit trail of administrators' changes (written by audit/trail.py), for the admin pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.models import AdminAudit, User

router = APIRouter(tags=["admin"])


class AuditEntryOut(BaseModel):
    id: int
    actor_user_id: int
    actor_email: str | None = Field(description="null when the account has since been deleted")
    method: str
    route: str = Field(description="The operation's path template")
    path: str
    body: Any = Field(description="The request body with every secret field replaced by [redacted]")
    status: int
    created_at: datetime


class AuditPage(BaseModel):
    data: list[AuditEntryOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next (older) page")


@router.get("/api/admin/audit", response_model=AuditPage, summary="Administrators' changes, newest first")
async def list_audit(
    admin: AdminPrincipal,
    gateway: GatewayDep,
    actor_user_id: int | None = None,
    route: Annotated[
        str | None, Query(max_length=200, description="Only this operation's path template")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> AuditPage:
    query = (
        select(AdminAudit, User.email)
        .outerjoin(User, User.id == AdminAudit.actor_user_id)
        .order_by(AdminAudit.id.desc())
        .limit(limit + 1)
    )
    if actor_user_id is not None:
        query = query.where(AdminAudit.actor_user_id == actor_user_id)
    if route is not None:
        query = query.where(AdminAudit.route == route)
    if cursor is not None:
        query = query.where(AdminAudit.id < cursor)
    async with gateway.sessions() as session:
        rows = (await session.execute(query)).all()
    entries = [
        AuditEntryOut(
            id=row.id, actor_user_id=row.actor_user_id, actor_email=email, method=row.method, route=row.route,
            path=row.path, body=row.body, status=row.status, created_at=row.created_at,
        )
        for row, email in rows[:limit]
    ]  # fmt: skip
    return AuditPage(data=entries, next_cursor=entries[-1].id if len(rows) > limit else None)
