"""The caller's balance: summary, transactions, code redemption, and OpenRouter's /credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from modelyard.api.deps import ApiKeyPrincipal, GatewayDep
from modelyard.api.schemas import (
    BalanceOut,
    CreditsData,
    CreditsOut,
    RedeemIn,
    RedeemOut,
    TransactionOut,
    TransactionPage,
)
from modelyard.billing import codes, credits
from modelyard.errors import AppError, bad_request
from modelyard.kit.money import nanos_to_usd_number, nanos_to_usd_str
from modelyard.models import LedgerKind

router = APIRouter(tags=["account"])
openrouter_router = APIRouter(tags=["OpenRouter-compatible"])


@router.get("/api/balance", response_model=BalanceOut, summary="Balance, held and available credit")
async def get_balance(principal: ApiKeyPrincipal, gateway: GatewayDep) -> BalanceOut:
    async with gateway.sessions() as session:
        summary = await credits.summary(session, principal.user_id)
    return BalanceOut(
        balance=nanos_to_usd_str(summary.balance_nanos),
        held=nanos_to_usd_str(summary.held_nanos),
        available=nanos_to_usd_str(summary.available_nanos),
        spent_today=nanos_to_usd_str(summary.spent_today_nanos),
        spent_this_month=nanos_to_usd_str(summary.spent_this_month_nanos),
    )


@dataclass(frozen=True)
class TransactionFilter:
    kinds: list[LedgerKind] | None
    since: datetime | None
    until: datetime | None


def transaction_filter(
    type: Annotated[
        str | None,
        Query(description="Comma list of types: topup, usage, refund, adjustment, redemption, promo"),
    ] = None,
    since: Annotated[datetime | None, Query(description="Inclusive, ISO 8601 with a time zone")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive, ISO 8601 with a time zone")] = None,
) -> TransactionFilter:
    """The filters the transaction list and its export share, checked."""
    kinds = None
    if type:
        try:
            kinds = [LedgerKind(kind.strip()) for kind in type.split(",") if kind.strip()]
        except ValueError:
            allowed = ", ".join(k.value for k in LedgerKind)
            raise bad_request(f"`type` must be a comma list of: {allowed}", field="type") from None
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise bad_request(f"`{name}` needs a time zone, e.g. 2026-11-30T00:00:00Z", field=name)
    if since is not None and until is not None and since >= until:
        raise bad_request("`since` must be before `until`", field="since")
    return TransactionFilter(kinds=kinds, since=since, until=until)


TransactionFilterDep = Annotated[TransactionFilter, Depends(transaction_filter)]


@router.get(
    "/api/balance/transactions", response_model=TransactionPage, summary="Ledger entries, newest first"
)
async def list_transactions(
    principal: ApiKeyPrincipal,
    gateway: GatewayDep,
    where: TransactionFilterDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> TransactionPage:
    before_id = None
    if cursor is not None:
        if not cursor.isdigit():
            raise bad_request(
                "`cursor` is not valid; pass the next_cursor of the previous page", field="cursor"
            )
        before_id = int(cursor)
    async with gateway.sessions() as session:
        entries = await credits.transactions(
            session,
            principal.user_id,
            limit=limit + 1,
            before_id=before_id,
            kinds=where.kinds,
            since=where.since,
            until=where.until,
        )
    page = entries[:limit]
    next_cursor = str(page[-1].id) if len(entries) > limit else None
    return TransactionPage(data=[TransactionOut.of(e) for e in page], next_cursor=next_cursor)


@router.get(
    "/api/balance/transactions/export",
    summary="Ledger entries as CSV, newest first, streamed",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV with a header row"}
    },
)
async def export_transactions(
    principal: ApiKeyPrincipal, gateway: GatewayDep, where: TransactionFilterDep
) -> StreamingResponse:
    """The same filters as the list; columns id, created_at (UTC), type, amount and balance_after (USD),
    reference, note, generation_id."""
    return StreamingResponse(
        credits.export_transactions(
            gateway.sessions, principal.user_id, kinds=where.kinds, since=where.since, until=where.until
        ),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="modelyard-transactions.csv"'},
    )


@router.post(
    "/api/balance/redeem",
    response_model=RedeemOut,
    summary="Redeem a code for credits",
    responses={
        400: {"description": "Unknown, expired or used-up code"},
        409: {"description": "Already redeemed"},
    },
)
async def redeem_code(body: RedeemIn, principal: ApiKeyPrincipal, gateway: GatewayDep) -> RedeemOut:
    limiter = gateway.code_guesses
    wait = limiter.retry_after(principal.user_id)
    if wait is not None:
        raise AppError(
            429,
            "Too many invalid codes; try again later",
            metadata={"error_type": "rate_limit_exceeded"},
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    try:
        redeemed = await codes.redeem(
            gateway.sessions,
            principal.user_id,
            body.code,
            alert_threshold_nanos=gateway.notifier.default_threshold_nanos,
        )
    except codes.AlreadyRedeemedError as exc:
        raise AppError(409, str(exc)) from None
    except codes.CodeError as exc:
        limiter.failed(principal.user_id)
        raise AppError(400, str(exc)) from None
    return RedeemOut(
        amount=nanos_to_usd_str(redeemed.amount_nanos), balance=nanos_to_usd_str(redeemed.balance_nanos)
    )


@openrouter_router.get("/api/v1/credits", response_model=CreditsOut, summary="Total credits and usage (USD)")
async def get_credits(principal: ApiKeyPrincipal, gateway: GatewayDep) -> CreditsOut:
    async with gateway.sessions() as session:
        total_credits, total_usage = await credits.totals(session, principal.user_id)
    return CreditsOut(
        data=CreditsData(
            total_credits=nanos_to_usd_number(total_credits), total_usage=nanos_to_usd_number(total_usage)
        )
    )
