"""Property tests: money parsing and formatting round-trip exactly, costs follow the one rounding rule, and a
ledger's balances always equal the sums of their entries whatever the order and grouping of writes."""

from __future__ import annotations

import asyncio
import itertools
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from modelyard.billing import ledger
from modelyard.billing.pricing import Price, cost_nanos, max_cost_nanos
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.kit.money import (
    MAX_NANOS,
    nanos_to_usd_str,
    per_mtok_nanos_to_per_token_usd_str,
    per_token_usd_to_per_mtok_nanos,
    usd_to_nanos,
)
from modelyard.llm.usage import Usage
from modelyard.models import LedgerEntry, LedgerKind, User

nanos = st.integers(min_value=-MAX_NANOS, max_value=MAX_NANOS)
prices = st.integers(min_value=0, max_value=10**12)  # up to $1,000 per million tokens
tokens = st.integers(min_value=0, max_value=2_000_000)


@given(nanos)
def test_usd_strings_round_trip_exactly(amount: int) -> None:
    text = nanos_to_usd_str(amount)
    assert usd_to_nanos(text) == amount
    assert Decimal(text) * 10**9 == amount  # the string is the exact decimal value, no float in between


@given(st.integers(min_value=0, max_value=10**18))
def test_catalogue_prices_round_trip(per_mtok: int) -> None:
    assert per_token_usd_to_per_mtok_nanos(per_mtok_nanos_to_per_token_usd_str(per_mtok)) == per_mtok


@given(prices, prices, tokens, tokens, st.integers(min_value=0, max_value=10**9))
def test_cost_is_the_exact_sum_rounded_once(
    prompt_price: int, completion_price: int, prompt: int, completion: int, request_price: int
) -> None:
    price = Price(
        prompt_per_mtok_nanos=prompt_price,
        completion_per_mtok_nanos=completion_price,
        request_nanos=request_price,
    )
    exact = (Decimal(prompt) * prompt_price + Decimal(completion) * completion_price) / 10**6
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) + request_price
    assert cost_nanos(price, Usage(prompt, completion)) == expected
    # A reservation for the same (or more) tokens always covers the cost.
    assert max_cost_nanos(price, prompt, completion) >= expected


entries = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2), st.integers(min_value=-(10**12), max_value=10**12)),
    min_size=1,
    max_size=30,
)
_RUNS = itertools.count()
batch_sizes = st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries, batch_sizes=batch_sizes)
def test_balances_equal_the_sum_of_their_entries(
    database_url: str, entries: list[tuple[int, int]], batch_sizes: list[int]
) -> None:
    """Whatever entries are written, in whatever batches, every balance is the sum of its ledger, and every
    entry's balance_after is the running sum in write order."""

    async def scenario() -> None:
        engine = create_engine(database_url)
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            run = next(_RUNS)
            users = [User(email=f"prop-{run}-{i}@example.com", password_hash="x") for i in range(3)]
            session.add_all(users)
            await session.flush()
            user_ids = [u.id for u in users]
        pending = [ledger.Entry(user_ids[who], LedgerKind.ADJUSTMENT, amount) for who, amount in entries]
        sizes = iter(batch_sizes * len(pending))
        while pending:
            size = next(sizes)
            batch, pending = pending[:size], pending[size:]
            async with sessions() as session, session.begin():
                await ledger.append(session, batch)
        async with sessions() as session:
            for index, user_id in enumerate(user_ids):
                balance = await session.scalar(select(User.balance_nanos).where(User.id == user_id))
                written = (
                    await session.scalars(
                        select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.id)
                    )
                ).all()
                assert balance == sum(amount for who, amount in entries if who == index)
                running = 0
                for entry in written:
                    running += entry.amount_nanos
                    assert entry.balance_after_nanos == running
            assert await ledger.verify(session) == []
        await engine.dispose()

    asyncio.run(scenario())
