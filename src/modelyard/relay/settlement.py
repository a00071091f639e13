"""Writes charges and request logs off the request path, in batches, each batch in one transaction.

A charge and its request log commit together or not at all. A failed batch is retried, never dropped; on
shutdown everything queued is written before the process exits. What a hard crash can lose is the batch
window (`writer_flush_seconds`, 50 ms by default) of queued charges; the credits issue replaces this with
holds written before the upstream call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.billing import ledger
from modelyard.billing.balances import BalanceBook
from modelyard.models import LedgerKind, RequestLog, User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Settlement:
    user_id: int
    cost_nanos: int
    request_log: dict[str, Any]  # RequestLog column values

    @property
    def generation_id(self) -> str:
        return str(self.request_log["generation_id"])


class SettlementWriter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        balances: BalanceBook,
        *,
        flush_seconds: float,
        max_batch: int,
        refresh_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._balances = balances
        self._flush_seconds = flush_seconds
        self._max_batch = max_batch
        self._refresh_seconds = refresh_seconds
        self._queue: list[Settlement] = []
        self._wakeup = asyncio.Event()
        self._refresh_requested = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # Balances read from the database must not interleave with a batch being written, or a read taken
        # before the batch's commit could overwrite the balance the commit returned.
        self._db_lock = asyncio.Lock()

    def submit(self, settlement: Settlement) -> None:
        self._queue.append(settlement)
        if len(self._queue) >= self._max_batch:
            self._wakeup.set()

    def request_balance_refresh(self) -> None:
        self._refresh_requested.set()
        self._wakeup.set()

    async def start(self) -> None:
        await self._load_balances()
        self._task = asyncio.create_task(self._run(), name="settlement-writer")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def flush(self) -> None:
        """Writes everything queued now (tests and shutdown)."""
        while self._queue:
            await self._write_batch()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_refresh = loop.time() + self._refresh_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._flush_seconds)
            self._wakeup.clear()
            try:
                await self.flush()
                if self._refresh_requested.is_set() or loop.time() >= next_refresh:
                    self._refresh_requested.clear()
                    await self._load_balances()
                    next_refresh = loop.time() + self._refresh_seconds
            except Exception:
                # The batch stays queued; the next round retries it.
                log.exception("writing charges failed; retrying")
                await asyncio.sleep(min(1.0, self._flush_seconds * 10))
            if self._stopping and not self._queue:
                return

    async def _write_batch(self) -> None:
        batch = self._queue[: self._max_batch]
        entries = [
            ledger.Entry(
                user_id=item.user_id,
                kind=LedgerKind.USAGE,
                amount_nanos=-item.cost_nanos,
                generation_id=item.generation_id,
                reference=item.generation_id,
                idempotency_key=f"usage:{item.generation_id}",
                created_at=item.request_log["created_at"],
            )
            for item in batch
            if item.cost_nanos
        ]
        async with self._db_lock, self._sessions() as session, session.begin():
            stored = await ledger.append(session, entries)
            await session.execute(insert(RequestLog), [item.request_log for item in batch])
        del self._queue[: len(batch)]
        charged: dict[int, int] = {}
        for entry in entries:
            charged[entry.user_id] = charged.get(entry.user_id, 0) - entry.amount_nanos
        for user_id, total in charged.items():
            self._balances.written(user_id, total, stored[user_id])

    async def _load_balances(self) -> None:
        async with self._db_lock, self._sessions() as session:
            rows = await session.execute(select(User.id, User.balance_nanos))
            self._balances.load({user_id: balance for user_id, balance in rows})

    async def load_user(self, user_id: int) -> None:
        """Reads one user's balance now: a user first seen since the last refresh, or one about to be refused
        for want of credit whose top-up may not have been read yet."""
        async with self._db_lock, self._sessions() as session:
            balance = await session.scalar(select(User.balance_nanos).where(User.id == user_id))
            if balance is not None:
                self._balances.load({user_id: balance})
