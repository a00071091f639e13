"""Holds: credit reserved in the database before an upstream is called, so that no number of concurrent
requests, in any number of server processes, can spend more than a balance.

A hold is one conditional update (`... SET held = held + x WHERE balance - held >= x`) plus a row that lets a
hold orphaned by a crash expire. Concurrent requests are written together (group commit): while one
transaction is in flight the next requests queue, and all of them go in the next transaction, so the database
sees one short transaction per burst instead of one per request, and a lone request waits for nobody.
Holds are released (and the real cost charged) by the settlement writer, in the same transaction as the
charge.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.kit.clock import utcnow
from modelyard.models import Hold, User

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    user_id: int
    amount_nanos: int
    generation_id: str
    future: asyncio.Future[bool]


class Holds:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl_seconds: float) -> None:
        self._sessions = sessions
        self._ttl = timedelta(seconds=ttl_seconds)
        self._pending: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def place(self, user_id: int, amount_nanos: int, generation_id: str) -> bool:
        """Reserves the amount if the user's balance minus open holds covers it (a request that can cost
        nothing still needs a balance that is not negative)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(user_id, amount_nanos, generation_id, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="holds")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                placed = await self._write(batch)
            except Exception as exc:
                log.exception("placing holds failed")
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            abandoned = []
            for item, is_placed in zip(batch, placed, strict=True):
                if item.future.done():  # the request was cancelled while its hold was being written
                    if is_placed:
                        abandoned.append(item)
                else:
                    item.future.set_result(is_placed)
            if abandoned:
                await self._release([(i.generation_id, i.user_id) for i in abandoned])

    async def _write(self, batch: list[_Pending]) -> list[bool]:
        placed = [False] * len(batch)
        now = utcnow()
        # Rows are locked in user order, as everywhere else, so two processes cannot deadlock on PostgreSQL.
        order = sorted(range(len(batch)), key=lambda i: batch[i].user_id)
        async with self._sessions() as session, session.begin():
            for index in order:
                item = batch[index]
                user_id = await session.scalar(
                    update(User)
                    .where(
                        User.id == item.user_id,
                        User.is_active.is_(True),
                        User.balance_nanos - User.held_nanos >= item.amount_nanos,
                    )
                    .values(held_nanos=User.held_nanos + item.amount_nanos)
                    .returning(User.id)
                )
                placed[index] = user_id is not None
            rows = [
                {
                    "user_id": item.user_id,
                    "generation_id": item.generation_id,
                    "amount_nanos": item.amount_nanos,
                    "created_at": now,
                    "expires_at": now + self._ttl,
                }
                for item, is_placed in zip(batch, placed, strict=True)
                if is_placed
            ]
            if rows:
                await session.execute(insert(Hold), rows)
        return placed

    async def _release(self, holds: list[tuple[str, int]]) -> None:
        async with self._sessions() as session, session.begin():
            await release(session, [generation_id for generation_id, _ in holds])

    async def sweep(self) -> int:
        """Gives back the credit of holds whose request never settled (a crashed process). Each expired
        hold is deleted exactly once, even with several processes sweeping."""
        async with self._sessions() as session, session.begin():
            rows = (
                await session.execute(
                    delete(Hold).where(Hold.expires_at < utcnow()).returning(Hold.user_id, Hold.amount_nanos)
                )
            ).all()
            await _unhold(session, [(user_id, amount) for user_id, amount in rows])
        if rows:
            log.warning("released %d expired holds", len(rows))
        return len(rows)

    async def spendable_nanos(self, user_id: int) -> int:
        async with self._sessions() as session:
            row = (
                await session.execute(select(User.balance_nanos, User.held_nanos).where(User.id == user_id))
            ).first()
        return 0 if row is None else int(row[0] - row[1])


async def release(session: AsyncSession, generation_ids: list[str]) -> set[str]:
    """Deletes these requests' holds and gives their credit back, in the caller's transaction. Returns the
    generation ids that still had a hold (one already swept is not released twice)."""
    if not generation_ids:
        return set()
    rows = (
        await session.execute(
            delete(Hold)
            .where(Hold.generation_id.in_(generation_ids))
            .returning(Hold.generation_id, Hold.user_id, Hold.amount_nanos)
        )
    ).all()
    await _unhold(session, [(user_id, amount) for _, user_id, amount in rows])
    return {generation_id for generation_id, _, _ in rows}


async def _unhold(session: AsyncSession, holds: list[tuple[int, int]]) -> None:
    totals: dict[int, int] = defaultdict(int)
    for user_id, amount in holds:
        totals[user_id] += amount
    for user_id in sorted(totals):  # a fixed order avoids deadlocks between concurrent transactions
        await session.execute(
            update(User).where(User.id == user_id).values(held_nanos=User.held_nanos - totals[user_id])
        )
