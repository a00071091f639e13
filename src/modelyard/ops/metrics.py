"""Prometheus metrics at /metrics: relayed requests, their latency and time to first token by model and
provider, upstream errors, circuit breakers, credit holds and queue depths. Each app has its own registry
(several apps in one test process must not share counters).

Request metrics are taken from the finished request's record as the settlement writer queues it: one hook for
every API (chat, completions, embeddings) and every outcome, off the streaming path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from modelyard.routing.health import Breaker, HealthBook

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300)
TTFT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30)
BREAKER_VALUES = {Breaker.CLOSED: 0, Breaker.HALF_OPEN: 1, Breaker.OPEN: 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "modelyard_requests", "Relayed requests by API, model, provider and outcome",
            ["api", "model", "provider", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "modelyard_request_duration_seconds", "Relayed requests' whole duration",
            ["api", "model", "provider"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.ttft = Histogram(
            "modelyard_time_to_first_token_seconds", "Streamed requests' time to the first token",
            ["model", "provider"], buckets=TTFT_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.tokens = Counter(
            "modelyard_tokens", "Tokens metered, by model, provider and kind (prompt, completion)",
            ["model", "provider", "kind"], registry=self.registry,
        )  # fmt: skip
        self.upstream_errors = Counter(
            "modelyard_upstream_errors", "Failed upstream attempts (each failover counts)",
            ["provider", "channel"], registry=self.registry,
        )  # fmt: skip

    def observe(self, record: Mapping[str, Any]) -> None:
        """One finished request, from its generation record."""
        api = record.get("api_type") or "chat"
        model = str(record.get("model_slug") or "")
        provider = str(record.get("provider") or "")
        self.requests.labels(api, model, provider, str(record.get("status") or "")).inc()
        if record.get("latency_ms") is not None:
            self.latency.labels(api, model, provider).observe(record["latency_ms"] / 1000)
        if record.get("is_stream") and record.get("ttft_ms") is not None:
            self.ttft.labels(model, provider).observe(record["ttft_ms"] / 1000)
        for kind in ("prompt", "completion"):
            if record.get(f"{kind}_tokens"):
                self.tokens.labels(model, provider, kind).inc(record[f"{kind}_tokens"])
        for attempt in record.get("attempts") or []:
            if attempt.get("status") not in (None, "success", "ok"):
                self.upstream_errors.labels(
                    str(attempt.get("provider") or ""), str(attempt.get("channel") or "")
                ).inc()

    def watch(
        self,
        health: HealthBook,
        queues: Callable[[], Mapping[str, int]],
        channel_names: Callable[[], Mapping[int, str]],
    ) -> None:
        """Gauges read when scraped: breaker states and queue depths."""
        self.registry.register(_StateCollector(health, queues, channel_names))

    async def render(self, holds: Callable[[], Awaitable[tuple[int, int]]] | None = None) -> bytes:
        body = generate_latest(self.registry)
        if holds is not None:
            count, nanos = await holds()
            body += (
                b"# HELP modelyard_ledger_holds Credit holds of requests in flight (all instances)\n"
                b"# TYPE modelyard_ledger_holds gauge\n"
                + f"modelyard_ledger_holds {count}\n".encode()
                + b"# HELP modelyard_ledger_held_usd Credit held by requests in flight, USD (all instances)\n"
                b"# TYPE modelyard_ledger_held_usd gauge\n"
                + f"modelyard_ledger_held_usd {nanos / 1e9}\n".encode()
            )
        return body


class _StateCollector(Collector):
    def __init__(
        self,
        health: HealthBook,
        queues: Callable[[], Mapping[str, int]],
        channel_names: Callable[[], Mapping[int, str]],
    ) -> None:
        self._health = health
        self._queues = queues
        self._names = channel_names

    def collect(self) -> Iterable[Metric]:
        breakers = GaugeMetricFamily(
            "modelyard_circuit_breaker_state",
            "Per channel and model in this process: 0 closed, 1 half-open (trial allowed), 2 open",
            labels=["channel", "model"],
        )
        names = self._names()
        for channel_id, model, state in self._health.breakers():
            breakers.add_metric([names.get(channel_id, str(channel_id)), model], BREAKER_VALUES[state])
        yield breakers
        queues = GaugeMetricFamily(
            "modelyard_queue_depth", "Work waiting in this process's background queues", labels=["queue"]
        )
        for name, depth in self._queues().items():
            queues.add_metric([name], depth)
        yield queues
