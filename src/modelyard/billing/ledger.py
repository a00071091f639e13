"""The append-only balance ledger. Every balance change goes through `append`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.billing import alerts
from modelyard.kit.clock import utcnow
from modelyard.models import LedgerEntry, LedgerKind, User


@dataclass(frozen=True, slots=True)
class Entry:
    user_id: int
    kind: LedgerKind
    amount_nanos: int
    generation_id: str | None = None
    reference: str | None = None
    note: str | None = None
    idempotency_key: str | None = None
    created_at: datetime | None = None


class UnknownUserError(LookupError):
    pass


async def append(
    session: AsyncSession, entries: list[Entry], *, alert_threshold_nanos: int | None = None
) -> dict[int, int]:
    """`append_sync` in an async session's transaction."""
    return await session.run_sync(
        lambda sync_session: append_sync(
            sync_session.connection(), entries, alert_threshold_nanos=alert_threshold_nanos
        )
    )


def append_sync(
    connection: Connection, entries: list[Entry], *, alert_threshold_nanos: int | None = None
) -> dict[int, int]:
    """Writes the entries and moves the cached balances with them, in the caller's transaction.

    One conditional `UPDATE ... RETURNING` per user (no SELECT FOR UPDATE, so SQLite and PostgreSQL behave
    alike); `balance_after` of each entry is derived from the returned total, which is exact because the
    update holds the row's write lock until commit. Returns the new balance per user.

    `alert_threshold_nanos` is the server's default low-balance threshold (`Settings.
    low_balance_threshold_nanos`). Every caller that adds credit in production (grants, redemptions, the CLI)
    passes it: a credit that lifts a balance to its threshold or above then re-arms the user's low-balance
    alert in the same statement (billing/alerts.py). Left out, alert state is not touched.
    """
    by_user: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_user[entry.user_id].append(entry)
    balances: dict[int, int] = {}
    rows: list[dict[str, object]] = []
    for user_id in sorted(by_user):  # a fixed order avoids deadlocks between concurrent batches
        user_entries = by_user[user_id]
        total = sum(entry.amount_nanos for entry in user_entries)
        values: dict[str, Any] = {"balance_nanos": User.balance_nanos + total}
        if total > 0 and alert_threshold_nanos is not None:
            values["is_low_balance_alerted"] = alerts.rearm_expression(
                User.balance_nanos + total, alerts.threshold_in_effect(alert_threshold_nanos)
            )
        final = connection.scalar(
            update(User).where(User.id == user_id).values(values).returning(User.balance_nanos)
        )
        if final is None:
            raise UnknownUserError(f"no user with id {user_id}")
        balances[user_id] = final
        running = final - total
        for entry in user_entries:
            running += entry.amount_nanos
            rows.append(
                {
                    "user_id": user_id,
                    "kind": str(entry.kind),
                    "amount_nanos": entry.amount_nanos,
                    "balance_after_nanos": running,
                    "generation_id": entry.generation_id,
                    "reference": entry.reference,
                    "note": entry.note,
                    "idempotency_key": entry.idempotency_key,
                    "created_at": entry.created_at or utcnow(),
                }
            )
    if rows:
        connection.execute(insert(LedgerEntry), rows)
    return balances


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    email: str
    cached_nanos: int
    ledger_nanos: int


async def verify(session: AsyncSession) -> list[Mismatch]:
    """Every cached balance must equal the sum of its ledger entries."""
    sums = (
        select(LedgerEntry.user_id, func.coalesce(func.sum(LedgerEntry.amount_nanos), 0).label("total"))
        .group_by(LedgerEntry.user_id)
        .subquery()
    )
    rows = await session.execute(
        select(User.id, User.email, User.balance_nanos, func.coalesce(sums.c.total, 0)).outerjoin(
            sums, sums.c.user_id == User.id
        )
    )
    return [
        Mismatch(user_id, email, cached, int(total))
        for user_id, email, cached, total in rows
        if cached != int(total)
    ]
