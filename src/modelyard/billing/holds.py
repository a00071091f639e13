"""Holds: credit reserved in the database before an upstream is called, so that no number of concurrent
requests, in any number of server processes, can spend more than a balance.

A hold is one conditional update (`... SET held = held + x WHERE balance - held >= x`) plus a row that lets a
hold orphaned by a crash expire. Concurrent requests are written together (group commit): while one
transaction is in flight the next requests queue, and all of them go in the next transaction, so the database
sees one short transaction per burst instead of one per request, and a lone request waits for nobody.
Holds are released (and the real cost charged) by the settlement writer, in the same transaction as the
charge (`settle_sync`). Before that, as soon as a request finishes, its settlement is kept on its hold
(`note_settlements_sync`, one statement; the answer's last bytes wait for it): the sweep settles an expired
hold that carries one with the same code, so a request whose process died after answering is still charged
and recorded, once.

A hold also carries what the request's record needs (`HeldRequest`: key, model, stream flag, app), so that
a request its process never settled (a crash; the client saw a broken connection) is not lost: the sweep
that releases its expired hold writes, in the same transaction, its record with status "error" and error
type "interrupted", no tokens, no cost and no ledger entry, folded into the rollups like any failed request.
`DELETE ... RETURNING` gives each expired hold to one sweeper, so it is recorded once. A request that was
still running (several slow attempts can outlast the expiry) or whose settlement waited for a database
that was down settles after its hold was swept: `release_sync` then takes the interrupted record back (and
out of the rollups), and the settlement writes the real one, so a generation has one record.

An API key with a credit limit (`api_keys.limit_nanos`, per UTC day, ISO week, calendar month or for ever)
is held the same way, in the same transaction: a conditional update of the key's row that starts a new
window when the current one began after `window_started_at`, and succeeds only if the window's spend plus
the key's open holds plus this hold stay within the limit (`window_spent + held + x <= limit`). A request
whose key hold fails gets no user hold either. Keys without a limit add no statement. Settlement gives the
key's hold back and adds the charge to the window's spend (`settle_keys_sync`). The `holds` table does not
record whether the key's limit was held, so a crashed process's key holds cannot be swept with the user's:
`reconcile_keys_sync` clears the held amount of keys whose owner has no open hold left.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, delete, exists, insert, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.activity import rollups
from modelyard.billing import alerts, ledger
from modelyard.db.base import UTCDateTime
from modelyard.db.writes import Writer
from modelyard.kit.clock import utcnow
from modelyard.models import ApiKey, Hold, LedgerKind, RequestLog, User

log = logging.getLogger(__name__)

# How often a key's credit limit starts again (UTC; weeks from Monday); None = never (for ever).
LIMIT_RESETS = ("daily", "weekly", "monthly")
# The one window of a limit that never resets.
FOREVER_WINDOW_START = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(reset: str | None, now: datetime) -> datetime:
    """When the window of a key's credit limit that contains `now` began."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if reset == "daily":
        return day
    if reset == "weekly":
        return day - timedelta(days=day.weekday())
    if reset == "monthly":
        return day.replace(day=1)
    return FOREVER_WINDOW_START


def window_spent_nanos(
    reset: str | None, started_at: datetime | None, spent_nanos: int, now: datetime
) -> int:
    """The spend of the current window, as stored: nothing if the stored window is an older one."""
    if started_at is None or started_at < window_start(reset, now):
        return 0
    return spent_nanos


# The record the sweep leaves for a request whose process stopped before settling it.
INTERRUPTED = "interrupted"  # request_logs.error_type
INTERRUPTED_MESSAGE = "The server handling this request stopped before it finished; nothing was charged."
INTERRUPTED_HTTP_STATUS = 500


@dataclass(frozen=True, slots=True)
class HeldRequest:
    """What a request's record needs, kept on its hold in case its process dies before settling it (values
    as the record stores them: already clipped to the columns)."""

    api_key_id: int
    model_slug: str
    is_stream: bool
    requested_model: str | None = None
    api_type: str | None = None
    app_referer: str | None = None
    app_title: str | None = None


