"""Two instances on one PostgreSQL and Redis, under load, one killed with SIGKILL mid-load: no lost charge, no
double charge, no lost request record (the figures in docs/deployment.md, "Several instances", come from this
test; run it with `-s` to see them).

An answer's last bytes leave only once its settlement is durable (relay/settlement.py): written with its
charge and record, or kept on its hold, which the sweep settles once the hold expires. So every answer a
client received in full is charged and recorded exactly once, after the sweep, even though its instance died
the next moment. The requests the kill cut off before they finished (the client sees a broken connection)
were never settled: their holds stay until they expire and are swept, which gives their credit back and
leaves each an "interrupted" record, not charged."""

from __future__ import annotations

import itertools
import secrets
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from modelyard.billing.holds import reconcile_keys_sync, sweep_sync
from modelyard.config import Settings
from modelyard.db.engine import create_engine
from modelyard.db.writes import create_writer
from modelyard.kit.clock import utcnow
from tests.conftest import (
    POSTGRES_URL,
    REDIS_URL,
    Cli,
    Env,
    Server,
    query,
    run_async,
)
from tests.fakes.openai_upstream import FakeOpenAIUpstream

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None or REDIS_URL is None,
    reason="several instances share PostgreSQL and Redis: needs MODELYARD_TEST_DATABASE_URL and "
    "MODELYARD_TEST_REDIS_URL",
)

EMAIL = "load@example.com"
START_USD = "100"
WORKERS = 12  # concurrent clients
BEFORE_KILL_SECONDS = 2.0
AFTER_KILL_SECONDS = 1.5
# ~40 ms per answer upstream: 8 tokens 5 ms apart (stream), or 40 ms before a whole answer (non-stream).
MODEL = "openai/gpt-4o-mini"
UPSTREAM_MODEL = "gpt-4o-mini-chunks-8-delay-5ms"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "count to eight"}]


@dataclass
class Outcome:
    instance: int
    stream: bool
    completed: bool  # the client received the whole answer (for a stream: the usage chunk and [DONE])
    generation_id: str | None = None
    cost_nanos: int | None = None
    error: str | None = None


def _usd_nanos(value: object) -> int:
    return int(Decimal(str(value)) * 10**9)


def _one_request(client: openai.OpenAI, instance: int, stream: bool) -> Outcome:
    outcome = Outcome(instance, stream, completed=False)
    try:
        if stream:
            chunks = client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
            for chunk in chunks:
                outcome.generation_id = chunk.id
                if chunk.usage is not None:
                    outcome.cost_nanos = _usd_nanos((chunk.usage.model_extra or {})["cost"])
            # The SDK stops at [DONE]; a connection cut before it raises instead.
            outcome.completed = outcome.cost_nanos is not None
        else:
            reply = client.chat.completions.create(model=MODEL, messages=MESSAGES)
            assert reply.usage is not None
            outcome.generation_id = reply.id
            outcome.cost_nanos = _usd_nanos((reply.usage.model_extra or {})["cost"])
            outcome.completed = True
    except openai.APIError as exc:  # connection errors included
        outcome.error = type(exc).__name__
    return outcome


