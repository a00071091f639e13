"""The settlement writer's group commit, against a real database: an answer waits for its own settlement to be
durable (kept on its hold, one statement), never for a batch window; concurrent settlements share
transactions; while the database fails, an answer waits only the bounded time and its charge is written once
the database is back, never lost or doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from modelyard.billing import ledger
from modelyard.billing.holds import Holds, decode_settlement
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.db.writes import Writer, create_writer
from modelyard.kit.clock import utcnow
from modelyard.models import Hold, LedgerEntry, LedgerKind, RequestLog, User
from modelyard.relay.settlement import Settlement, SettlementWriter
from tests.conftest import run_async

T = TypeVar("T")


class Outage(Exception):
    pass


class FlakyWriter:
    """The real writer, counting its transactions; while `down` is set every transaction fails, as with the
    database unreachable."""

    def __init__(self, inner: Writer) -> None:
        self.inner = inner
        self.transactions = 0
        self.down = False

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self.down:
            raise Outage("database unreachable")
        self.transactions += 1
        return await self.inner.run(work)

    async def close(self) -> None:
        await self.inner.close()


async def _setup(database_url: str) -> tuple[AsyncEngine, FlakyWriter, int]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        user = User(email=f"writer-{time.time_ns()}@example.com", password_hash="x", balance_nanos=0)
        session.add(user)
        await session.flush()
        await ledger.append(session, [ledger.Entry(user.id, LedgerKind.TOPUP, 10**9)])
        user_id = user.id
    return engine, FlakyWriter(create_writer(database_url, engine)), user_id


def _settlement(user_id: int, generation_id: str, cost_nanos: int) -> Settlement:
    record: dict[str, Any] = {
        "generation_id": generation_id, "user_id": user_id, "api_key_id": 1, "model_slug": "openai/gpt-4o",
        "requested_model": "openai/gpt-4o", "api_type": "chat", "channel_id": None, "provider": "fake",
        "upstream_model": "gpt-4o-mini", "is_stream": False, "status": "success", "http_status": 200,
        "error_type": None, "error_message": None, "finish_reason": "stop", "prompt_tokens": 10,
        "completion_tokens": 5, "reasoning_tokens": None, "cached_tokens": None, "is_usage_estimated": False,
        "cost_nanos": cost_nanos, "latency_ms": 40, "ttft_ms": 40, "attempts": None, "app_referer": None,
        "app_title": None, "created_at": utcnow(),
    }  # fmt: skip
    return Settlement(user_id=user_id, cost_nanos=cost_nanos, request_log=record)


async def _written(engine: AsyncEngine, user_id: int) -> tuple[int, int, int]:
    """(records, usage entries, balance) of the user."""
    async with session_factory(engine)() as session:
        records = await session.scalar(select(func.count()).where(RequestLog.user_id == user_id))
        usage = await session.scalar(
            select(func.count()).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == LedgerKind.USAGE)
        )
        balance = await session.scalar(select(User.balance_nanos).where(User.id == user_id))
    return int(records or 0), int(usage or 0), int(balance or 0)


def test_an_answer_waits_for_its_own_commit_and_a_burst_shares_transactions(database_url: str) -> None:
    """With a 10 s batch window, a lone settlement that has no hold to be kept on (here none was placed; in
    the relay, one swept while its request ran) still commits at once, in its batch; 40 settlements submitted
    together take a handful of transactions, not 40."""

    async def scenario() -> tuple[bool, float, list[bool], int, tuple[int, int, int]]:
        engine, db, user_id = await _setup(database_url)
        writer = SettlementWriter(db, flush_seconds=10, max_batch=500, commit_wait_seconds=5)
        await writer.start()
        began = time.perf_counter()
        lone = await writer.wait(writer.submit(_settlement(user_id, "gen-lone", 1_000)))
        lone_seconds = time.perf_counter() - began
        before = db.transactions
        burst = [writer.submit(_settlement(user_id, f"gen-burst-{i}", 100)) for i in range(40)]
        waited = await asyncio.gather(*(writer.wait(f) for f in burst))
        transactions = db.transactions - before
        written = await _written(engine, user_id)
        await writer.stop()
        await engine.dispose()
        return lone, lone_seconds, waited, transactions, written

    lone, lone_seconds, waited, transactions, written = run_async(scenario())
    assert lone and lone_seconds < 2
    assert all(waited) and transactions <= 3
    assert written == (41, 41, 10**9 - 1_000 - 40 * 100)


def test_an_answer_waits_only_for_its_settlement_to_be_kept_on_its_hold(database_url: str) -> None:
    """With an hour's batch window, a request's settlement is durable at once: kept, exactly, on its hold
    (what the sweep settles if the process dies), while the charge and record wait for the batch."""

    async def scenario() -> None:
        engine, db, user_id = await _setup(database_url)
        assert await Holds(session_factory(engine), db.inner, ttl_seconds=60).place(
            user_id, 5_000, "gen-kept"
        )
        settlement = _settlement(user_id, "gen-kept", 1_000)
        writer = SettlementWriter(db, flush_seconds=3600, max_batch=500, commit_wait_seconds=5)
        await writer.start()
        before = db.transactions
        began = time.perf_counter()
        durable = await writer.wait(writer.submit(settlement))
        waited = time.perf_counter() - began
        transactions = db.transactions - before
        async with session_factory(engine)() as session:
            kept = await session.scalar(select(Hold.settlement).where(Hold.generation_id == "gen-kept"))
        pending = await _written(engine, user_id)
        await writer.stop()
        written = await _written(engine, user_id)
        await engine.dispose()

        assert durable and waited < 2 and transactions == 1
        assert kept is not None and decode_settlement(kept) == settlement
        assert pending == (0, 0, 10**9)  # the batch has not run
        assert written == (1, 1, 10**9 - 1_000)

    run_async(scenario())


def test_a_database_outage_delays_answers_boundedly_and_loses_no_charge(database_url: str) -> None:
    async def scenario() -> tuple[bool, float, tuple[int, int, int], bool, tuple[int, int, int]]:
        engine, db, user_id = await _setup(database_url)
        writer = SettlementWriter(db, flush_seconds=0.01, max_batch=500, commit_wait_seconds=0.3)
        await writer.start()
        db.down = True
        committed = writer.submit(_settlement(user_id, "gen-outage", 2_000))
        began = time.perf_counter()
        in_time = await writer.wait(committed)
        waited = time.perf_counter() - began
        during = await _written(engine, user_id)
        db.down = False
        await asyncio.wait_for(committed, 5)  # the retry writes it
        after = await _written(engine, user_id)
        await writer.stop()
        await engine.dispose()
        return in_time, waited, during, committed.done(), after

    in_time, waited, during, done, after = run_async(scenario())
    assert not in_time and 0.25 < waited < 2
    assert during == (0, 0, 10**9)
    assert done and after == (1, 1, 10**9 - 2_000)


def test_without_a_commit_wait_settlements_go_in_batches_and_shutdown_writes_them(database_url: str) -> None:
    """`MODELYARD_WRITER_COMMIT_WAIT_SECONDS=0`: answers do not wait, charges are written every batch window,
    and a graceful stop writes what is queued."""

    async def scenario() -> tuple[bool, tuple[int, int, int], tuple[int, int, int]]:
        engine, db, user_id = await _setup(database_url)
        writer = SettlementWriter(db, flush_seconds=10, max_batch=500, commit_wait_seconds=0)
        await writer.start()
        futures = [writer.submit(_settlement(user_id, f"gen-later-{i}", 300)) for i in range(5)]
        waited = any([await writer.wait(f) for f in futures])
        queued = await _written(engine, user_id)
        await writer.stop()
        stopped = await _written(engine, user_id)
        await engine.dispose()
        return waited, queued, stopped

    waited, queued, stopped = run_async(scenario())
    assert not waited and queued == (0, 0, 10**9)
    assert stopped == (5, 5, 10**9 - 1_500)
