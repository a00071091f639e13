"""The health book: rolling statistics per (channel, model) and the circuit breaker, driven by a fake clock.

Defaults: 3 consecutive failures open the breaker for 30 s; each failed half-open trial doubles the
cool-down up to 600 s; "unstable" = at least two failures, and at least half of the tries, in the last
30 s; latency/throughput percentiles over 5 and 30 minutes (nearest rank); uptime from minute buckets.

`health()` may serve statistics up to a second old unless a failure or a breaker change happened, so
readings here are either the first of a book or at least a second after the previous one.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.routing.health import (
    UNKNOWN,
    Breaker,
    BreakerSettings,
    EndpointHealth,
    HealthBook,
    Percentiles,
    event_of,
)

# A minute boundary, so minute buckets are easy to reason about.
T0 = 60.0 * 28_333_334
CH, MODEL = 7, "acme/model"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def at(self, seconds_after_t0: float) -> None:
        self.now = T0 + seconds_after_t0


def book(**settings: Any) -> tuple[HealthBook, Clock]:
    clock = Clock()
    return HealthBook(BreakerSettings(**settings), clock=clock), clock


def fail(health_book: HealthBook, times: int = 1, *, retry_after: float | None = None) -> None:
    for _ in range(times):
        health_book.record_failure(CH, MODEL, error="upstream 500", retry_after_seconds=retry_after)


def state(health_book: HealthBook) -> EndpointHealth:
    return health_book.health(CH, MODEL)


# ------------------------------------------------------------------------------------------- the breaker


def test_unknown_endpoint() -> None:
    health_book, _ = book()
    assert health_book.health(CH, MODEL) is UNKNOWN
    assert health_book.try_acquire(CH, MODEL)
    assert health_book.dirty_rows() == []


def test_three_consecutive_failures_open_the_breaker() -> None:
    health_book, _ = book()
    fail(health_book, 2)
    assert health_book.try_acquire(CH, MODEL)
    assert state(health_book).breaker is Breaker.CLOSED
    assert state(health_book).is_routable
    fail(health_book)
    assert not health_book.try_acquire(CH, MODEL)
    health = state(health_book)
    assert health.breaker is Breaker.OPEN
    assert health.retry_in_seconds == 30.0
    assert not health.is_routable


@pytest.mark.parametrize("threshold", [1, 5])
def test_threshold_is_a_setting(threshold: int) -> None:
    health_book, _ = book(failure_threshold=threshold)
    fail(health_book, threshold - 1)
    assert health_book.try_acquire(CH, MODEL)
    fail(health_book)
    assert not health_book.try_acquire(CH, MODEL)


def test_a_success_in_between_resets_the_count() -> None:
    health_book, clock = book()
    fail(health_book, 2)
    clock.at(1)
    assert health_book.record_success(CH, MODEL) is True  # it ended a run of failures
    fail(health_book, 2)
    assert health_book.try_acquire(CH, MODEL)
    assert state(health_book).breaker is Breaker.CLOSED
    fail(health_book)
    assert not health_book.try_acquire(CH, MODEL)


def test_success_in_a_steady_state_is_not_news() -> None:
    health_book, _ = book()
    assert health_book.record_success(CH, MODEL) is False
    assert health_book.record_success(CH, MODEL, latency_ms=100) is False


def test_after_the_cooldown_exactly_one_trial() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    clock.at(29.999)
    assert not health_book.try_acquire(CH, MODEL)
    clock.at(30)
    assert health_book.try_acquire(CH, MODEL)  # the trial
    assert not health_book.try_acquire(CH, MODEL)  # while it is in flight
    clock.at(45)
    assert not health_book.try_acquire(CH, MODEL)  # still in flight, however long it takes
    health = state(health_book)
    assert health.breaker is Breaker.HALF_OPEN
    assert health.is_routable  # the planner may keep it; try_acquire gates the single trial


def test_trial_success_closes() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    clock.at(30)
    assert health_book.try_acquire(CH, MODEL)
    assert health_book.record_success(CH, MODEL, latency_ms=200) is True  # other instances must hear it
    assert all(health_book.try_acquire(CH, MODEL) for _ in range(3))
    assert state(health_book).breaker is Breaker.CLOSED
    # Closed for good: it takes the full threshold again to reopen, with the base cool-down.
    fail(health_book, 2)
    assert health_book.try_acquire(CH, MODEL)
    fail(health_book)
    assert state(health_book).retry_in_seconds == 30.0


@pytest.mark.parametrize(
    ("settings", "cooldowns"),
    [
        pytest.param({}, [30, 60, 120, 240, 480, 600, 600], id="30s-doubling-capped-at-600s"),
        pytest.param({"cooldown_seconds": 10, "max_cooldown_seconds": 25}, [10, 20, 25, 25], id="custom"),
        pytest.param({"cooldown_seconds": 5, "failure_threshold": 1}, [5, 10, 20], id="threshold-1"),
    ],
)
def test_failed_trials_double_the_cooldown(settings: dict[str, Any], cooldowns: list[float]) -> None:
    health_book, clock = book(**settings)
    fail(health_book, settings.get("failure_threshold", 3))
    elapsed = 0.0
    for index, cooldown in enumerate(cooldowns):
        assert state(health_book).retry_in_seconds == cooldown, f"opening {index + 1}"
        clock.at(elapsed + cooldown - 0.01)
        assert not health_book.try_acquire(CH, MODEL)
        elapsed += cooldown
        clock.at(elapsed)
        assert health_book.try_acquire(CH, MODEL)
        fail(health_book)  # the trial fails: reopened at once, for longer
        assert state(health_book).breaker is Breaker.OPEN
        assert not health_book.try_acquire(CH, MODEL)


def test_trial_success_resets_the_doubling() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    clock.at(30)
    assert health_book.try_acquire(CH, MODEL)
    fail(health_book)  # 60 s now
    clock.at(90)
    assert health_book.try_acquire(CH, MODEL)
    health_book.record_success(CH, MODEL)
    fail(health_book, 3)
    assert state(health_book).retry_in_seconds == 30.0


def test_release_trial_lets_the_next_request_be_the_trial() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    clock.at(30)
    assert health_book.try_acquire(CH, MODEL)
    assert not health_book.try_acquire(CH, MODEL)
    health_book.release_trial(CH, MODEL)  # no verdict (the client left)
    released = state(health_book)
    assert released.breaker is Breaker.OPEN  # open again, its cool-down over
    assert released.retry_in_seconds == 0.0
    assert released.is_routable
    assert health_book.try_acquire(CH, MODEL)  # the next trial, at once
    assert not health_book.try_acquire(CH, MODEL)  # and still only one
    # A released trial is not a failure: this trial's failure is the first to double (60 s, not 120 s).
    fail(health_book)
    assert state(health_book).retry_in_seconds == 60.0


def test_release_trial_without_a_trial_changes_nothing() -> None:
    health_book, clock = book()
    health_book.release_trial(CH, MODEL)  # unknown endpoint
    fail(health_book, 2)
    health_book.release_trial(CH, MODEL)
    assert health_book.try_acquire(CH, MODEL)
    fail(health_book)
    clock.at(10)
    health_book.release_trial(CH, MODEL)  # open, no trial yet: stays open
    assert not health_book.try_acquire(CH, MODEL)


def test_429_retry_after_opens_for_exactly_that_long() -> None:
    health_book, clock = book()
    fail(health_book, retry_after=7.5)  # one failure, below the threshold of 3
    health = state(health_book)
    assert health.breaker is Breaker.OPEN
    assert health.retry_in_seconds == 7.5
    clock.at(7.49)
    assert not health_book.try_acquire(CH, MODEL)
    clock.at(7.5)
    assert health_book.try_acquire(CH, MODEL)
    # The trial fails without a Retry-After: the first growing cool-down, 30 s (a 429 does not double).
    fail(health_book)
    assert state(health_book).retry_in_seconds == 30.0


def test_429_retry_after_capped_by_max_cooldown() -> None:
    health_book, _ = book()
    fail(health_book, retry_after=10_000)
    assert state(health_book).retry_in_seconds == 600.0


def test_429_does_not_shorten_an_open_breaker() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    clock.at(2)
    fail(health_book, retry_after=5)
    assert state(health_book).retry_in_seconds == 28.0


@pytest.mark.parametrize("retry_after", [None, 0.0, -3.0])
def test_no_retry_after_counts_normally(retry_after: float | None) -> None:
    health_book, _ = book()
    fail(health_book, 2, retry_after=retry_after)
    assert health_book.try_acquire(CH, MODEL)
    assert state(health_book).breaker is Breaker.CLOSED


def test_failures_count_at_once_despite_the_cache() -> None:
    health_book, _ = book()
    health_book.record_success(CH, MODEL)
    assert state(health_book).recent_failures == 0
    fail(health_book, 3)  # same instant: the cached reading must not be served
    health = state(health_book)
    assert health.recent_failures == 3
    assert health.breaker is Breaker.OPEN


def test_failures_while_open_do_not_grow_the_cooldown() -> None:
    # Five requests in flight when the upstream went down all fail: the breaker opens once, for 30 s.
    health_book, clock = book()
    fail(health_book, 5)
    assert state(health_book).retry_in_seconds == 30.0
    clock.at(30)
    assert health_book.try_acquire(CH, MODEL)


# --------------------------------------------------------------------------------------------- unstable


@pytest.mark.parametrize(
    ("outcomes", "unstable"),
    [
        ("", False),
        ("F", False),
        ("FF", True),
        ("FFS", True),
        ("FFSS", True),  # 2 of 4: half
        ("FFSSS", False),  # 2 of 5: less than half
        ("SFSF", True),
        ("FFFFSSSS", True),
        ("FFFSSSSS", False),
        ("SSSSSSSS", False),
    ],
)
def test_is_unstable(outcomes: str, unstable: bool) -> None:
    health_book, clock = book(failure_threshold=100)  # keep the breaker out of it
    health_book.record_success(CH + 1, MODEL)  # another endpoint's outcomes do not count
    for index, outcome in enumerate(outcomes):
        clock.at(index)
        if outcome == "F":
            fail(health_book)
        else:
            health_book.record_success(CH, MODEL)
    clock.at(len(outcomes) + 1)
    health = state(health_book)
    assert health.is_unstable is unstable
    assert health.recent_failures == outcomes.count("F")
    assert health.recent_requests == len(outcomes)


@pytest.mark.parametrize(
    ("elapsed", "unstable"), [(0, True), (29, True), (30, True), (30.001, False), (45, False)]
)
def test_unstable_expires_after_30_seconds(elapsed: float, unstable: bool) -> None:
    health_book, clock = book(failure_threshold=100)
    fail(health_book, 2)
    clock.at(elapsed)
    health = state(health_book)
    assert health.is_unstable is unstable
    assert health.recent_failures == (2 if unstable else 0)


def test_unstable_window_slides() -> None:
    health_book, clock = book(failure_threshold=100)
    fail(health_book)
    clock.at(20)
    fail(health_book)
    assert state(health_book).is_unstable
    clock.at(31)  # the first failure has left the window
    health = state(health_book)
    assert health.recent_failures == 1
    assert not health.is_unstable


# ---------------------------------------------------------------------------------------- percentiles


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([42.0], Percentiles(42.0, 42.0, 42.0, 42.0)),
        # nearest rank: index ceil(p/100·n) - 1 of the sorted values
        ([4.0, 1.0, 3.0, 2.0], Percentiles(2.0, 3.0, 4.0, 4.0)),
        ([3.0, 1.0, 2.0], Percentiles(2.0, 3.0, 3.0, 3.0)),  # p75: ceil(2.25) = 3rd, not the 2nd
        ([float(v) for v in range(7, 0, -1)], Percentiles(4.0, 6.0, 7.0, 7.0)),
        ([float(v) for v in range(10, 0, -1)], Percentiles(5.0, 8.0, 9.0, 10.0)),
        ([float(v) for v in range(1, 21)], Percentiles(10.0, 15.0, 18.0, 20.0)),
        ([float(v) for v in range(100, 0, -1)], Percentiles(50.0, 75.0, 90.0, 99.0)),
        ([1.23456, 9.87654], Percentiles(1.23, 9.88, 9.88, 9.88)),  # rounded to 2 places
    ],
)
def test_percentiles_nearest_rank(values: list[float], expected: Percentiles | None) -> None:
    assert Percentiles.of(values) == expected


def test_percentiles_as_dict() -> None:
    assert Percentiles(1, 2, 3, 4).as_dict() == {"p50": 1, "p75": 2, "p90": 3, "p99": 4}


def test_non_streamed_latency_and_throughput() -> None:
    """Ten answers of 101 tokens taking 100..1000 ms, not streamed: latency is the whole answer and
    throughput (101 - 1) tokens over the whole time: 1000, 500, 333.33, ..., 100 tokens/s."""
    health_book, clock = book()
    for index, latency_ms in enumerate(range(1000, 0, -100)):
        clock.at(index)
        health_book.record_success(CH, MODEL, latency_ms=float(latency_ms), output_tokens=101)
    clock.at(10)
    health = state(health_book)
    latency = Percentiles(500.0, 800.0, 900.0, 1000.0)
    # sorted: 100, 111.11, 125, 142.86, 166.67, 200, 250, 333.33, 500, 1000
    throughput = Percentiles(166.67, 333.33, 500.0, 1000.0)
    assert health.latency_5m == latency
    assert health.latency_30m == latency
    assert health.total_latency_30m == latency
    assert health.throughput_5m == throughput
    assert health.throughput_30m == throughput
    assert health.requests_30m == 10
    assert health.uptime_5m == 100.0


def test_streamed_latency_is_time_to_first_token() -> None:
    """Streamed: latency is the time to first token; throughput (tokens - 1) over the time after it."""
    health_book, clock = book()
    samples = [(1200.0, 200.0, 51), (2200.0, 200.0, 101), (700.0, 300.0, 21), (3000.0, 1000.0, 401)]
    for index, (latency, ttft, tokens) in enumerate(samples):
        clock.at(index)
        health_book.record_success(CH, MODEL, latency_ms=latency, ttft_ms=ttft, output_tokens=tokens)
    clock.at(5)
    health = state(health_book)
    # tps: 50·1000/1000 = 50, 100·1000/2000 = 50, 20·1000/400 = 50, 400·1000/2000 = 200
    assert health.throughput_5m == Percentiles(50.0, 50.0, 200.0, 200.0)
    assert health.latency_5m == Percentiles(200.0, 300.0, 1000.0, 1000.0)  # ttft: 200, 200, 300, 1000
    assert health.total_latency_30m == Percentiles(1200.0, 2200.0, 3000.0, 3000.0)


@pytest.mark.parametrize(
    ("latency", "ttft", "tokens", "tps"),
    [
        (1200.0, 200.0, 11, 10.0),  # 10 tokens in 1 s after the first
        (500.0, None, 11, 20.0),  # not streamed: 10 tokens in the whole 0.5 s
        (1000.0, 250.0, 76, 100.0),
        (1000.0, None, 1, None),  # one token: no rate
        (1000.0, None, None, None),  # unknown count
        (1000.0, None, 0, None),
        (1000.0, 1000.0, 10, None),  # no time after the first token
    ],
)
def test_throughput_of_one_sample(
    latency: float, ttft: float | None, tokens: int | None, tps: float | None
) -> None:
    health_book, _ = book()
    health_book.record_success(CH, MODEL, latency_ms=latency, ttft_ms=ttft, output_tokens=tokens)
    health = state(health_book)
    assert health.throughput_5m == (None if tps is None else Percentiles(tps, tps, tps, tps))
    first = latency if ttft is None else ttft
    assert health.latency_5m == Percentiles(first, first, first, first)


def test_success_without_latency_adds_no_sample() -> None:
    health_book, _ = book()
    health_book.record_success(CH, MODEL)
    health = state(health_book)
    assert health.latency_5m is None
    assert health.latency_ewma_ms is None
    assert health.requests_30m == 1


def test_latency_windows_5_and_30_minutes() -> None:
    health_book, clock = book()
    health_book.record_success(CH, MODEL, latency_ms=100.0)  # t = 0
    clock.at(200)
    health_book.record_success(CH, MODEL, latency_ms=200.0)
    clock.at(300)  # the first is exactly 5 minutes old: still in
    assert state(health_book).latency_5m == Percentiles(100.0, 200.0, 200.0, 200.0)
    clock.at(301)
    health = state(health_book)
    assert health.latency_5m == Percentiles(200.0, 200.0, 200.0, 200.0)
    assert health.latency_30m == Percentiles(100.0, 200.0, 200.0, 200.0)
    clock.at(1801)
    health = state(health_book)
    assert health.latency_5m is None
    assert health.latency_30m == Percentiles(200.0, 200.0, 200.0, 200.0)
    clock.at(2001)
    assert state(health_book).latency_30m is None


def test_latency_ewma() -> None:
    health_book, _ = book()
    health_book.record_success(CH, MODEL, latency_ms=100.0)
    health_book.record_success(CH, MODEL, latency_ms=200.0)
    assert state(health_book).latency_ewma_ms == pytest.approx(0.2 * 200 + 0.8 * 100)


# --------------------------------------------------------------------------------------------- uptime


def test_uptime_windows_from_minute_buckets() -> None:
    health_book, clock = book(failure_threshold=100)
    for second in range(3):  # minute 0: 3 ok, 1 failed
        clock.at(second)
        health_book.record_success(CH, MODEL)
    fail(health_book)
    clock.at(10 * 60 + 5)  # minute 10: 1 failed
    fail(health_book)
    health = state(health_book)
    assert health.uptime_5m == 0.0  # minutes 6..10
    assert health.uptime_30m == 60.0  # 3 of 5
    assert health.uptime_1d == 60.0
    assert health.requests_30m == 5
    clock.at(29 * 60)  # minute 29: minutes 0..29 still in the 30-minute window
    health = state(health_book)
    assert health.uptime_5m is None
    assert health.uptime_30m == 60.0
    clock.at(30 * 60)  # minute 30: minute 0 left it
    health = state(health_book)
    assert health.uptime_30m == 0.0
    assert health.requests_30m == 1
    assert health.uptime_1d == 60.0


@pytest.mark.parametrize(("read_at_minute", "uptime"), [(9, 50.0), (10, 100.0)])
def test_uptime_5m_is_the_current_minute_and_four_before(read_at_minute: int, uptime: float) -> None:
    health_book, clock = book(failure_threshold=100)
    clock.at(5 * 60 + 59)
    fail(health_book)  # minute 5
    clock.at(9 * 60)
    health_book.record_success(CH, MODEL)  # minute 9
    clock.at(read_at_minute * 60 + 30)
    assert state(health_book).uptime_5m == uptime


def test_uptime_rounded_to_two_places() -> None:
    health_book, clock = book(failure_threshold=100)
    health_book.record_success(CH, MODEL)
    clock.at(1)
    health_book.record_success(CH, MODEL)
    fail(health_book)
    clock.at(2)
    assert state(health_book).uptime_5m == 66.67


def test_data_older_than_a_day_is_dropped() -> None:
    day = 24 * 60 * 60
    health_book, clock = book(failure_threshold=100)
    fail(health_book)  # minute 0
    clock.at(day - 60)  # minute 1439: minute 0 is still within the day
    health_book.record_success(CH, MODEL)
    assert state(health_book).uptime_1d == 50.0
    clock.at(day)  # minute 1440: minute 0 is a day old
    health_book.record_success(CH, MODEL)
    health = state(health_book)
    assert health.uptime_1d == 100.0
    assert health.uptime_30m == 100.0
    assert health.requests_30m == 2
    clock.at(2 * day)
    assert state(health_book).uptime_1d is None


# ------------------------------------------------------------------------------------- other instances


def test_remote_failures_open_the_breaker() -> None:
    health_book, _ = book()
    for _ in range(2):
        health_book.apply_remote(event_of(CH, MODEL, ok=False, error="upstream 502"))
    assert health_book.try_acquire(CH, MODEL)
    health_book.apply_remote(event_of(CH, MODEL, ok=False, error="upstream 502"))
    assert not health_book.try_acquire(CH, MODEL)
    health = state(health_book)
    assert health.breaker is Breaker.OPEN
    assert health.recent_failures == 3
    assert health_book.dirty_rows()[0]["last_error"] == "upstream 502"


def test_remote_retry_after() -> None:
    health_book, clock = book()
    health_book.apply_remote(event_of(CH, MODEL, ok=False, error="429", retry_after_seconds=12.0))
    assert state(health_book).retry_in_seconds == 12.0
    clock.at(11.9)
    assert not health_book.try_acquire(CH, MODEL)
    clock.at(12)
    assert health_book.try_acquire(CH, MODEL)


def test_remote_event_as_json_would_carry_it() -> None:
    # Published through Redis as JSON: keys arrive as sent, the channel id may arrive as a string.
    health_book, _ = book(failure_threshold=1)
    health_book.apply_remote({"c": str(CH), "m": MODEL, "ok": False, "e": None, "ra": None})
    assert not health_book.try_acquire(CH, MODEL)
    assert health_book.dirty_rows()[0]["last_error"] == "failure"


def test_remote_success_closes_and_resets() -> None:
    health_book, clock = book()
    fail(health_book, 3)
    health_book.apply_remote(event_of(CH, MODEL, ok=True))
    assert health_book.try_acquire(CH, MODEL)
    assert state(health_book).breaker is Breaker.CLOSED
    fail(health_book, 2)
    clock.at(1)
    health_book.apply_remote(event_of(CH, MODEL, ok=True))
    fail(health_book, 2)  # the count restarted
    assert health_book.try_acquire(CH, MODEL)
    fail(health_book)
    assert not health_book.try_acquire(CH, MODEL)
    assert state(health_book).retry_in_seconds == 30.0  # and the doubling too


# -------------------------------------------------------------------------------------- persistence


def test_dirty_rows_once_per_change() -> None:
    health_book, clock = book()
    health_book.record_success(1, "a", latency_ms=100.0)
    health_book.record_failure(2, "b", error="boom")
    rows = health_book.dirty_rows()
    assert sorted((row["channel_id"], row["model_slug"]) for row in rows) == [(1, "a"), (2, "b")]
    assert health_book.dirty_rows() == []
    clock.at(5)
    health_book.health(1, "a")
    health_book.try_acquire(2, "b")
    assert health_book.dirty_rows() == []  # reading is not a change
    clock.at(7)  # statistics may lag the last reading by a second
    health_book.record_success(1, "a", latency_ms=300.0)
    rows = health_book.dirty_rows()
    assert [(row["channel_id"], row["model_slug"]) for row in rows] == [(1, "a")]
    assert rows[0]["requests_30m"] == 2
    assert rows[0]["last_success_at"] == T0 + 7
    assert health_book.dirty_rows() == []


def test_dirty_row_of_an_open_breaker() -> None:
    health_book, clock = book()
    health_book.record_success(CH, MODEL, latency_ms=100.0, ttft_ms=40.0, output_tokens=7)
    clock.at(1)
    health_book.record_failure(CH, MODEL, error="x" * 500)
    fail(health_book, 2)
    (row,) = health_book.dirty_rows()
    assert row["breaker"] == "open"
    assert row["consecutive_failures"] == 3
    assert row["open_until"] == T0 + 31
    assert row["success_rate_30m"] == 25.0
    assert row["requests_30m"] == 4
    assert row["latency_ewma_ms"] == 100.0
    assert row["latency_p50_ms"] == 100.0
    assert row["ttft_p50_ms"] == 40.0
    assert row["throughput_p50_tps"] == 100.0  # 6 tokens in 60 ms
    assert row["last_error"] == "upstream 500"
    assert row["last_success_at"] == T0
    assert row["last_failure_at"] == T0 + 1
    clock.at(40)  # past the cool-down, and a success closes it
    health_book.record_success(CH, MODEL)
    (row,) = health_book.dirty_rows()
    assert row["breaker"] == "closed"
    assert row["consecutive_failures"] == 0
    assert row["open_until"] is None


def test_last_error_truncated() -> None:
    health_book, _ = book()
    health_book.record_failure(CH, MODEL, error="x" * 500)
    (row,) = health_book.dirty_rows()
    assert row["last_error"] == "x" * 300


def test_restore_keeps_an_open_breaker_until_its_time() -> None:
    health_book, clock = book()
    health_book.restore(CH, MODEL, breaker="open", failures=3, open_until=T0 + 20)
    assert not health_book.try_acquire(CH, MODEL)
    health = state(health_book)
    assert health.breaker is Breaker.OPEN
    assert health.retry_in_seconds == 20.0
    assert not health.is_routable
    clock.at(19.9)
    assert not health_book.try_acquire(CH, MODEL)
    clock.at(20)
    assert health_book.try_acquire(CH, MODEL)  # the trial
    assert not health_book.try_acquire(CH, MODEL)


def test_restore_half_open_comes_back_open() -> None:
    health_book, _ = book()
    health_book.restore(CH, MODEL, breaker="half_open", failures=4, open_until=T0 - 5)
    # Past its time: the next request is the trial, and only one.
    assert health_book.try_acquire(CH, MODEL)
    assert not health_book.try_acquire(CH, MODEL)


@pytest.mark.parametrize(("breaker", "open_until"), [("closed", None), ("closed", T0 + 60), ("open", None)])
def test_restore_closed(breaker: str, open_until: float | None) -> None:
    health_book, _ = book()
    health_book.restore(CH, MODEL, breaker=breaker, failures=2, open_until=open_until)
    assert health_book.try_acquire(CH, MODEL)
    assert state(health_book).breaker is Breaker.CLOSED
    fail(health_book)  # the restored count carries on: 2 + 1 = 3
    assert not health_book.try_acquire(CH, MODEL)
