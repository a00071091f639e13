"""Holds against a real database: no overspend, one release per hold, crashed requests' credit comes back and
their records are written; a finished request whose process died before its batch is charged by the sweep."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from modelyard.billing import ledger
from modelyard.billing.holds import HeldRequest, Holds, decode_settlement, note_settlements_sync, release_sync
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.db.writes import create_writer
from modelyard.kit.clock import utcnow
from modelyard.models import (
    ApiKey,
    AppUsageHourly,
    Hold,
    LedgerEntry,
    LedgerKind,
    ModelStatsDaily,
    RequestLog,
    UsageHourly,
    User,
)
from modelyard.relay.settlement import Settlement, SettlementWriter
from tests.conftest import run_async


async def _setup(database_url: str, balance_nanos: int) -> tuple[AsyncEngine, int]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        user = User(email=f"holds-{utcnow().timestamp()}@example.com", password_hash="x", balance_nanos=0)
        session.add(user)
        await session.flush()
        await ledger.append(session, [ledger.Entry(user.id, LedgerKind.TOPUP, balance_nanos)])
        user_id = user.id
    return engine, user_id


def test_concurrent_holds_never_exceed_the_balance(database_url: str) -> None:
    async def scenario() -> tuple[list[bool], int, int]:
        engine, user_id = await _setup(database_url, 1_000)
        holds = Holds(session_factory(engine), create_writer(database_url, engine), ttl_seconds=60)
        # 25 requests of 70 nanos at once: 14 fit in 1,000 (980), the 15th would not.
        results = await asyncio.gather(*(holds.place(user_id, 70, f"gen-h{i}") for i in range(25)))
        async with session_factory(engine)() as session:
            query = select(User.balance_nanos, User.held_nanos).where(User.id == user_id)
            balance, held = (await session.execute(query)).one()
        await engine.dispose()
        return list(results), balance, held

    results, balance, held = run_async(scenario())
    assert results.count(True) == 14
    assert (balance, held) == (1_000, 980)


def test_release_gives_credit_back_once(database_url: str) -> None:
    async def scenario() -> tuple[set[str], set[str], int]:
        engine, user_id = await _setup(database_url, 500)
        sessions = session_factory(engine)
        holds = Holds(sessions, create_writer(database_url, engine), ttl_seconds=60)
        assert await holds.place(user_id, 300, "gen-once")
        writer = create_writer(database_url, engine)
        first = await writer.run(partial(release_sync, generation_ids=["gen-once"]))
        second = await writer.run(partial(release_sync, generation_ids=["gen-once"]))
        spendable = await holds.spendable_nanos(user_id)
        await engine.dispose()
        return first, second, spendable

    first, second, spendable = run_async(scenario())
    assert first == {"gen-once"} and second == set()
    assert spendable == 500


# What the relay keeps on a request's hold for its record.
REQUEST = HeldRequest(
    api_key_id=7, model_slug="openai/gpt-4o", is_stream=True, requested_model="openai/gpt-4o:floor",
    api_type="chat", app_referer="https://app.example", app_title="Example App",
)  # fmt: skip


async def _rollups(
    engine: AsyncEngine, user_id: int, request: HeldRequest
) -> dict[str, list[tuple[Any, ...]]]:
    """The rollup rows the user's records of the request's model and app feed (each test uses its own)."""
    async with session_factory(engine)() as session:
        usage = await session.execute(
            select(UsageHourly.api_key_id, UsageHourly.model_slug, UsageHourly.provider, UsageHourly.requests,
                   UsageHourly.errors, UsageHourly.prompt_tokens, UsageHourly.cost_nanos)
            .where(UsageHourly.user_id == user_id)
        )  # fmt: skip
        models = await session.execute(
            select(ModelStatsDaily.model_slug, ModelStatsDaily.provider, ModelStatsDaily.requests,
                   ModelStatsDaily.errors, ModelStatsDaily.completion_tokens)
            .where(ModelStatsDaily.model_slug == request.model_slug)
        )  # fmt: skip
        apps = await session.execute(
            select(AppUsageHourly.app, AppUsageHourly.requests).where(
                AppUsageHourly.app == request.app_referer
            )
        )
        return {
            "usage": [tuple(row) for row in usage],
            "models": [tuple(row) for row in models],
            "apps": [tuple(row) for row in apps],
        }


async def _money(engine: AsyncEngine, user_id: int) -> tuple[int, int, int, list[tuple[str | None, int]]]:
    """(balance, held, sum of the ledger, usage entries as (generation id, amount))."""
    async with session_factory(engine)() as session:
        balance, held = (
            await session.execute(select(User.balance_nanos, User.held_nanos).where(User.id == user_id))
        ).one()
        total = await session.scalar(
            select(func.sum(LedgerEntry.amount_nanos)).where(LedgerEntry.user_id == user_id)
        )
        usage = await session.execute(
            select(LedgerEntry.generation_id, LedgerEntry.amount_nanos).where(
                LedgerEntry.user_id == user_id, LedgerEntry.kind == LedgerKind.USAGE
            )
        )
        return int(balance), int(held), int(total or 0), [tuple(row) for row in usage]


def test_expired_holds_of_a_crashed_process_are_swept_and_recorded_as_interrupted(database_url: str) -> None:
    async def scenario() -> None:
        engine, user_id = await _setup(database_url, 900)
        sessions = session_factory(engine)
        holds = Holds(sessions, create_writer(database_url, engine), ttl_seconds=60)
        # Another instance, on which the request's process will die: its holds have expired once placed.
        crashed = Holds(sessions, create_writer(database_url, engine), ttl_seconds=-1)
        assert await holds.place(user_id, 400, "gen-live", request=REQUEST)
        before = utcnow()
        assert await crashed.place(user_id, 300, "gen-dead", request=REQUEST)
        after = utcnow()
        assert not await holds.place(user_id, 300, "gen-refused")  # 900 - 400 - 300 leaves 200
        # Both instances sweep at once: one of them takes the expired hold, and records it once.
        swept = sorted(await asyncio.gather(holds.sweep(), crashed.sweep()))
        again = await holds.sweep()
        placed = await holds.place(user_id, 300, "gen-after")
        spendable = await holds.spendable_nanos(user_id)
        async with sessions() as session:
            records = (await session.scalars(select(RequestLog).where(RequestLog.user_id == user_id))).all()
        money = await _money(engine, user_id)
        rolled = await _rollups(engine, user_id, REQUEST)
        await engine.dispose()

        assert (swept, again) == ([0, 1], 0)
        assert placed and spendable == 900 - 400 - 300
        [record] = records
        assert (
            record.generation_id, record.user_id, record.api_key_id, record.model_slug,
            record.requested_model, record.api_type, record.is_stream, record.app_referer, record.app_title,
        ) == (
            "gen-dead", user_id, 7, "openai/gpt-4o", "openai/gpt-4o:floor", "chat", True,
            "https://app.example", "Example App",
        )  # fmt: skip
        assert before <= record.created_at <= after
        assert (record.status, record.error_type, record.cost_nanos) == ("error", "interrupted", 0)
        assert record.error_message and "stopped before it finished" in record.error_message
        assert (record.prompt_tokens, record.completion_tokens) == (None, None)
        # Nothing charged: no usage entry, and the balance is still the sum of the ledger.
        assert money == (900, 400 + 300, 900, [])
        # Counted as a failed request, with no tokens and no cost.
        assert rolled == {
            "usage": [(7, "openai/gpt-4o", "", 1, 1, 0, 0)],
            "models": [("openai/gpt-4o", "", 1, 1, 0)],
            "apps": [("https://app.example", 1)],
        }

    run_async(scenario())


def test_a_settlement_after_its_hold_was_swept_replaces_the_interrupted_record(database_url: str) -> None:
    """A request that outlived its hold (slow attempts, or a database outage that kept its settlement
    queued) settles after the sweep recorded it as interrupted: it ends with one record, the real one, and
    one charge."""
    request = replace(REQUEST, model_slug="openai/gpt-4o-mini", app_referer="https://slow.example")

    async def scenario() -> None:
        engine, user_id = await _setup(database_url, 900)
        sessions = session_factory(engine)
        db = create_writer(database_url, engine)
        assert await Holds(sessions, db, ttl_seconds=-1).place(user_id, 300, "gen-slow", request=request)
        assert await Holds(sessions, db, ttl_seconds=60).sweep() == 1
        writer = SettlementWriter(db, flush_seconds=10, max_batch=500)
        record: dict[str, Any] = {
            "generation_id": "gen-slow", "user_id": user_id, "api_key_id": 7,
            "model_slug": request.model_slug, "provider": "fake", "is_stream": True, "status": "success",
            "http_status": 200, "prompt_tokens": 10, "completion_tokens": 5, "cost_nanos": 120,
            "latency_ms": 900, "ttft_ms": 100,
            "app_referer": request.app_referer, "app_title": "Example App", "created_at": utcnow(),
        }  # fmt: skip
        writer.submit(Settlement(user_id=user_id, cost_nanos=120, request_log=record))
        await writer.flush()
        async with sessions() as session:
            records = (
                await session.execute(
                    select(RequestLog.generation_id, RequestLog.status, RequestLog.cost_nanos).where(
                        RequestLog.user_id == user_id
                    )
                )
            ).all()
        money = await _money(engine, user_id)
        rolled = await _rollups(engine, user_id, request)
        await engine.dispose()

        assert [tuple(r) for r in records] == [("gen-slow", "success", 120)]
        # The hold was given back once (by the sweep), the cost charged once.
        assert money == (780, 0, 780, [("gen-slow", -120)])
        # The interrupted record's counts are gone with it; its empty rollup rows too.
        assert rolled == {
            "usage": [(7, "openai/gpt-4o-mini", "fake", 1, 0, 10, 120)],
            "models": [("openai/gpt-4o-mini", "fake", 1, 0, 5)],
            "apps": [("https://slow.example", 1)],
        }

    run_async(scenario())


def test_a_finished_request_whose_process_died_is_charged_by_the_sweep_once(database_url: str) -> None:
    """The answer went out once its settlement was kept on its hold; the process died before its batch was
    written. Two instances sweeping at once charge it and record it once, with its key's limit accounted;
    the batch written late (the process was only stalled) charges nothing again."""
    request = replace(REQUEST, model_slug="openai/gpt-4.1", app_referer="https://died.example")

    async def scenario() -> None:
        engine, user_id = await _setup(database_url, 900)
        sessions = session_factory(engine)
        db = create_writer(database_url, engine)
        async with sessions() as session, session.begin():
            key = ApiKey(user_id=user_id, name="limited", key_hash=f"h-{utcnow().timestamp()}", label="l",
                         limit_nanos=10_000)  # fmt: skip
            session.add(key)
            await session.flush()
            key_id = key.id
        # Placed by the instance that dies: expired as soon as placed.
        assert await Holds(sessions, db, ttl_seconds=-1).place(user_id, 300, "gen-died", key_id, request)
        record: dict[str, Any] = {
            "generation_id": "gen-died", "user_id": user_id, "api_key_id": 7,
            "model_slug": request.model_slug, "provider": "fake", "is_stream": True, "status": "success",
            "http_status": 200, "prompt_tokens": 10, "completion_tokens": 5, "cost_nanos": 120,
            "latency_ms": 900, "ttft_ms": 100, "attempts": [{"channel": "fake", "status": 200}],
            "app_referer": request.app_referer, "app_title": "Example App", "created_at": utcnow(),
        }  # fmt: skip
        settlement = Settlement(
            user_id=user_id, cost_nanos=120, request_log=record, key_id=key_id, key_held_nanos=300
        )
        writer = SettlementWriter(db, flush_seconds=3600, max_batch=500, commit_wait_seconds=5)
        await writer.start()
        assert await writer.wait(writer.submit(settlement))  # durable: the answer's last bytes may leave
        # The process dies here. Two instances sweep at once.
        first = Holds(sessions, create_writer(database_url, engine), ttl_seconds=60)
        second = Holds(sessions, create_writer(database_url, engine), ttl_seconds=60)
        swept = sorted(await asyncio.gather(first.sweep(), second.sweep()))
        swept_money = await _money(engine, user_id)
        await writer.stop()  # the stalled process's batch, written after the sweep
        async with sessions() as session:
            records = (await session.scalars(select(RequestLog).where(RequestLog.user_id == user_id))).all()
            key_row = (
                await session.execute(
                    select(ApiKey.held_nanos, ApiKey.window_spent_nanos).where(ApiKey.id == key_id)
                )
            ).one()
        money = await _money(engine, user_id)
        rolled = await _rollups(engine, user_id, request)
        await engine.dispose()

        assert swept == [0, 1]
        # Charged once, by the sweep; the late batch added nothing; the balance is the sum of the ledger.
        assert swept_money == money == (780, 0, 780, [("gen-died", -120)])
        [written] = records
        assert {name: getattr(written, name) for name in record} == record  # the record it carried, exactly
        # The key's hold given back once, the charge in its window once.
        assert tuple(key_row) == (0, 120)
        assert rolled == {
            "usage": [(7, "openai/gpt-4.1", "fake", 1, 0, 10, 120)],
            "models": [("openai/gpt-4.1", "fake", 1, 0, 5)],
            "apps": [("https://died.example", 1)],
        }

    run_async(scenario())


def test_intents_written_together_report_exactly_the_holds_that_kept_them(database_url: str) -> None:
    """Several intents in one statement: each kept on its own hold, exactly; one whose hold is gone is
    reported as not kept (its answer then waits for the batch)."""

    async def scenario() -> None:
        engine, user_id = await _setup(database_url, 900)
        sessions = session_factory(engine)
        db = create_writer(database_url, engine)
        holds = Holds(sessions, db, ttl_seconds=60)
        for generation_id in ("gen-a", "gen-b", "gen-c"):
            assert await holds.place(user_id, 100, generation_id, None, REQUEST)
        await db.run(partial(release_sync, generation_ids=["gen-b"]))  # settled meanwhile
        settlements = [
            Settlement(
                user_id=user_id,
                cost_nanos=cost,
                request_log={"generation_id": generation_id, "user_id": user_id, "created_at": utcnow()},
            )
            for generation_id, cost in (("gen-a", 11), ("gen-b", 22), ("gen-c", 33))
        ]
        noted = await db.run(partial(note_settlements_sync, settlements=settlements))
        async with sessions() as session:
            rows = (await session.execute(select(Hold.generation_id, Hold.settlement))).all()
            kept = {generation_id: text for generation_id, text in rows}
        await engine.dispose()

        assert noted == {"gen-a", "gen-c"}
        assert {g: decode_settlement(text) for g, text in kept.items() if text} == {
            "gen-a": settlements[0],
            "gen-c": settlements[2],
        }

    run_async(scenario())


@pytest.mark.parametrize("amount", [Decimal("0.000000001"), Decimal("12.5")])
def test_a_hold_needs_the_whole_amount(database_url: str, amount: Decimal) -> None:
    nanos = int(amount * 10**9)

    async def scenario() -> tuple[bool, bool]:
        engine, user_id = await _setup(database_url, nanos)
        holds = Holds(session_factory(engine), create_writer(database_url, engine), ttl_seconds=60)
        too_much = await holds.place(user_id, nanos + 1, f"gen-big-{nanos}")
        exact = await holds.place(user_id, nanos, f"gen-exact-{nanos}")
        await engine.dispose()
        return too_much, exact

    assert run_async(scenario()) == (False, True)
