"""The background side of channel health: sharing it between instances through Redis, writing it to the
`channel_health` table (and reading it back at start), and probing channels on an interval.

None of this is on a request's path: the relay only updates the in-memory HealthBook and drops events in a
queue here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from redis.asyncio import Redis
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.channels.probe import probe_channel
from modelyard.db.writes import Writer
from modelyard.models import ChannelHealth
from modelyard.providers.base import ChannelConfig
from modelyard.routing.health import HealthBook, event_of
from modelyard.routing.planner import Route

log = logging.getLogger(__name__)

HEALTH_CHANNEL = "modelyard:health"
_PROBE_TICK_SECONDS = 1.0
_MAX_QUEUED_EVENTS = 10_000


@dataclass(frozen=True)
class ProbeSettings:
    interval_seconds: float = 60.0  # 0 = only channels whose options ask for probes
    timeout_seconds: float = 10.0


class HealthSync:
    def __init__(
        self,
        book: HealthBook,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        redis: Redis | None,
        http: aiohttp.ClientSession,
        routes: Callable[[], dict[str, list[Route]]],
        probes: ProbeSettings,
    ) -> None:
        self._book = book
        self._sessions = sessions
        self._writer = writer
        self._redis = redis
        self._http = http
        self._routes = routes
        self._probes = probes
        self._instance = secrets.token_hex(8)
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_MAX_QUEUED_EVENTS)

    def tasks(self, persist_seconds: float) -> list[asyncio.Task[None]]:
        tasks = [
            asyncio.create_task(self._persist_periodically(persist_seconds)),
            asyncio.create_task(self._probe_periodically()),
        ]
        if self._redis is not None:
            tasks += [
                asyncio.create_task(self._publish(self._redis)),
                asyncio.create_task(self._listen(self._redis)),
            ]
        return tasks

    def announce(self, event: dict[str, Any]) -> None:
        """From the relay: a failure, cool-down or recovery the other instances should know of."""
        if self._redis is None:
            return
        with contextlib.suppress(asyncio.QueueFull):  # a flood of failures: the breaker has them already
            self._events.put_nowait({**event, "i": self._instance})

    # ------------------------------------------------------------------ Redis

    async def _publish(self, redis: Redis) -> None:
        while True:
            event = await self._events.get()
            batch = [event]
            while not self._events.empty() and len(batch) < 100:
                batch.append(self._events.get_nowait())
            try:
                await redis.publish(HEALTH_CHANNEL, orjson.dumps(batch))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not share %d health event(s) through Redis", len(batch), exc_info=True)

    async def _listen(self, redis: Redis) -> None:
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(HEALTH_CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        for event in orjson.loads(message["data"]):
                            if event.get("i") != self._instance:
                                self._book.apply_remote(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Redis health listener failed; reconnecting")
                await asyncio.sleep(1)

    # ------------------------------------------------------------------ the table

    async def restore(self) -> None:
        """Breakers that were open when the last process stopped stay open for the rest of their cool-down."""
        async with self._sessions() as session:
            rows = (await session.scalars(select(ChannelHealth))).all()
        for row in rows:
            self._book.restore(
                row.channel_id,
                row.model_slug,
                breaker=row.breaker,
                failures=row.consecutive_failures,
                open_until=row.open_until.timestamp() if row.open_until else None,
            )

    async def persist(self) -> None:
        rows = self._book.dirty_rows()
        if not rows:
            return
        now = datetime.now(UTC)
        for row in rows:
            for name in ("open_until", "last_success_at", "last_failure_at"):
                if row[name] is not None:
                    row[name] = datetime.fromtimestamp(row[name], UTC)
            row["updated_at"] = now

        def write(connection: Connection) -> None:
            for row in rows:
                connection.execute(
                    delete(ChannelHealth).where(
                        ChannelHealth.channel_id == row["channel_id"],
                        ChannelHealth.model_slug == row["model_slug"],
                    )
                )
            connection.execute(insert(ChannelHealth), rows)

        await self._writer.run(write)

    async def _persist_periodically(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.persist()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not write channel health")

    # ------------------------------------------------------------------ probes

    async def _probe_periodically(self) -> None:
        due: dict[int, float] = {}
        while True:
            await asyncio.sleep(_PROBE_TICK_SECONDS)
            now = time.monotonic()
            channels: dict[int, tuple[Route, list[str]]] = {}
            for slug, routes in self._routes().items():
                for route in routes:
                    channels.setdefault(route.channel_id, (route, []))[1].append(slug)
            work = []
            for channel_id, (route, models) in channels.items():
                interval = _interval(route, self._probes.interval_seconds)
                if interval is None:
                    continue
                # The first probe waits one interval: a restart must not probe every channel at once.
                next_at = due.setdefault(channel_id, now + interval)
                if now >= next_at:
                    due[channel_id] = now + interval
                    work.append(self.probe(route, models))
            if work:
                await asyncio.gather(*work, return_exceptions=True)

    async def probe(self, route: Route, models: list[str]) -> bool:
        """Probes one channel; the outcome counts for every model it serves: a failed probe moves the
        breakers towards open, a good one lets an open breaker try its trial request at once, so recovery
        needs no human."""
        timeout = route.options.get("probe_timeout_seconds") or self._probes.timeout_seconds
        result = await probe_channel(
            self._http,
            route.provider,
            ChannelConfig(route.base_url, route.api_key, route.options),
            route.upstream_model,
            float(timeout),
        )
        for model in models:
            if result.ok:
                self._book.probe_succeeded(route.channel_id, model)
            else:
                error = f"probe: {result.message}"
                self._book.record_failure(
                    route.channel_id, model, error=error, retry_after_seconds=result.retry_after_seconds
                )
                self.announce(
                    event_of(route.channel_id, model, ok=False, error=error,
                             retry_after_seconds=result.retry_after_seconds)
                )  # fmt: skip
        if not result.ok:
            log.warning("probe of channel %s failed: %s", route.channel_name, result.message)
        return result.ok


def _interval(route: Route, default: float) -> float | None:
    options = route.options
    if options.get("probe_enabled") is False:
        return None
    interval = options.get("probe_interval_seconds")
    if isinstance(interval, int | float) and interval > 0:
        return float(interval)
    return default if default > 0 else None
