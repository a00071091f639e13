"""Live health of each channel serving each model: rolling statistics from real requests and probes, and a
circuit breaker per (channel, model).

In memory, read by the planner on every request (no database round trip); persisted to `channel_health` in
the background and, with Redis, shared between instances as events (failures, cool-downs, recoveries), so a
failure one instance sees steers the others. Successes in a healthy steady state are not broadcast.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# OpenRouter: "providers that have not seen significant outages in the last 30 seconds".
RECENT_WINDOW_SECONDS = 30.0
STATS_WINDOW_SECONDS = 30 * 60.0
PREFERENCE_WINDOW_SECONDS = 5 * 60.0
MAX_SAMPLES = 512
EWMA_ALPHA = 0.2
_DAY_MINUTES = 24 * 60


class Breaker(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_threshold: int = 3
    cooldown_seconds: float = 30.0
    max_cooldown_seconds: float = 600.0


@dataclass(frozen=True, slots=True)
class Percentiles:
    p50: float
    p75: float
    p90: float
    p99: float

    @classmethod
    def of(cls, values: list[float]) -> Percentiles | None:
        if not values:
            return None
        ordered = sorted(values)
        return cls(*(_rank(ordered, p) for p in (50, 75, 90, 99)))

    def as_dict(self) -> dict[str, float]:
        return {"p50": self.p50, "p75": self.p75, "p90": self.p90, "p99": self.p99}


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """What the planner and the catalogue read: None where there is no data."""

    breaker: Breaker = Breaker.CLOSED
    retry_in_seconds: float = 0.0  # until an open breaker lets a trial through
    recent_failures: int = 0  # in the last RECENT_WINDOW_SECONDS
    recent_requests: int = 0
    # Time to first token (or the whole answer when it was not streamed), ms, and output tokens per second
    # while generating: over the last 5 minutes for routing preferences, 30 minutes for the catalogue.
    latency_5m: Percentiles | None = None
    throughput_5m: Percentiles | None = None
    latency_30m: Percentiles | None = None
    throughput_30m: Percentiles | None = None
    total_latency_30m: Percentiles | None = None  # the whole answer
    latency_ewma_ms: float | None = None
    uptime_5m: float | None = None  # percent of successful requests
    uptime_30m: float | None = None
    uptime_1d: float | None = None
    requests_30m: int = 0

    @property
    def is_unstable(self) -> bool:
        """Significant failures in the last 30 s: at least two, and at least half of what was tried."""
        return self.recent_failures >= 2 and self.recent_failures * 2 >= self.recent_requests

    @property
    def is_routable(self) -> bool:
        return self.breaker is not Breaker.OPEN or self.retry_in_seconds <= 0


UNKNOWN = EndpointHealth()


@dataclass
class _Sample:
    at: float
    latency_ms: float  # the whole answer
    first_ms: float  # time to first token, or to the whole answer when not streamed
    tps: float | None


@dataclass
class _State:
    breaker: Breaker = Breaker.CLOSED
    consecutive_failures: int = 0
    open_until: float = 0.0
    opened_times: int = 0  # consecutive openings, for the growing cool-down
    trial_in_flight: bool = False
    outcomes: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=4 * MAX_SAMPLES))
    samples: deque[_Sample] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES))
    minutes: dict[int, list[int]] = field(default_factory=dict)  # minute -> [ok, total], a day of them
    latency_ewma_ms: float | None = None
    last_error: str | None = None
    last_success_at: float | None = None
    last_failure_at: float | None = None
    dirty: bool = True
    dirty_for_store: bool = True
    cached: tuple[float, EndpointHealth] | None = None


Key = tuple[int, str]


class HealthBook:
    def __init__(
        self, settings: BreakerSettings | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._states: dict[Key, _State] = {}

    # ------------------------------------------------------------------ reading

    def health(self, channel_id: int, model: str) -> EndpointHealth:
        state = self._states.get((channel_id, model))
        if state is None:
            return UNKNOWN
        now = self._clock()
        cached = state.cached
        # Statistics may lag by a second (recomputing them per request would cost more than routing
        # gains); failures and breaker changes mark the state dirty, so they count at once.
        if cached is not None and now - cached[0] < 1.0 and not state.dirty:
            return cached[1]
        health = self._compute(state, now)
        state.cached = (now, health)
        state.dirty = False
        return health

    def breakers(self) -> list[tuple[int, str, Breaker]]:
        """Every endpoint this process has seen, with its breaker state now (for /metrics)."""
        now = self._clock()
        result = []
        for (channel_id, model), state in list(self._states.items()):
            breaker = state.breaker
            if breaker is Breaker.OPEN and now >= state.open_until:
                breaker = Breaker.HALF_OPEN  # cooled down: the next request is its trial
            result.append((channel_id, model, breaker))
        return result

    def last_failure(self, channel_id: int, model: str) -> tuple[str | None, float | None]:
        """The last error this endpoint reported and when (Unix seconds), for the admin pages."""
        state = self._states.get((channel_id, model))
        return (state.last_error, state.last_failure_at) if state is not None else (None, None)

    def try_acquire(self, channel_id: int, model: str) -> bool:
        """May a request go to this endpoint now? An open breaker past its cool-down lets exactly one trial
        request through (half-open) until that trial reports back."""
        state = self._states.get((channel_id, model))
        if state is None or state.breaker is Breaker.CLOSED:
            return True
        now = self._clock()
        if state.breaker is Breaker.OPEN and now < state.open_until:
            return False
        if state.trial_in_flight:
            return False
        state.breaker = Breaker.HALF_OPEN
        state.trial_in_flight = True
        state.dirty = True
        return True

    # ------------------------------------------------------------------ recording

    def record_success(
        self,
        channel_id: int,
        model: str,
        *,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        output_tokens: int | None = None,
    ) -> bool:
        """Records a success; returns True when other instances should hear of it (it closed a breaker or
        ended a run of failures)."""
        state = self._state(channel_id, model)
        now = self._clock()
        was_troubled = state.breaker is not Breaker.CLOSED or state.consecutive_failures > 0
        state.breaker = Breaker.CLOSED
        state.consecutive_failures = 0
        state.opened_times = 0
        state.trial_in_flight = False
        state.last_success_at = now
        state.dirty = state.dirty or was_troubled
        self._outcome(state, now, True)
        if latency_ms is not None:
            tps = None
            if output_tokens and output_tokens > 1:
                generating_ms = latency_ms - (ttft_ms or 0.0)
                if generating_ms > 0:
                    tps = (output_tokens - 1) * 1000.0 / generating_ms
            state.samples.append(
                _Sample(now, latency_ms, ttft_ms if ttft_ms is not None else latency_ms, tps)
            )
            state.latency_ewma_ms = (
                latency_ms
                if state.latency_ewma_ms is None
                else EWMA_ALPHA * latency_ms + (1 - EWMA_ALPHA) * state.latency_ewma_ms
            )
        return was_troubled

    def record_failure(
        self, channel_id: int, model: str, *, error: str, retry_after_seconds: float | None = None
    ) -> None:
        state = self._state(channel_id, model)
        now = self._clock()
        state.consecutive_failures += 1
        state.dirty = True
        state.last_failure_at = now
        state.last_error = error[:300]
        state.trial_in_flight = False
        self._outcome(state, now, False)
        settings = self.settings
        if retry_after_seconds is not None and retry_after_seconds > 0:
            # A 429 with Retry-After: the upstream says exactly how long to stay away.
            self._open(state, now, min(retry_after_seconds, settings.max_cooldown_seconds), grows=False)
        elif state.breaker is Breaker.OPEN and now < state.open_until:
            # Requests that were in flight when it opened (or other instances' reports of them) say nothing
            # new: the cool-down grows only when a trial or a probe after it fails.
            return
        elif state.breaker is not Breaker.CLOSED or state.consecutive_failures >= settings.failure_threshold:
            cooldown = min(
                settings.cooldown_seconds * (2 ** min(state.opened_times, 16)), settings.max_cooldown_seconds
            )
            self._open(state, now, cooldown, grows=True)

    def probe_succeeded(self, channel_id: int, model: str) -> bool:
        """A good probe shows the upstream answers, not that this model works: an open breaker skips the
        rest of its cool-down so the next request is its trial, which decides. True when it did."""
        state = self._states.get((channel_id, model))
        if state is None or state.breaker is not Breaker.OPEN:
            return False
        state.open_until = min(state.open_until, self._clock())
        state.dirty = True
        return True

    def release_trial(self, channel_id: int, model: str) -> None:
        """A half-open trial that ended without a verdict (the client left, the request was invalid)."""
        state = self._states.get((channel_id, model))
        if state is not None and state.trial_in_flight:
            state.trial_in_flight = False
            if state.breaker is Breaker.HALF_OPEN:
                state.breaker = Breaker.OPEN  # open_until is past: the next request is the trial
            state.dirty = True

    def apply_remote(self, event: dict[str, Any]) -> None:
        """An event another instance published (see `event_of`)."""
        channel_id, model = int(event["c"]), str(event["m"])
        if event.get("ok"):
            state = self._state(channel_id, model)
            state.breaker = Breaker.CLOSED
            state.consecutive_failures = 0
            state.opened_times = 0
            state.trial_in_flight = False
            state.dirty = True
            state.dirty_for_store = True
        else:
            self.record_failure(
                channel_id, model, error=str(event.get("e") or "failure"), retry_after_seconds=event.get("ra")
            )

    # ------------------------------------------------------------------ persistence

    def dirty_rows(self) -> list[dict[str, Any]]:
        """Rows for `channel_health`, for every endpoint seen since the last call."""
        rows = []
        now = self._clock()
        for (channel_id, model), state in self._states.items():
            if not state.dirty_for_store:
                continue
            state.dirty_for_store = False
            health = self.health(channel_id, model)
            total = health.total_latency_30m
            rows.append(
                {
                    "channel_id": channel_id,
                    "model_slug": model,
                    "breaker": state.breaker.value,
                    "consecutive_failures": state.consecutive_failures,
                    "open_until": state.open_until if state.open_until > now else None,
                    "requests_30m": health.requests_30m,
                    "success_rate_30m": health.uptime_30m,
                    "latency_ewma_ms": state.latency_ewma_ms,
                    "latency_p50_ms": total.p50 if total else None,
                    "latency_p90_ms": total.p90 if total else None,
                    "ttft_p50_ms": health.latency_30m.p50 if health.latency_30m else None,
                    "throughput_p50_tps": health.throughput_30m.p50 if health.throughput_30m else None,
                    "last_error": state.last_error,
                    "last_success_at": state.last_success_at,
                    "last_failure_at": state.last_failure_at,
                }
            )
        return rows

    def restore(
        self, channel_id: int, model: str, *, breaker: str, failures: int, open_until: float | None
    ) -> None:
        """Resumes an endpoint's breaker from the table after a restart."""
        state = self._state(channel_id, model)
        state.consecutive_failures = failures
        if breaker != Breaker.CLOSED.value and open_until is not None:
            state.breaker = Breaker.OPEN
            state.open_until = open_until

    # ------------------------------------------------------------------ internals

    def _state(self, channel_id: int, model: str) -> _State:
        key = (channel_id, model)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _State()
        state.dirty_for_store = True
        return state

    def _open(self, state: _State, now: float, seconds: float, *, grows: bool) -> None:
        state.breaker = Breaker.OPEN
        state.open_until = max(state.open_until, now + seconds)
        if grows:
            state.opened_times += 1

    @staticmethod
    def _outcome(state: _State, now: float, ok: bool) -> None:
        state.outcomes.append((now, ok))
        minute = int(now // 60)
        bucket = state.minutes.get(minute)
        if bucket is None:
            bucket = state.minutes[minute] = [0, 0]
            for old in [m for m in state.minutes if m <= minute - _DAY_MINUTES]:
                del state.minutes[old]
        bucket[0] += ok
        bucket[1] += 1

    def _compute(self, state: _State, now: float) -> EndpointHealth:
        recent = [ok for at, ok in state.outcomes if now - at <= RECENT_WINDOW_SECONDS]
        samples_5m = [s for s in state.samples if now - s.at <= PREFERENCE_WINDOW_SECONDS]
        samples_30m = [s for s in state.samples if now - s.at <= STATS_WINDOW_SECONDS]
        minute = int(now // 60)
        return EndpointHealth(
            breaker=state.breaker,
            retry_in_seconds=max(0.0, state.open_until - now) if state.breaker is Breaker.OPEN else 0.0,
            recent_failures=sum(1 for ok in recent if not ok),
            recent_requests=len(recent),
            latency_5m=Percentiles.of([s.first_ms for s in samples_5m]),
            throughput_5m=Percentiles.of([s.tps for s in samples_5m if s.tps is not None]),
            latency_30m=Percentiles.of([s.first_ms for s in samples_30m]),
            throughput_30m=Percentiles.of([s.tps for s in samples_30m if s.tps is not None]),
            total_latency_30m=Percentiles.of([s.latency_ms for s in samples_30m]),
            latency_ewma_ms=state.latency_ewma_ms,
            uptime_5m=_uptime(state.minutes, minute - 4, minute),
            uptime_30m=_uptime(state.minutes, minute - 29, minute),
            uptime_1d=_uptime(state.minutes, minute - _DAY_MINUTES + 1, minute),
            requests_30m=sum(b[1] for m, b in state.minutes.items() if m > minute - 30),
        )


def event_of(
    channel_id: int,
    model: str,
    *,
    ok: bool,
    error: str | None = None,
    retry_after_seconds: float | None = None,
) -> dict[str, Any]:
    return {"c": channel_id, "m": model, "ok": ok, "e": error, "ra": retry_after_seconds}


def _rank(ordered: list[float], percent: int) -> float:
    """Nearest-rank percentile of sorted values."""
    index = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return round(ordered[index], 2)


def _uptime(minutes: dict[int, list[int]], first: int, last: int) -> float | None:
    ok = total = 0
    for minute, (good, count) in minutes.items():
        if first <= minute <= last:
            ok += good
            total += count
    return round(100.0 * ok / total, 2) if total else None