_REQUEST_COLUMNS = (
    "api_key_id", "model_slug", "is_stream", "requested_model", "api_type", "app_referer", "app_title",
)  # fmt: skip
_NO_REQUEST = dict.fromkeys(_REQUEST_COLUMNS)


def _request_values(request: HeldRequest | None) -> dict[str, Any]:
    if request is None:
        return _NO_REQUEST
    return {name: getattr(request, name) for name in _REQUEST_COLUMNS}


class HoldOutcome(enum.Enum):
    PLACED = "placed"
    NO_CREDIT = "no_credit"  # the user's balance minus open holds does not cover it
    KEY_LIMIT = "key_limit"  # the key's credit limit does not


@dataclass(slots=True)
class _Pending:
    user_id: int
    amount_nanos: int
    generation_id: str
    key_id: int | None
    request: HeldRequest | None
    future: asyncio.Future[HoldOutcome]


class Holds:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: Writer, ttl_seconds: float
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._ttl = timedelta(seconds=ttl_seconds)
        self._pending: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def place(
        self,
        user_id: int,
        amount_nanos: int,
        generation_id: str,
        key_id: int | None = None,
        request: HeldRequest | None = None,
    ) -> bool:
        """Reserves the amount if the user's balance minus open holds covers it (a request that can cost
        nothing still needs a balance that is not negative), and the key's credit limit when `key_id` is
        given. `request`: what the sweep records if the hold expires unsettled (None: no record)."""
        outcome = await self.reserve(user_id, amount_nanos, generation_id, key_id, request)
        return outcome is HoldOutcome.PLACED

    async def reserve(
        self,
        user_id: int,
        amount_nanos: int,
        generation_id: str,
        key_id: int | None = None,
        request: HeldRequest | None = None,
    ) -> HoldOutcome:
        """As `place`, telling which limit refused. Pass `key_id` only for a key with a credit limit: the
        others add no statement to the transaction."""
        future: asyncio.Future[HoldOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(user_id, amount_nanos, generation_id, key_id, request, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="holds")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            requests = [(item.user_id, item.amount_nanos, item.generation_id) for item in batch]
            key_ids = [item.key_id for item in batch]
            held = [item.request for item in batch]
            now = utcnow()
            try:
                outcomes = await self._writer.run(
                    partial(
                        place_sync,
                        requests=requests,
                        now=now,
                        ttl=self._ttl,
                        key_ids=key_ids if any(k is not None for k in key_ids) else None,
                        held=held,
                    )
                )
            except Exception as exc:
                log.exception("placing holds failed")
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            abandoned: list[_Pending] = []
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():  # the request was cancelled while its hold was being written
                    if outcome is HoldOutcome.PLACED:
                        abandoned.append(item)
                else:
                    item.future.set_result(outcome)
            if abandoned:
                await self._writer.run(partial(_release_abandoned, abandoned=abandoned, now=utcnow()))

    async def sweep(self) -> int:
        """Gives back the credit of holds whose request never settled (a crashed process) and records those
        requests as interrupted. Each expired hold is deleted exactly once, even with several processes
        sweeping."""
        swept = await self._writer.run(partial(sweep_sync, now=utcnow()))
        if swept:
            log.warning("released %d expired holds", swept)
        # Its own transaction: it locks keys, and every writer locks keys before users.
        cleared = await self._writer.run(reconcile_keys_sync)
        if cleared:
            log.warning("cleared the held credit of %d keys with no request in flight", cleared)
        return swept

    async def spendable_nanos(self, user_id: int) -> int:
        async with self._sessions() as session:
            query = select(User.balance_nanos, User.held_nanos).where(User.id == user_id)
            row = (await session.execute(query)).first()
        return 0 if row is None else int(row[0] - row[1])


def place_sync(
    connection: Connection,
    requests: list[tuple[int, int, str]],
    now: datetime,
    ttl: timedelta,
    key_ids: Sequence[int | None] | None = None,
    held: Sequence[HeldRequest | None] | None = None,
) -> list[HoldOutcome]:
    """Places each (user, amount, generation id) hold that fits, and first, for a request with a key id
    (`key_ids`, parallel to `requests`), the hold on that key's credit limit. `held` (parallel too) is what
    each hold keeps for the request's record. A user's (or key's) holds in one batch are tried together
    first (one statement), one by one only if together they do not fit. Rows are locked keys first, then
    users, each in id order, in every writer: no deadlocks on PostgreSQL."""
    outcomes = [HoldOutcome.NO_CREDIT] * len(requests)
    key_held = [False] * len(requests)
    if key_ids is not None:
        by_key: dict[int, list[int]] = defaultdict(list)
        for index, key_id in enumerate(key_ids):
            if key_id is not None:
                by_key[key_id].append(index)
        for key_id in sorted(by_key):
            _try_together(by_key[key_id], key_held, partial(_hold_key, connection, key_id, now=now), requests)
        for index, key_id in enumerate(key_ids):
            if key_id is not None and not key_held[index]:
                outcomes[index] = HoldOutcome.KEY_LIMIT
    by_user: dict[int, list[int]] = defaultdict(list)
    for index, (user_id, _, _) in enumerate(requests):
        if outcomes[index] is not HoldOutcome.KEY_LIMIT:
            by_user[user_id].append(index)
    placed = [False] * len(requests)
    for user_id in sorted(by_user):
        _try_together(by_user[user_id], placed, partial(_hold, connection, user_id), requests)
    rows = []
    refused_keys: list[tuple[int, int]] = []
    for index, ((user_id, amount, generation_id), is_placed) in enumerate(zip(requests, placed, strict=True)):
        if is_placed:
            outcomes[index] = HoldOutcome.PLACED
            rows.append(
                {"user_id": user_id, "generation_id": generation_id, "amount_nanos": amount,
                 "created_at": now, "expires_at": now + ttl,
                 **_request_values(held[index] if held is not None else None)}
            )  # fmt: skip
        elif key_held[index]:
            assert key_ids is not None
            key_id = key_ids[index]
            assert key_id is not None
            refused_keys.append((key_id, amount))  # the key had room, the user's balance had not
    if refused_keys:
        settle_keys_sync(connection, [(k, a, 0) for k, a in refused_keys], now)
    if rows:
        connection.execute(insert(Hold), rows)
    return outcomes


def _try_together(
    indices: list[int],
    placed: list[bool],
    hold: Callable[[int], bool],
    requests: list[tuple[int, int, str]],
) -> None:
    """One row's holds in a batch: all in one statement if together they fit, else one by one."""
    if len(indices) > 1 and hold(sum(requests[i][1] for i in indices)):
        for index in indices:
            placed[index] = True
        return
    for index in indices:
        placed[index] = hold(requests[index][1])


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


def _window_start_sql(now: datetime) -> ColumnElement[datetime]:
    """The start of the window containing `now` for each key's own `limit_reset` (as stored now, so a
    change made since a server cached the key is still honoured)."""
    return case(
        *(
            (ApiKey.limit_reset == reset, literal(window_start(reset, now), UTCDateTime()))
            for reset in LIMIT_RESETS
        ),
        else_=literal(FOREVER_WINDOW_START, UTCDateTime()),
    )


def _window_values(now: datetime, charged_nanos: int | None) -> dict[str, Any]:
    """SET values that start a new window when the stored one is over; `charged_nanos` (None: nothing to
    add) joins the current window's spend."""
    start = _window_start_sql(now)
    stale = or_(ApiKey.window_started_at.is_(None), ApiKey.window_started_at < start)
    spent = ApiKey.window_spent_nanos + charged_nanos if charged_nanos else ApiKey.window_spent_nanos
    return {
        "window_started_at": case((stale, start), else_=ApiKey.window_started_at),
        "window_spent_nanos": case((stale, charged_nanos or 0), else_=spent),
    }


def _hold_key(connection: Connection, key_id: int, amount_nanos: int, *, now: datetime) -> bool:
    """Holds `amount_nanos` on the key's credit limit if the window's spend, the key's open holds and this
    hold stay within it. A key whose limit was removed since it was cached still takes the hold (it is
    released at settlement like any other)."""
    start = _window_start_sql(now)
    stale = or_(ApiKey.window_started_at.is_(None), ApiKey.window_started_at < start)
    spent = case((stale, 0), else_=ApiKey.window_spent_nanos)
    held = connection.scalar(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(
                ApiKey.limit_nanos.is_(None),
                spent + ApiKey.held_nanos + amount_nanos <= ApiKey.limit_nanos,
            ),
        )
        .values(held_nanos=ApiKey.held_nanos + amount_nanos, **_window_values(now, None))
        .returning(ApiKey.id)
    )
    return held is not None


