"""Administration of credits: top-ups and redemption-code batches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.api.schemas import CodesIn, CodesOut, GrantIn, TransactionOut, parse_usd
from modelyard.billing import codes, credits
from modelyard.catalog.sync import DEFAULT_URL, SyncError, sync_catalog
from modelyard.errors import AppError
from modelyard.kit.money import nanos_to_usd_str

router = APIRouter(tags=["admin"])


@router.post(
    "/api/admin/users/{user_id}/credits",
    response_model=TransactionOut,
    status_code=201,
    summary="Add or remove a user's credits",
    responses={
        200: {
            "model": TransactionOut,
            "description": "A retry with the same Idempotency-Key: the original entry, nothing changed",
        }
    },
)
async def grant_credits(
    user_id: int,
    body: GrantIn,
    admin: AdminPrincipal,
    gateway: GatewayDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=150)] = None,
) -> TransactionOut:
    try:
        entry, is_new = await credits.grant(
            gateway.sessions,
            user_id=user_id,
            amount_nanos=parse_usd(body.amount),
            admin_id=admin.user_id,
            note=body.note,
            idempotency_key=idempotency_key,
            alert_threshold_nanos=gateway.notifier.default_threshold_nanos,
        )
    except credits.CreditsError as exc:
        raise AppError(404 if "no user" in str(exc) else 400, str(exc)) from None
    if not is_new:
        response.status_code = 200
    return TransactionOut.of(entry)


@router.post("/api/admin/codes", response_model=CodesOut, status_code=201, summary="Create redemption codes")
async def create_codes(body: CodesIn, admin: AdminPrincipal, gateway: GatewayDep) -> CodesOut:
    try:
        async with gateway.sessions() as session, session.begin():
            batch, created = await codes.create_batch(
                session,
                count=body.count,
                amount_nanos=parse_usd(body.amount),
                max_uses=body.max_uses,
                expires_at=body.expires_at,
                created_by=admin.user_id,
            )
    except codes.CodeError as exc:
        raise AppError(400, str(exc)) from None
    return CodesOut(
        batch=batch,
        codes=created,
        amount=nanos_to_usd_str(parse_usd(body.amount)),
        max_uses=body.max_uses,
        expires_at=body.expires_at,
    )


class CodeBatchOut(BaseModel):
    batch: str
    codes: int
    amount: str = Field(description="USD per redemption")
    max_uses: int = Field(description="Per code")
    uses: int = Field(description="Redemptions of all the batch's codes")
    expires_at: datetime | None
    created_at: datetime


class CodeBatchPage(BaseModel):
    data: list[CodeBatchOut]
    next_cursor: str | None = Field(description="Pass as `before` for the next (older) page")


class RedemptionOut(BaseModel):
    user_id: int
    email: str
    redeemed_at: datetime


class CodeUseOut(BaseModel):
    label: str = Field(description="The code's first characters (codes are stored hashed)")
    uses: int
    max_uses: int
    redemptions: list[RedemptionOut]


@router.get("/api/admin/codes", response_model=CodeBatchPage, summary="Redemption-code batches and their use")
async def list_code_batches(
    admin: AdminPrincipal,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
) -> CodeBatchPage:
    async with gateway.sessions() as session:
        batches = await codes.list_batches(session, limit=limit + 1, before=before)
    page = [
        CodeBatchOut(
            batch=b.batch, codes=b.codes, amount=nanos_to_usd_str(b.amount_nanos), max_uses=b.max_uses,
            uses=b.uses, expires_at=b.expires_at, created_at=b.created_at,
        )
        for b in batches[:limit]
    ]  # fmt: skip
    return CodeBatchPage(data=page, next_cursor=page[-1].batch if len(batches) > limit else None)


@router.get(
    "/api/admin/codes/{batch}",
    response_model=list[CodeUseOut],
    summary="A batch's codes and who redeemed them",
)
async def get_code_batch(batch: str, admin: AdminPrincipal, gateway: GatewayDep) -> list[CodeUseOut]:
    async with gateway.sessions() as session:
        uses = await codes.batch_codes(session, batch)
    if not uses:
        raise AppError(404, f"No batch {batch}", metadata={"error_type": "not_found"})
    return [
        CodeUseOut(
            label=u.label, uses=u.uses, max_uses=u.max_uses,
            redemptions=[RedemptionOut(user_id=i, email=e, redeemed_at=at) for i, e, at in u.redeemed_by],
        )
        for u in uses
    ]  # fmt: skip


class CatalogSyncIn(BaseModel):
    url: str | None = Field(
        default=None,
        description="An OpenRouter-format /api/v1/models URL; default: the site settings' catalog_sync_url",
    )
    dry_run: bool = False
    force: bool = Field(default=False, description="Also replace prices set by hand")
    confirm: bool = Field(default=False, description="Also apply prices that drop to zero or move past 3x")


class CatalogSyncOut(BaseModel):
    applied: bool
    changes: list[str] = Field(description="+ added, - removed, ~ price change, ! held, = kept")


@router.post("/api/admin/catalog/sync", response_model=CatalogSyncOut, summary="Sync the model catalogue")
async def catalog_sync(body: CatalogSyncIn, admin: AdminPrincipal, gateway: GatewayDep) -> CatalogSyncOut:
    try:
        default_url = gateway.site.effective.catalog_sync_url if gateway.site is not None else DEFAULT_URL
        lines = await sync_catalog(
            gateway.sessions,
            body.url or default_url,
            dry_run=body.dry_run,
            force=body.force,
            confirm=body.confirm,
            applied=gateway.announce_change,
        )
    except SyncError as exc:
        raise AppError(502, str(exc), metadata={"error_type": "provider_unavailable"}) from None
    return CatalogSyncOut(applied=not body.dry_run, changes=lines)
