"""Balances as users and admins see them: grants, totals, the transaction list."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.billing import ledger
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import LedgerEntry, LedgerKind, User


class CreditsError(ValueError):
    pass


@dataclass(frozen=True)
class BalanceSummary:
    balance_nanos: int
    held_nanos: int
    spent_today_nanos: int
    spent_this_month_nanos: int

    @property
    def available_nanos(self) -> int:
        return self.balance_nanos - self.held_nanos


async def grant(
    sessions: async_sessionmaker[AsyncSession],
    *,
    user_id: int,
    amount_nanos: int,
    admin_id: int | None,
    note: str | None,
    idempotency_key: str | None,
    alert_threshold_nanos: int | None = None,
) -> tuple[LedgerEntry, bool]:
    """Adds (or, negative, removes) credit. Returns the entry and whether it is new: a retried call with the
    same idempotency key returns the first call's entry and changes nothing. `alert_threshold_nanos`: see
    `ledger.append_sync`."""
    if amount_nanos == 0:
        raise CreditsError("amount must not be zero")
    key = f"grant:{idempotency_key}" if idempotency_key else None
    if key is not None:
        existing = await _by_key(sessions, key)
        if existing is not None:
            return existing, False
    entry = ledger.Entry(
        user_id=user_id,
        kind=LedgerKind.TOPUP if amount_nanos > 0 else LedgerKind.ADJUSTMENT,
        amount_nanos=amount_nanos,
        reference=f"admin:{admin_id}" if admin_id is not None else "cli",
        note=note,
        idempotency_key=key,
    )
    try:
        async with sessions() as session, session.begin():
            await ledger.append(session, [entry], alert_threshold_nanos=alert_threshold_nanos)
    except IntegrityError:
        # The same key raced us; its entry is the answer.
        if key is not None and (existing := await _by_key(sessions, key)) is not None:
            return existing, False
        raise
    except ledger.UnknownUserError:
        raise CreditsError(f"no user with id {user_id}") from None
    created = await _by_key(sessions, key) if key is not None else await _latest(sessions, user_id)
    assert created is not None
    return created, True


async def _by_key(sessions: async_sessionmaker[AsyncSession], key: str) -> LedgerEntry | None:
    async with sessions() as session:
        entry: LedgerEntry | None = await session.scalar(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
        )
        return entry


async def _latest(sessions: async_sessionmaker[AsyncSession], user_id: int) -> LedgerEntry | None:
    async with sessions() as session:
        entry: LedgerEntry | None = await session.scalar(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.id.desc()).limit(1)
        )
        return entry


async def summary(session: AsyncSession, user_id: int, now: datetime | None = None) -> BalanceSummary:
    now = now or utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    row = (
        await session.execute(select(User.balance_nanos, User.held_nanos).where(User.id == user_id))
    ).first()
    if row is None:
        raise CreditsError(f"no user with id {user_id}")

    async def spent_since(start: datetime) -> int:
        total = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_nanos), 0)).where(
                LedgerEntry.user_id == user_id,
                LedgerEntry.kind == LedgerKind.USAGE,
                LedgerEntry.created_at >= start,
            )
        )
        return -int(total or 0)

    return BalanceSummary(int(row[0]), int(row[1]), await spent_since(day), await spent_since(month))


async def totals(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """(credits ever added, usage ever charged), as OpenRouter's /credits reports them. Refunds and
    adjustments count on the credit side, so that credits - usage is the balance."""
    rows = await session.execute(
        select(LedgerEntry.kind, func.coalesce(func.sum(LedgerEntry.amount_nanos), 0))
        .where(LedgerEntry.user_id == user_id)
        .group_by(LedgerEntry.kind)
    )
    credits = usage = 0
    for kind, total in rows:
        if kind == LedgerKind.USAGE:
            usage -= int(total)
        else:
            credits += int(total)
    return credits, usage


async def transactions(
    session: AsyncSession,
    user_id: int,
    *,
    limit: int,
    before_id: int | None = None,
    kinds: Sequence[LedgerKind] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[LedgerEntry]:
    """Newest first; `before_id` is the cursor (the id of the last entry of the previous page)."""
    query = select(LedgerEntry).where(LedgerEntry.user_id == user_id)
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    if kinds:
        query = query.where(LedgerEntry.kind.in_([str(k) for k in kinds]))
    if since is not None:
        query = query.where(LedgerEntry.created_at >= since)
    if until is not None:
        query = query.where(LedgerEntry.created_at < until)
    return list((await session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit))).all())


# The transaction export's columns: money as exact USD strings, times in ISO 8601 UTC.
EXPORT_COLUMNS = ("id", "created_at", "type", "amount", "balance_after", "reference", "note", "generation_id")
EXPORT_BATCH = 1000
# A spreadsheet runs a cell starting with one of these as a formula; free text (notes, references) that does
# is written with a leading apostrophe. Amounts are numbers the ledger wrote, never free text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def export_transactions(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    *,
    kinds: Sequence[LedgerKind] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = EXPORT_BATCH,
) -> AsyncIterator[bytes]:
    """The filtered transactions as CSV, newest first, read in keyset-paged batches (one short session each):
    memory stays flat however long the ledger."""
    yield _csv_line(EXPORT_COLUMNS)
    before_id: int | None = None
    while True:
        async with sessions() as session:
            entries = await transactions(
                session, user_id, limit=batch, before_id=before_id, kinds=kinds, since=since, until=until
            )
        if not entries:
            return
        yield b"".join(_csv_line(_export_row(entry)) for entry in entries)
        if len(entries) < batch:
            return
        before_id = entries[-1].id


def _export_row(entry: LedgerEntry) -> tuple[str, ...]:
    return (
        str(entry.id),
        entry.created_at.isoformat(),
        entry.kind,
        nanos_to_usd_str(entry.amount_nanos),
        nanos_to_usd_str(entry.balance_after_nanos),
        _text_cell(entry.reference),
        _text_cell(entry.note),
        entry.generation_id or "",
    )


def _text_cell(value: str | None) -> str:
    if value is None:
        return ""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _csv_line(values: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()
