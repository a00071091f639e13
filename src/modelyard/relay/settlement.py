"""Settles finished requests off the request path, in batches, each batch in one transaction: the request's
hold is released, its real cost charged through the ledger, and its request log written, together or not at
all. A failed batch is retried, never dropped; on shutdown everything queued is written before the process
exits. A hard crash loses at most the batch window (`writer_flush_seconds`, 50 ms) of settlements: their holds
stay in the database and are swept when they expire, so no credit stays locked, but those requests go
uncharged.

A request made with a key that has a credit limit also held credit on the key's row: the batch gives that
back and adds the charge to the key's current window (billing/holds.settle_keys_sync), before any user row is
locked, as the hold took them.

After each batch's charges, the same transaction flags the users the batch took below their low-balance
threshold (one statement, billing/alerts.py); once it commits, their alerts are handed to `on_low_balance`
(the notifier's queue), which never blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from modelyard.activity import rollups
from modelyard.billing import alerts, holds, ledger
from modelyard.db.writes import Writer
from modelyard.kit.clock import utcnow
from modelyard.models import LedgerKind, RequestLog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Settlement:
    user_id: int
    cost_nanos: int
    request_log: dict[str, Any]  # RequestLog column values
    # The key whose credit limit this request held `key_held_nanos` on (None: its key has no limit).
    key_id: int | None = None
    key_held_nanos: int = 0

    @property
    def generation_id(self) -> str:
        return str(self.request_log["generation_id"])


class SettlementWriter:
    def __init__(
        self,
        writer: Writer,
        *,
        flush_seconds: float,
        max_batch: int,
        alert_threshold_nanos: int | None = None,
        on_low_balance: Callable[[list[alerts.LowBalance]], None] | None = None,
    ) -> None:
        """`alert_threshold_nanos` (the server's default threshold) and `on_low_balance` turn on low-balance
        detection."""
        self._writer = writer
        self._flush_seconds = flush_seconds
        self._max_batch = max_batch
        self._alert_threshold_nanos = alert_threshold_nanos
        self._on_low_balance = on_low_balance
        self._queue: list[Settlement] = []
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # Sees every finished request's record as it is queued (the metrics); must not raise or block.
        self.on_submit: Callable[[dict[str, Any]], None] | None = None

    @property
    def alert_threshold_nanos(self) -> int | None:
        """The server's default low-balance threshold; changes with the site settings."""
        return self._alert_threshold_nanos

    @alert_threshold_nanos.setter
    def alert_threshold_nanos(self, nanos: int | None) -> None:
        self._alert_threshold_nanos = nanos

    @property
    def queued(self) -> int:
        """Settlements waiting for their batch (for /metrics)."""
        return len(self._queue)

    def submit(self, settlement: Settlement) -> None:
        if self.on_submit is not None:
            self.on_submit(settlement.request_log)
        self._queue.append(settlement)
        if len(self._queue) >= self._max_batch:
            self._wakeup.set()

    async def start(self) -> None:
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
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._flush_seconds)
            self._wakeup.clear()
            try:
                await self.flush()
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
        generation_ids = [item.generation_id for item in batch]
        logs = [item.request_log for item in batch]
        threshold = self._alert_threshold_nanos if self._on_low_balance is not None else None

        keys = [
            (item.key_id, item.key_held_nanos, item.cost_nanos) for item in batch if item.key_id is not None
        ]

        def settle(connection: Connection) -> list[alerts.LowBalance]:
            if keys:
                holds.settle_keys_sync(connection, keys, utcnow())
            holds.release_sync(connection, generation_ids)
            ledger.append_sync(connection, entries)
            connection.execute(insert(RequestLog), logs)
            # The rollups move with the records in one transaction, so statistics never drift from them.
            rollups.fold_sync(connection, logs)
            if threshold is None or not entries:
                return []
            return alerts.flag_low_balances_sync(connection, (e.user_id for e in entries), threshold)

        low = await self._writer.run(settle)
        del self._queue[: len(batch)]
        if low and self._on_low_balance is not None:
            try:
                self._on_low_balance(low)
            except Exception:  # an alert must never cost a charge: the batch is written, carry on
                log.exception("queueing low-balance alerts failed")