def test_killing_an_instance_mid_load_loses_no_charge_and_no_record(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances share one PostgreSQL database; SQLite serves one machine")
    assert REDIS_URL is not None
    env = Env(
        tmp_path_factory.mktemp("data"),
        database_url,
        {"MODELYARD_REDIS_URL": REDIS_URL, "MODELYARD_SECRET_KEY": secrets.token_urlsafe(32),
         "MODELYARD_LOG_LEVEL": "warning",
         # Longer than the killed instance lives: none of its batches is written, so every answer it
         # delivered is charged by the sweep, from the settlement kept on its hold.
         "MODELYARD_WRITER_FLUSH_SECONDS": "5"},
    )  # fmt: skip
    cli = Cli(env)
    with FakeOpenAIUpstream(api_key="sk-upstream-test") as upstream:
        cli("db", "upgrade")
        cli(
            "channels", "add", "fake", "--provider", "openai", "--base-url", upstream.base_url,
            "--api-key", "sk-upstream-test", "--models", f"{MODEL}={UPSTREAM_MODEL}",
        )  # fmt: skip
        key = cli.create_user_with_key(EMAIL, START_USD)
        servers = [Server(env, tmp_path_factory.mktemp(f"server{i}") / "server.log") for i in range(2)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(Server.start, servers))
        try:
            outcomes, seconds = _drive(servers, key)
        finally:
            for server in servers:
                if server.process is not None and server.process.poll() is None:
                    server.stop()
        _check(env, outcomes, seconds)


def _drive(servers: list[Server], key: str) -> tuple[list[Outcome], float]:
    """WORKERS clients send to both instances in turn, streaming every other request; instance 0 is killed
    after BEFORE_KILL_SECONDS, then the clients go on with instance 1 alone."""
    clients = [
        openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=20)
        for server in servers
    ]
    live = [0, 1]
    turns = itertools.count()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + BEFORE_KILL_SECONDS + AFTER_KILL_SECONDS

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                turn = next(turns)
                instance = live[turn % len(live)]
            outcome = _one_request(clients[instance], instance, stream=turn // 2 % 2 == 0)
            with lock:
                outcomes.append(outcome)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _ in range(WORKERS):
            pool.submit(worker)
        time.sleep(BEFORE_KILL_SECONDS)
        victim = servers[0].process
        assert victim is not None
        victim.send_signal(signal.SIGKILL)
        with lock:
            live.remove(0)
        victim.wait()
    for client in clients:
        client.close()
    return outcomes, time.monotonic() - started


def _records(url: str, user_id: int) -> tuple[dict[str, tuple[str, int]], dict[str, list[int]]]:
    """(records: generation id -> (status, cost), usage charges: generation id -> amounts) of the user."""
    records = {
        row[0]: (row[1], int(row[2]))
        for row in query(url, "SELECT generation_id, status, cost_nanos FROM request_logs WHERE user_id = :u",
                         u=user_id)
    }  # fmt: skip
    usage = query(
        url,
        "SELECT generation_id, amount_nanos FROM ledger_entries WHERE user_id = :u AND kind = 'usage'",
        u=user_id,
    )
    charges: dict[str, list[int]] = {}
    for generation_id, amount in usage:
        charges.setdefault(generation_id, []).append(-int(amount))
    return records, charges


def _check(env: Env, outcomes: list[Outcome], seconds: float) -> None:
    url = env.database_url
    user_id = int(query(url, "SELECT id FROM users WHERE email = :e", e=EMAIL)[0][0])
    completed = [o for o in outcomes if o.completed]
    cut_off = [o for o in outcomes if not o.completed]
    assert all(o.error for o in cut_off)
    assert completed and cut_off, "the kill must land mid-load"
    # Instance 1 never failed: every error is instance 0's, cut off or refused by the kill.
    assert {o.instance for o in cut_off} == {0}
    assert any(o.instance == 0 for o in completed)
    completed_ids = {o.generation_id for o in completed}

    # Before the sweep: the killed instance's open holds. Those that carry a settlement are requests that
    # finished (their answer may have been delivered) before their batch was written.
    before, _ = _records(url, user_id)
    open_holds = {
        row[0]: bool(row[1])
        for row in query(url, "SELECT generation_id, settlement IS NOT NULL FROM holds WHERE user_id = :u",
                         u=user_id)
    }  # fmt: skip
    intents = {g for g, carried in open_holds.items() if carried}
    assert not set(open_holds) & set(before)
    # Every answer received in full is already charged and recorded, or carries its settlement on its hold.
    assert completed_ids <= set(before) | intents
    assert {o.generation_id for o in completed if o.instance == 0} <= intents
    _, held, _ = _money(url, user_id)

    # The killed instance's holds expire and are swept (upstream timeout + 60 s).
    swept = _sweep_as_if_expired(url)
    assert swept == len(open_holds)
    records, charges = _records(url, user_id)

    # (1) Every answer received in full has one record and one charge, at the cost the client was told.
    for outcome in completed:
        assert outcome.generation_id is not None and outcome.cost_nanos is not None
        assert records.get(outcome.generation_id) == ("success", outcome.cost_nanos), outcome
        assert charges.get(outcome.generation_id) == [outcome.cost_nanos], outcome
    # (2) No generation is charged twice, and every charge has its record.
    assert all(len(amounts) == 1 for amounts in charges.values())
    assert set(charges) <= set(records)

    # (3) The balance is the starting credit plus the ledger, and charges equal recorded costs.
    balance, held_after, ledger_sum = _money(url, user_id)
    charged = sum(sum(amounts) for amounts in charges.values())
    assert balance == ledger_sum == _usd_nanos(START_USD) - charged
    assert charged == sum(cost for _, cost in records.values())

    # (4) Settled records beyond the completed answers can only be requests whose client saw the connection
    # break (settled in the instant between their settlement's commit and the last bytes).
    interrupted = {g for g, (status, _) in records.items() if status == "error" and g in open_holds}
    extra = set(records) - completed_ids - interrupted
    assert len(extra) <= len(cut_off)

    # (5) Nothing stays held once the holds are swept, on the user or the key.
    key_held = int(query(url, "SELECT SUM(held_nanos) FROM api_keys WHERE user_id = :u", u=user_id)[0][0])
    assert (held_after, key_held) == (0, 0)

    # (6) A swept hold without a settlement leaves one "interrupted" record, charging nothing: every request
    # the kill cut off after its hold was written now has a record. A stream is matched by the generation id
    # its client saw; the others are counted. Only a request cut before its hold committed (so before
    # anything was sent upstream), or refused by the dead instance, leaves none.
    after = {
        row[0]: (row[1], row[2], int(row[3]), bool(row[4]))
        for row in query(url, "SELECT generation_id, status, error_type, cost_nanos, is_stream "
                         "FROM request_logs WHERE user_id = :u", u=user_id)
    }  # fmt: skip
    interrupted = {
        g for g, (status, error, _, _) in after.items() if (status, error) == ("error", "interrupted")
    }
    assert interrupted == set(open_holds) - intents
    assert intents <= set(after) and not intents & interrupted  # settled by the sweep, as they finished
    assert set(after) == set(before) | set(open_holds)
    assert all(after[g][2] == 0 for g in interrupted) and not interrupted & set(charges)
    seen_ids = {o.generation_id for o in cut_off if o.generation_id is not None}
    assert seen_ids <= set(after)
    assert all(after[g][3] for g in seen_ids & interrupted)  # recorded as the streams they were
    unseen = [o for o in cut_off if o.generation_id is None]
    recorded_unseen = set(after) - completed_ids - seen_ids
    assert len(recorded_unseen) <= len(unseen)
    left_nothing = len(unseen) - len(recorded_unseen)
    assert len(after) == len(outcomes) - left_nothing
    # The statistics count every record, with the ledger's charges.
    requests, errors, cost = query(
        url,
        "SELECT SUM(requests), SUM(errors), SUM(cost_nanos) FROM usage_hourly WHERE user_id = :u",
        u=user_id,
    )[0]
    failed = sum(status == "error" for status, _, _, _ in after.values())
    assert (int(requests), int(errors), int(cost)) == (len(after), failed, charged)

    sent = [sum(o.instance == i for o in outcomes) for i in (0, 1)]
    print(
        f"\nmulti-instance: {len(outcomes)} requests in {seconds:.1f} s with {WORKERS} clients "
        f"(sent to instance 0 / 1: {sent[0]} / {sent[1]}; streams: {sum(o.stream for o in outcomes)}); "
        f"completed {len(completed)}, cut off by the kill {len(cut_off)} "
        f"({sum(o.generation_id is not None for o in cut_off)} mid-stream); before the sweep "
        f"{len(before)} records, {held} nanos held in {len(open_holds)} holds, {len(intents)} of them "
        f"carrying a settlement ({len(intents & completed_ids)} of answers received in full); the sweep "
        f"settled those and recorded {len(interrupted)} as interrupted ({len(seen_ids & interrupted)} "
        f"matched to streams by id): {len(after)} records for {len(outcomes)} requests ({left_nothing} left "
        f"nothing), usage charges {len(charges)}, charged twice 0, held after the sweep {held_after}"
    )


def _money(url: str, user_id: int) -> tuple[int, int, int]:
    """(balance, held, sum of the ledger) of the user."""
    balance, held = query(url, "SELECT balance_nanos, held_nanos FROM users WHERE id = :u", u=user_id)[0]
    total = query(url, "SELECT SUM(amount_nanos) FROM ledger_entries WHERE user_id = :u", u=user_id)[0][0]
    return int(balance), int(held), int(total)


def _sweep_as_if_expired(url: str) -> int:
    """Runs the periodic sweep as it will run once the killed instance's holds have expired (their expiry is
    the upstream timeout plus 60 s; no request is in flight any more)."""
    ttl = timedelta(seconds=Settings().upstream_total_timeout_seconds + 61)

    async def sweep() -> int:
        engine = create_engine(url)
        writer = create_writer(url, engine)
        try:
            swept = await writer.run(partial(sweep_sync, now=utcnow() + ttl))
            await writer.run(reconcile_keys_sync)
            return swept
        finally:
            await writer.close()
            await engine.dispose()

    return run_async(sweep())