def settle_keys_sync(connection: Connection, settled: Iterable[tuple[int, int, int]], now: datetime) -> None:
    """For each (key id, held amount to give back, cost to charge): releases the key's hold and adds the
    cost to the current window's spend (a new window starts with it). Call it before any user row is
    locked in the transaction. A key deleted meanwhile is skipped; a held amount already cleared by
    `reconcile_keys_sync` is not given back twice (held never goes below 0)."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for key_id, released, charged in settled:
        totals[key_id][0] += released
        totals[key_id][1] += charged
    for key_id in sorted(totals):
        released, charged = totals[key_id]
        connection.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(
                held_nanos=case((ApiKey.held_nanos >= released, ApiKey.held_nanos - released), else_=0),
                **_window_values(now, charged),
            )
        )


def reconcile_keys_sync(connection: Connection) -> int:
    """Clears the held amount of keys whose owner has no open hold: what a crashed process held on them
    (its user holds are swept when they expire, but the holds table does not say which key they were on).
    On PostgreSQL the keys are locked first, so the check sees every hold committed before the lock and a
    placement after it waits: no live hold is cleared. Returns how many keys were cleared."""
    no_hold = ~exists().where(Hold.user_id == ApiKey.user_id)
    idle = [ApiKey.held_nanos != 0, no_hold]
    if connection.dialect.name == "postgresql":
        candidates = list(connection.scalars(select(ApiKey.id).where(*idle)))
        if not candidates:
            return 0
        connection.execute(
            select(ApiKey.id).where(ApiKey.id.in_(candidates)).order_by(ApiKey.id).with_for_update()
        )
        idle.append(ApiKey.id.in_(candidates))
    # (SQLite runs one write transaction at a time: the statement alone is enough.)
    result = connection.execute(update(ApiKey).where(*idle).values(held_nanos=0))
    return int(result.rowcount or 0)


def _release_abandoned(connection: Connection, abandoned: list[_Pending], now: datetime) -> None:
    settle_keys_sync(
        connection, [(p.key_id, p.amount_nanos, 0) for p in abandoned if p.key_id is not None], now
    )
    release_sync(connection, [p.generation_id for p in abandoned])


def release_sync(connection: Connection, generation_ids: list[str]) -> set[str]:
    """Deletes these requests' holds and gives their credit back, in the caller's transaction. Returns the
    generation ids that still had a hold (one already swept is not released twice), and takes back the
    interrupted record the sweep left for the others."""
    released = _take_holds(connection, generation_ids)
    _unhold(connection, list(released.values()))
    swept = [generation_id for generation_id in generation_ids if generation_id not in released]
    if swept:
        _withdraw_interrupted(connection, swept)
    return set(released)


def _take_holds(connection: Connection, generation_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Deletes these requests' holds; returns (user id, amount) by generation id of those that were there."""
    if not generation_ids:
        return {}
    rows = connection.execute(
        delete(Hold)
        .where(Hold.generation_id.in_(generation_ids))
        .returning(Hold.generation_id, Hold.user_id, Hold.amount_nanos)
    ).all()
    return {generation_id: (user_id, amount) for generation_id, user_id, amount in rows}


