"""Holds against a real database: no overspend, one release per hold, crashed requests' credit comes back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from modelyard.billing import ledger
from modelyard.billing.holds import Holds, release_sync
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.db.writes import create_writer
from modelyard.kit.clock import utcnow
from modelyard.models import Hold, LedgerKind, User
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


def test_expired_holds_of_a_crashed_process_are_swept(database_url: str) -> None:
    async def scenario() -> tuple[int, int, int, bool]:
        engine, user_id = await _setup(database_url, 900)
        sessions = session_factory(engine)
        holds = Holds(sessions, create_writer(database_url, engine), ttl_seconds=60)
        assert await holds.place(user_id, 400, "gen-live")
        # What a process that died mid-request leaves behind: a hold past its expiry.
        async with sessions() as session, session.begin():
            now = utcnow()
            await session.execute(
                insert(Hold),
                [{"user_id": user_id, "generation_id": "gen-dead", "amount_nanos": 300,
                  "created_at": now - timedelta(hours=1), "expires_at": now - timedelta(minutes=1)}],
            )  # fmt: skip
            user = await session.get(User, user_id)
            assert user is not None
            user.held_nanos += 300
        assert not await holds.place(user_id, 300, "gen-refused")  # 900 - 400 - 300 leaves 200
        swept = await holds.sweep()
        again = await holds.sweep()
        placed = await holds.place(user_id, 300, "gen-after")
        spendable = await holds.spendable_nanos(user_id)
        await engine.dispose()
        return swept, again, spendable, placed

    swept, again, spendable, placed = run_async(scenario())
    assert (swept, again) == (1, 0)
    assert placed and spendable == 900 - 400 - 300


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
