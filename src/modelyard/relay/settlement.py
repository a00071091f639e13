"""Settles finished requests, in batches, each batch in one transaction: the request's hold is released, its
real cost charged through the ledger, its request log written and folded into the rollups, together or not at
all (billing/holds.settle_sync).

A response's last bytes (a non-streaming body, a stream's usage chunk and `[DONE]`, an error answer) wait
until its settlement is durable, not until its batch is written: `submit` also queues an intent, and the
intents are group-committed (at once when none is in flight, those that arrive meanwhile together in the
next) as one statement that keeps each settlement on its request's hold (`holds.note_settlements_sync`). A
hard crash (SIGKILL, power loss) before the batch is written then loses nothing: the hold expires and the
sweep settles it from what it carries (billing/holds.sweep_sync), once, with the same code. So batches go
every `flush_seconds` (or at once when `max_batch` are queued), sharing one transaction among many requests,
and a lone request waits for one small commit. A request whose hold is gone by the time its intent is
written (swept while it ran) has its batch written at once and waits for that. A batch written after the
sweep settled its request skips it, so nothing is charged or recorded twice.

The wait is bounded (`commit_wait_seconds`): with the database down or slow the answer goes out anyway and
its settlement stays queued. A failed batch is retried, never dropped (a failed intent is not: its answer
waits for the batch instead); on shutdown everything queued is written before the process exits. With
`commit_wait_seconds` = 0 nobody waits and no intents are written: a crash then loses the last
`flush_seconds` of delivered answers' charges and records.

A request cut off by a crash before it finished (the client sees a broken connection) has no settlement: its
hold stays in the database and is swept when it expires, so it is not charged and no credit stays locked,
and the sweep writes its "interrupted" record. A settlement that arrives after its hold was swept replaces
that record, so a generation never has two.

A request made with a key that has a credit limit also held credit on the key's row: the batch gives that
back and adds the charge to the key's current window (billing/holds.settle_keys_sync), before any user row is
locked, as the hold took them.

After each batch's charges, the same transaction flags the users the batch took below their low-balance
threshold (one statement, billing/alerts.py); once it commits, their alerts are handed to `on_low_balance`
(the notifier's queue), which never blocks. (A request settled by the sweep flags nobody.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from modelyard.billing import alerts, holds
from modelyard.billing.holds import Settlement as Settlement
from modelyard.db.writes import Writer
from modelyard.kit.clock import utcnow

log = logging.getLogger(__name__)

# How long a response waits for its settlement to be durable before it is sent anyway (the setting's default).
DEFAULT_COMMIT_WAIT_SECONDS = 5.0


class SettlementWriter:
    def __init__(
        self,
        writer: Writer,
        *,
        flush_seconds: float,
        max_batch: int,
        alert_threshold_nanos: int | None = None,
        on_low_balance: Callable[[list[alerts.LowBalance]], None] | None = None,
        commit_wait_seconds: float = DEFAULT_COMMIT_WAIT_SECONDS,
    ) -> None:
        """`alert_threshold_nanos` (the server's default threshold) and `on_low_balance` turn on low-balance
        detection. `commit_wait_seconds` bounds how long `wait` holds a response back (0: nobody waits and
        no intents are written)."""
        self._writer = writer
        self._flush_seconds = flush_seconds
        self._max_batch = max_batch
        self._commit_wait_seconds = commit_wait_seconds
        self._alert_threshold_nanos = alert_threshold_nanos
        self._on_low_balance = on_low_balance
        self._queue: list[Settlement] = []
        # Parallel to _queue: resolved when that settlement is durable (its intent or its batch committed).
        self._committed: list[asyncio.Future[None]] = []
        # Settlements whose intent is still to be written, with their futures.
        self._intents: list[tuple[Settlement, asyncio.Future[None]]] = []
        self._intent_task: asyncio.Task[None] | None = None
        self._intents_failing = False
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

    def submit(self, settlement: Settlement) -> asyncio.Future[None]:
        """Queues a settlement; the future resolves when it is durable (never fails: a failed batch is
        retried)."""
        if self.on_submit is not None:
            self.on_submit(settlement.request_log)
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(settlement)
        self._committed.append(committed)
        if self._commit_wait_seconds > 0:
            self._intents.append((settlement, committed))
            if self._intent_task is None or self._intent_task.done():
                self._intent_task = asyncio.create_task(self._write_intents(), name="settlement-intents")
        if len(self._queue) >= self._max_batch:
            self._wakeup.set()
        return committed

    async def wait(self, committed: asyncio.Future[None]) -> bool:
        """Waits until a submitted settlement is durable, at most `commit_wait_seconds`. False: it is not
        (the database is down or slow; it stays queued and is retried)."""
        if committed.done():
            return True
        if self._commit_wait_seconds <= 0:
            return False
        # asyncio.wait leaves the future alone on timeout: the writer still resolves it later.
        # (The failing batch is logged by the writer; a line per waiting answer would flood the log.)
        await asyncio.wait((committed,), timeout=self._commit_wait_seconds)
        return committed.done()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="settlement-writer")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._intent_task is not None:
            await self._intent_task

    async def flush(self) -> None:
        """Writes everything queued now (tests and shutdown)."""
        while self._queue:
            await self._write_batch()

    async def _run(self) -> None:
        while True:
            # Batches every flush window (or at once when one is full): answers wait for their intents, not
            # for this, so the window can be long enough to share a transaction among many requests.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._flush_seconds)
            self._wakeup.clear()
            try:
                if self._stopping:
                    await self.flush()
                else:
                    # What was queued when the window closed: what arrives meanwhile waits for the next
                    # window (or a full batch), so batches stay large under steady traffic.
                    due = len(self._queue)
                    while due > 0:
                        due -= await self._write_batch()
            except Exception:
                # The batch stays queued; the next round retries it.
                log.exception("writing charges failed; retrying")
                await asyncio.sleep(min(1.0, self._flush_seconds * 10))
            if self._stopping and not self._queue:
                return

    async def _write_intents(self) -> None:
        """Group commit of intents: written at once when none is in flight; those that arrive meanwhile go
        together in the next transaction. A failed write is not retried: its settlements are still in the
        batch queue, whose commit resolves them (their answers wait for it, boundedly)."""
        while self._intents:
            batch = self._intents[: self._max_batch]
            del self._intents[: len(batch)]
            pending = [(item, future) for item, future in batch if not future.done()]
            if not pending:
                continue
            try:
                noted = await self._writer.run(
                    partial(holds.note_settlements_sync, settlements=[item for item, _ in pending])
                )
            except Exception:
                if not self._intents_failing:  # once per outage: the batch writer logs its retries
                    log.exception("writing settlement intents failed; answers wait for their batch")
                self._intents_failing = True
                self._wakeup.set()
                continue
            self._intents_failing = False
            unnoted = False
            for item, future in pending:
                if future.done():
                    continue
                if item.generation_id in noted:
                    future.set_result(None)
                else:
                    unnoted = True
            if unnoted:
                # No hold to carry it (settled by its batch meanwhile, or swept): only the batch makes it
                # durable, so it is written now rather than at the end of the window.
                self._wakeup.set()

    async def _write_batch(self) -> int:
        """Writes the oldest queued settlements (at most `max_batch`); returns how many."""
        batch = self._queue[: self._max_batch]
        threshold = self._alert_threshold_nanos if self._on_low_balance is not None else None
        low = await self._writer.run(
            partial(holds.settle_sync, settlements=batch, now=utcnow(), alert_threshold_nanos=threshold)
        )
        del self._queue[: len(batch)]
        committed = self._committed[: len(batch)]
        del self._committed[: len(batch)]
        for future in committed:
            if not future.done():
                future.set_result(None)
        if low and self._on_low_balance is not None:
            try:
                self._on_low_balance(low)
            except Exception:  # an alert must never cost a charge: the batch is written, carry on
                log.exception("queueing low-balance alerts failed")
        return len(batch)