def _withdraw_interrupted(connection: Connection, swept: list[str]) -> set[str]:
    """For requests whose hold was swept: deletes the interrupted records the sweep wrote (and takes them out
    of the rollups), so that the real ones replace them. Returns those that already have a real record (the
    sweep settled them from the settlement kept on their hold)."""
    # On PostgreSQL the sweep that deleted such a hold had committed before the DELETE of the hold returned
    # (it waited for the row's lock), so its record is visible to these statements.
    withdrawn = connection.execute(
        delete(RequestLog)
        .where(RequestLog.generation_id.in_(swept), RequestLog.error_type == INTERRUPTED)
        .returning(*(RequestLog.__table__.c[name] for name in _ROLLUP_FIELDS))
    ).mappings()
    rollups.unfold_sync(connection, [dict(row) for row in withdrawn])
    return set(
        connection.scalars(select(RequestLog.generation_id).where(RequestLog.generation_id.in_(swept)))
    )


def sweep_sync(connection: Connection, now: datetime) -> int:
    """Deletes the expired holds and gives their credit back, in the caller's transaction. A hold that carries
    its request's settlement (the request finished, its process died before writing the batch) is settled:
    charged, recorded and folded into the rollups as the writer would have. The others are recorded as
    interrupted (no tokens, no cost, no ledger entry). Returns how many were swept."""
    rows = connection.execute(
        delete(Hold)
        .where(Hold.expires_at < now)
        .returning(
            Hold.user_id, Hold.amount_nanos, Hold.generation_id, Hold.created_at, Hold.settlement,
            *(Hold.__table__.c[name] for name in _REQUEST_COLUMNS),
        )
    ).mappings().all()  # fmt: skip
    settled = [decode_settlement(row["settlement"]) for row in rows if row["settlement"] is not None]
    interrupted = [
        _interrupted_record(row)
        for row in rows
        if row["settlement"] is None and row["api_key_id"] is not None
    ]
    unheld = [(row["user_id"], row["amount_nanos"]) for row in rows]
    _settle_released(connection, settled, unheld, now, interrupted=interrupted)
    return len(rows)


