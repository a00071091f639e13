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
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.db.writes import Writer
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
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: Writer, ttl_seconds: float
    ) -> None:
        self._sessions = sessions
        self._writer = writer
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
            requests = [(item.user_id, item.amount_nanos, item.generation_id) for item in batch]
            now = utcnow()
            try:
                placed = await self._writer.run(
                    partial(place_sync, requests=requests, now=now, ttl=self._ttl)
                )
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
                        abandoned.append(item.generation_id)
                else:
                    item.future.set_result(is_placed)
            if abandoned:
                await self._writer.run(partial(release_sync, generation_ids=abandoned))

    async def sweep(self) -> int:
        """Gives back the credit of holds whose request never settled (a crashed process). Each expired
        hold is deleted exactly once, even with several processes sweeping."""
        swept = await self._writer.run(partial(sweep_sync, now=utcnow()))
        if swept:
            log.warning("released %d expired holds", swept)
        return swept

    async def spendable_nanos(self, user_id: int) -> int:
        async with self._sessions() as session:
            query = select(User.balance_nanos, User.held_nanos).where(User.id == user_id)
            row = (await session.execute(query)).first()
        return 0 if row is None else int(row[0] - row[1])


def place_sync(
    connection: Connection, requests: list[tuple[int, int, str]], now: datetime, ttl: timedelta
) -> list[bool]:
    """Places each (user, amount, generation id) hold that fits. A user's holds in one batch are tried
    together first (one statement), one by one only if together they do not fit."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for index, (user_id, _, _) in enumerate(requests):
        by_user[user_id].append(index)
    placed = [False] * len(requests)
    for user_id in sorted(by_user):  # rows locked in user order everywhere: no deadlocks on PostgreSQL
        indices = by_user[user_id]
        if len(indices) > 1 and _hold(connection, user_id, sum(requests[i][1] for i in indices)):
            for index in indices:
                placed[index] = True
            continue
        for index in indices:
            placed[index] = _hold(connection, user_id, requests[index][1])
    rows = [
        {"user_id": u, "generation_id": g, "amount_nanos": a, "created_at": now, "expires_at": now + ttl}
        for (u, a, g), is_placed in zip(requests, placed, strict=True)
        if is_placed
    ]
    if rows:
        connection.execute(insert(Hold), rows)
    return placed


def _hold(connection: Connection, user_id: int, amount_nanos: int) -> bool:
    held = connection.scalar(
        update(User)
        .where(
            User.id == user_id,
            User.is_active.is_(True),
            User.balance_nanos - User.held_nanos >= amount_nanos,
        )
        .values(held_nanos=User.held_nanos + amount_nanos)
        .returning(User.id)
    )
    return held is not None


def release_sync(connection: Connection, generation_ids: list[str]) -> set[str]:
    """Deletes these requests' holds and gives their credit back, in the caller's transaction. Returns the
    generation ids that still had a hold (one already swept is not released twice)."""
    if not generation_ids:
        return set()
    rows = connection.execute(
        delete(Hold)
        .where(Hold.generation_id.in_(generation_ids))
        .returning(Hold.generation_id, Hold.user_id, Hold.amount_nanos)
    ).all()
    _unhold(connection, [(user_id, amount) for _, user_id, amount in rows])
    return {generation_id for generation_id, _, _ in rows}


def sweep_sync(connection: Connection, now: datetime) -> int:
    rows = connection.execute(
        delete(Hold).where(Hold.expires_at < now).returning(Hold.user_id, Hold.amount_nanos)
    ).all()
    _unhold(connection, [(user_id, amount) for user_id, amount in rows])
    return len(rows)


def _unhold(connection: Connection, holds: list[tuple[int, int]]) -> None:
    totals: dict[int, int] = defaultdict(int)
    for user_id, amount in holds:
        totals[user_id] += amount
    for user_id in sorted(totals):
        connection.execute(
            update(User).where(User.id == user_id).values(held_nanos=User.held_nanos - totals[user_id])
        )