@dataclass(frozen=True, slots=True)
class Settlement:
    """A finished request: its real cost, its record, and what its key's credit limit held."""

    user_id: int
    cost_nanos: int
    request_log: dict[str, Any]  # RequestLog column values
    # The key whose credit limit this request held `key_held_nanos` on (None: its key has no limit).
    key_id: int | None = None
    key_held_nanos: int = 0

    @property
    def generation_id(self) -> str:
        return str(self.request_log["generation_id"])


def encode_settlement(settlement: Settlement) -> str:
    """The settlement as kept on its hold (JSON; the record's datetimes as ISO text, which round-trips them
    exactly, time zone and microseconds included)."""
    record: dict[str, Any] = {}
    datetimes: list[str] = []
    for name, value in settlement.request_log.items():
        if isinstance(value, datetime):
            datetimes.append(name)
            value = value.isoformat()
        record[name] = value
    return json.dumps(
        {"user_id": settlement.user_id, "cost_nanos": settlement.cost_nanos, "key_id": settlement.key_id,
         "key_held_nanos": settlement.key_held_nanos, "request_log": record, "datetimes": datetimes},
        separators=(",", ":"),
    )  # fmt: skip


def decode_settlement(text: str) -> Settlement:
    data = json.loads(text)
    record = data["request_log"]
    for name in data["datetimes"]:
        record[name] = datetime.fromisoformat(record[name])
    return Settlement(
        user_id=data["user_id"],
        cost_nanos=data["cost_nanos"],
        request_log=record,
        key_id=data["key_id"],
        key_held_nanos=data["key_held_nanos"],
    )


# A lone request's intent (the common case on a quiet server): built once, it is on every request's path.
_NOTE_ONE = (
    update(Hold)
    .where(Hold.generation_id == bindparam("noted_generation_id"))
    .values(settlement=bindparam("noted_settlement"))
)


def note_settlements_sync(connection: Connection, settlements: Sequence[Settlement]) -> set[str]:
    """Keeps each settlement on its request's hold, so that it survives the process: the sweep settles it if
    the writer's batch never commits. Returns the generation ids whose hold was there; one that was not
    (already settled, or swept) is durable only once the writer's batch has committed. One statement either
    way: an executemany would not tell which rows matched (asyncpg counts none), so several intents go as one
    UPDATE ... CASE ... RETURNING."""
    if not settlements:
        return set()
    if len(settlements) == 1:
        (item,) = settlements
        result = connection.execute(
            _NOTE_ONE,
            {"noted_generation_id": item.generation_id, "noted_settlement": encode_settlement(item)},
        )
        return {item.generation_id} if result.rowcount == 1 else set()
    encoded = {item.generation_id: encode_settlement(item) for item in settlements}
    return set(
        connection.scalars(
            update(Hold)
            .where(Hold.generation_id.in_(list(encoded)))
            .values(settlement=case(encoded, value=Hold.generation_id))
            .returning(Hold.generation_id)
        )
    )


def settle_sync(
    connection: Connection,
    settlements: Sequence[Settlement],
    now: datetime,
    alert_threshold_nanos: int | None = None,
) -> list[alerts.LowBalance]:
    """Settles finished requests in the caller's transaction: releases their holds (user and key), charges
    their cost through the ledger, writes their records and folds them into the rollups; with
    `alert_threshold_nanos`, flags the users it took below their low-balance threshold (returned). A request
    whose hold the sweep already settled (from the settlement kept on it) is skipped: it is charged and
    recorded once. One whose hold the sweep recorded as interrupted gets its real record instead."""
    generation_ids = [item.generation_id for item in settlements]
    # The holds are taken first (as the sweep takes them): a request settled by a sweep running at the same
    # time is seen as such here, and the lock order is holds, keys, users in both.
    released = _take_holds(connection, generation_ids)
    swept = [generation_id for generation_id in generation_ids if generation_id not in released]
    if swept:
        settled = _withdraw_interrupted(connection, swept)
        settlements = [item for item in settlements if item.generation_id not in settled]
    return _settle_released(
        connection, settlements, list(released.values()), now, alert_threshold_nanos=alert_threshold_nanos
    )


def _settle_released(
    connection: Connection,
    settlements: Sequence[Settlement],
    unheld: list[tuple[int, int]],
    now: datetime,
    *,
    interrupted: Sequence[dict[str, Any]] = (),
    alert_threshold_nanos: int | None = None,
) -> list[alerts.LowBalance]:
    """What settling does once the holds are deleted: key holds and windows (before any user row is locked),
    the users' held credit (`unheld`: user, amount), the charges, the records (and the `interrupted` ones)
    and their rollups."""
    keys = [
        (item.key_id, item.key_held_nanos, item.cost_nanos) for item in settlements if item.key_id is not None
    ]
    if keys:
        settle_keys_sync(connection, keys, now)
    _unhold(connection, unheld)
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
        for item in settlements
        if item.cost_nanos
    ]
    if entries:
        ledger.append_sync(connection, entries)
    records = [item.request_log for item in settlements] + list(interrupted)
    if records:
        connection.execute(insert(RequestLog), records)
        # The rollups move with the records in one transaction, so statistics never drift from them.
        rollups.fold_sync(connection, records)
    if alert_threshold_nanos is None or not entries:
        return []
    return alerts.flag_low_balances_sync(connection, (e.user_id for e in entries), alert_threshold_nanos)


# What the rollups read of a record (activity/rollups.py).
_ROLLUP_FIELDS = (
    "created_at", "user_id", "api_key_id", "model_slug", "provider", "status", "prompt_tokens",
    "completion_tokens", "reasoning_tokens", "cached_tokens", "cost_nanos", "latency_ms", "ttft_ms",
    "app_referer", "app_title",
)  # fmt: skip


def _interrupted_record(hold: Any) -> dict[str, Any]:
    """The record of a request whose hold expired unsettled. The tokens are unknown (None, as for any
    failure that reported no usage), the latency too (0); the model is the first the request would try."""
    return {
        "generation_id": hold["generation_id"],
        "user_id": hold["user_id"],
        **{name: hold[name] for name in _REQUEST_COLUMNS},
        "channel_id": None,
        "provider": None,
        "upstream_model": None,
        "status": "error",
        "http_status": INTERRUPTED_HTTP_STATUS,
        "error_type": INTERRUPTED,
        "error_message": INTERRUPTED_MESSAGE,
        "finish_reason": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "reasoning_tokens": None,
        "cached_tokens": None,
        "is_usage_estimated": False,
        "cost_nanos": 0,
        "latency_ms": 0,
        "ttft_ms": None,
        "attempts": None,
        "created_at": hold["created_at"],
    }


def _unhold(connection: Connection, holds: list[tuple[int, int]]) -> None:
    totals: dict[int, int] = defaultdict(int)
    for user_id, amount in holds:
        totals[user_id] += amount
    for user_id in sorted(totals):
        connection.execute(
            update(User).where(User.id == user_id).values(held_nanos=User.held_nanos - totals[user_id])
        )
