"""The planner: which endpoints a request tries, in which order, and why the others were left out.

Expectations follow OpenRouter's provider routing (docs §9): by default skip endpoints with significant
recent failures, pick the first of the rest weighted by 1/price², the others as fallbacks in price order;
`sort`/`order` disable load balancing; only/ignore/quantizations/max_price/require_parameters filter;
throughput/latency/max_tokens preferences deprioritise but never exclude.

Prices are written in USD per million prompt tokens (`ep("a", 1.5)` = $1.50/M) so tables read like the docs.
Deterministic cases are run under several seeds: the answer must not depend on the random generator.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from modelyard.billing.pricing import Price
from modelyard.routing.health import UNKNOWN, Breaker, EndpointHealth, Percentiles
from modelyard.routing.planner import Candidate, Plan, RequestFacts, Route, plan, tag
from modelyard.routing.policy import MaxPrice, RoutingPolicy

NANOS_PER_USD = 1_000_000_000
SEEDS = range(8)


def usd(amount: float) -> int:
    return round(amount * NANOS_PER_USD)


def ep(
    name: str,
    prompt_usd: float = 1.0,
    *,
    completion_usd: float = 0.0,
    request_nanos: int = 0,
    provider: str | None = None,
    priority: int = 0,
    weight: int = 100,
    quantization: str | None = None,
    max_completion: int | None = None,
    health: EndpointHealth = UNKNOWN,
    busy: bool = False,
    data: dict[str, bool] | None = None,
) -> Candidate:
    options: dict[str, Any] = {} if quantization is None else {"quantization": quantization}
    options.update(data or {})
    route = Route(
        channel_id=zlib.crc32(name.encode()),
        channel_name=name,
        provider="openai",
        base_url="https://upstream.invalid/v1",
        api_key="sk-test",
        upstream_model="m",
        priority=priority,
        weight=weight,
        options=options,
        provider_slug=provider,
        max_completion_tokens=max_completion,
    )
    price = Price(
        prompt_per_mtok_nanos=usd(prompt_usd),
        completion_per_mtok_nanos=usd(completion_usd),
        request_nanos=request_nanos,
    )
    return Candidate(route=route, price=price, health=health, is_busy=busy)


def pct(
    p50: float, p75: float | None = None, p90: float | None = None, p99: float | None = None
) -> Percentiles:
    def given(value: float | None) -> float:
        return p50 if value is None else value

    return Percentiles(p50, given(p75), given(p90), given(p99))


def stats(latency: Percentiles | None = None, tps: Percentiles | None = None) -> EndpointHealth:
    return EndpointHealth(latency_5m=latency, throughput_5m=tps)


def open_for(seconds: float) -> EndpointHealth:
    return EndpointHealth(
        breaker=Breaker.OPEN, retry_in_seconds=seconds, recent_failures=3, recent_requests=3
    )


# Two failures of three tries in the last 30 s: "significant recent failures".
UNSTABLE = EndpointHealth(recent_failures=2, recent_requests=3)
HALF_OPEN = EndpointHealth(breaker=Breaker.HALF_OPEN)
PRICE = RoutingPolicy(strategy="price")


def names(result: Plan) -> list[str]:
    return [route.channel_name for route in result.attempts]


def sorted_excluded(result: Plan) -> dict[str, list[str]]:
    return {reason: sorted(tags) for reason, tags in result.excluded.items()}


# ---------------------------------------------------------------------------------------------- the table

# Endpoints of two catalogue providers and one stand-alone channel, listed out of price order.
EAST = ep("east", 1, provider="openai")
WEST = ep("EU-West", 2, provider="openai")
TURBO = ep("turbo", 3, provider="deepinfra")
LOCAL = ep("local", 4)
SLUGGED = [LOCAL, TURBO, WEST, EAST]
ALL_SLUG_TAGS = ["deepinfra/turbo", "local", "openai/EU-West", "openai/east"]

A, B, C, D = ep("a", 1), ep("b", 2), ep("c", 3), ep("d", 4)
ABCD = [C, A, D, B]

ALL_PARAMS = frozenset({"temperature", "tools"})

NO_FACTS = RequestFacts()


def case(
    id: str,
    candidates: Sequence[Candidate],
    policy: RoutingPolicy,
    expected: list[str],
    excluded: dict[str, list[str]] | None = None,
    *,
    facts: RequestFacts = NO_FACTS,
    retry_after: float | None = None,
) -> Any:
    """One row: the candidates, the policy (and request facts) -> the attempts, the excluded tags by
    reason (sorted), and the retry-after when nothing is left."""
    return pytest.param(candidates, policy, facts, expected, excluded or {}, retry_after, id=id)


LATENCY, THROUGHPUT = RoutingPolicy(strategy="latency"), RoutingPolicy(strategy="throughput")
TPS_FLOOR = RoutingPolicy(strategy="price", min_throughput={"p50": 100.0})
LATENCY_CEILING = RoutingPolicy(strategy="price", max_latency_ms={"p50": 1000.0})
MISSING_TOOLS = RequestFacts(parameters=frozenset({"tools"}), supported_parameters=frozenset({"temperature"}))
QUANTIZED = [ep("q8", 3, quantization="fp8"), ep("q4", 1, quantization="int4"), ep("qn", 2)]
PRICED = [ep("p3", 3, completion_usd=3), ep("p1", 1, completion_usd=2), ep("p2", 2, completion_usd=1.5)]


def ceiling(**nanos: int) -> RoutingPolicy:
    return RoutingPolicy(strategy="price", max_price=MaxPrice(**nanos))


CASES: list[Any] = [
    # ---- strategies
    case("price-cheapest-first", [C, A, B], PRICE, ["a", "b", "c"]),
    case(
        "price-counts-completion",
        [ep("x", 1, completion_usd=5), ep("y", 2, completion_usd=2)],
        PRICE,
        ["y", "x"],
    ),
    # $0.001 a request weighs as $1 per M (a thousand requests' worth) -> $2 against $1.50.
    case(
        "price-counts-request-fee",
        [ep("fee", 1, request_nanos=1_000_000), ep("plain", 1.5)],
        PRICE,
        ["plain", "fee"],
    ),
    case(
        "latency-fastest-p50-first-ties-by-price-unknown-last-by-price",
        [
            ep("a", 1, health=stats(latency=pct(300))),
            ep("b", 2, health=stats(latency=pct(100))),
            ep("c", 0.5),
            ep("d", 3, health=stats(latency=pct(100))),
            ep("e", 0.1),
        ],
        LATENCY,
        ["b", "d", "a", "e", "c"],
    ),
    case(
        "latency-sorts-by-p50",
        [ep("a", 2, health=stats(latency=pct(200, p90=900))), ep("b", 1, health=stats(latency=pct(300)))],
        LATENCY,
        ["a", "b"],
    ),
    case(
        "throughput-highest-p50-first-ties-by-price-unknown-last-by-price",
        [
            ep("a", 1, health=stats(tps=pct(50))),
            ep("b", 2, health=stats(tps=pct(150))),
            ep("c", 0.5),
            ep("d", 3, health=stats(tps=pct(150))),
            ep("e", 0.1),
        ],
        THROUGHPUT,
        ["b", "d", "a", "e", "c"],
    ),
    case(
        "weighted-highest-priority-first",
        [ep("low", 1, priority=0), ep("high", 3, priority=10), ep("mid", 2, priority=5)],
        RoutingPolicy(strategy="weighted"),
        ["high", "mid", "low"],
    ),
    case("default-one-endpoint", [A], RoutingPolicy(), ["a"]),
    case("price-without-fallbacks", [C, A, B], RoutingPolicy(strategy="price", allow_fallbacks=False), ["a"]),
    case(
        "latency-without-fallbacks",
        [ep("slow", 1, health=stats(latency=pct(900))), ep("quick", 2, health=stats(latency=pct(90)))],
        RoutingPolicy(strategy="latency", allow_fallbacks=False),
        ["quick"],
    ),
    # ---- order
    case(
        "order-then-fallbacks", ABCD, RoutingPolicy(strategy="price", order=("c", "a")), ["c", "a", "b", "d"]
    ),
    case("order-without-fallbacks", ABCD, RoutingPolicy(order=("c", "a"), allow_fallbacks=False), ["c", "a"]),
    case("order-beats-price", ABCD, RoutingPolicy(order=("d",), allow_fallbacks=False), ["d"]),
    case(
        "order-matching-nothing-without-fallbacks",
        ABCD,
        RoutingPolicy(order=("zzz",), allow_fallbacks=False),
        [],
        {"order": ["a", "b", "c", "d"]},
    ),
    case(
        "order-matching-nothing-with-fallbacks",
        ABCD,
        RoutingPolicy(strategy="price", order=("zzz",)),
        ["a", "b", "c", "d"],
    ),
    case(
        "order-full-slug-then-base-slug-no-duplicates",
        SLUGGED,
        RoutingPolicy(strategy="price", order=("openai/eu-west", "openai")),
        ["EU-West", "east", "turbo", "local"],
    ),
    case("order-default-strategy-single-fallback", [C, A], RoutingPolicy(order=("c",)), ["c", "a"]),
    case(
        "order-skips-open-breaker",
        [ep("a", 1, health=open_for(9)), B, C],
        RoutingPolicy(order=("a", "b"), allow_fallbacks=False),
        ["b"],
        {"circuit_open": ["a"]},
    ),
    # ---- only / ignore: a base slug matches every channel of the provider, `provider/channel` or the
    # channel's name matches that one channel
    case(
        "only-base-slug",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"openai"})),
        ["east", "EU-West"],
        {"allowed_providers": ["deepinfra/turbo", "local"]},
    ),
    case(
        "only-provider-slash-channel",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"openai/eu-west"})),
        ["EU-West"],
        {"allowed_providers": ["deepinfra/turbo", "local", "openai/east"]},
    ),
    case(
        "only-case-insensitive",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"OpenAI/EU-West"})),
        ["EU-West"],
        {"allowed_providers": ["deepinfra/turbo", "local", "openai/east"]},
    ),
    case(
        "only-channel-name",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"eu-west"})),
        ["EU-West"],
        {"allowed_providers": ["deepinfra/turbo", "local", "openai/east"]},
    ),
    case(
        "only-stand-alone-channel-and-base-slug",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"local", "deepinfra"})),
        ["turbo", "local"],
        {"allowed_providers": ["openai/EU-West", "openai/east"]},
    ),
    case(
        "only-channel-under-the-wrong-provider-matches-nothing",
        SLUGGED,
        RoutingPolicy(only=frozenset({"openai/turbo"})),
        [],
        {"allowed_providers": ALL_SLUG_TAGS},
    ),
    case(
        "ignore-base-slug",
        SLUGGED,
        RoutingPolicy(strategy="price", ignore=frozenset({"openai"})),
        ["turbo", "local"],
        {"ignored_providers": ["openai/EU-West", "openai/east"]},
    ),
    case(
        "ignore-provider-slash-channel",
        SLUGGED,
        RoutingPolicy(strategy="price", ignore=frozenset({"openai/east"})),
        ["EU-West", "turbo", "local"],
        {"ignored_providers": ["openai/east"]},
    ),
    case(
        "ignore-channel-name",
        SLUGGED,
        RoutingPolicy(strategy="price", ignore=frozenset({"turbo"})),
        ["east", "EU-West", "local"],
        {"ignored_providers": ["deepinfra/turbo"]},
    ),
    case(
        "only-and-ignore",
        SLUGGED,
        RoutingPolicy(strategy="price", only=frozenset({"openai"}), ignore=frozenset({"openai/east"})),
        ["EU-West"],
        {"allowed_providers": ["deepinfra/turbo", "local"], "ignored_providers": ["openai/east"]},
    ),
    # ---- quantizations (a channel without one is "unknown")
    case(
        "quantizations-filter",
        QUANTIZED,
        RoutingPolicy(strategy="price", quantizations=frozenset({"fp8"})),
        ["q8"],
        {"quantization": ["q4", "qn"]},
    ),
    case(
        "quantizations-unknown-allowed",
        QUANTIZED,
        RoutingPolicy(strategy="price", quantizations=frozenset({"fp8", "unknown"})),
        ["qn", "q8"],
        {"quantization": ["q4"]},
    ),
    case(
        "quantizations-none-left",
        QUANTIZED,
        RoutingPolicy(quantizations=frozenset({"bf16"})),
        [],
        {"quantization": ["q4", "q8", "qn"]},
    ),
    # ---- max_price (ceilings in nano-USD per million tokens; equal to the ceiling is within it)
    case(
        "max-price-prompt-boundary-inclusive",
        PRICED,
        ceiling(prompt_per_mtok_nanos=usd(2)),
        ["p1", "p2"],
        {"max_price": ["p3"]},
    ),
    case(
        "max-price-one-nano-above",
        PRICED,
        ceiling(prompt_per_mtok_nanos=usd(2) - 1),
        ["p1"],
        {"max_price": ["p2", "p3"]},
    ),
    case(
        "max-price-completion",
        PRICED,
        ceiling(completion_per_mtok_nanos=usd(1.5)),
        ["p2"],
        {"max_price": ["p1", "p3"]},
    ),
    case(
        "max-price-request",
        [ep("fee", 1, request_nanos=1000), ep("nofee", 2)],
        ceiling(request_nanos=500),
        ["nofee"],
        {"max_price": ["fee"]},
    ),
    case(
        "max-price-none-left-no-retry",
        PRICED,
        ceiling(prompt_per_mtok_nanos=usd(0.5)),
        [],
        {"max_price": ["p1", "p2", "p3"]},
    ),
    # ---- require_parameters (the model's supported parameters; None = unknown, nothing filtered)
    case(
        "require-parameters-missing",
        [A, B],
        RoutingPolicy(require_parameters=True),
        [],
        {"require_parameters": ["a", "b"]},
        facts=MISSING_TOOLS,
    ),
    case(
        "require-parameters-all-supported",
        [B, A],
        RoutingPolicy(strategy="price", require_parameters=True),
        ["a", "b"],
        facts=RequestFacts(parameters=frozenset({"temperature"}), supported_parameters=ALL_PARAMS),
    ),
    case(
        "require-parameters-support-unknown",
        [B, A],
        RoutingPolicy(strategy="price", require_parameters=True),
        ["a", "b"],
        facts=RequestFacts(parameters=frozenset({"tools"}), supported_parameters=None),
    ),
    case("require-parameters-off", [B, A], PRICE, ["a", "b"], facts=MISSING_TOOLS),
    # ---- circuit breakers
    case(
        "open-breaker-excluded", [ep("a", 1, health=open_for(12)), B], PRICE, ["b"], {"circuit_open": ["a"]}
    ),
    case(
        "open-breaker-past-cooldown-routable",
        [ep("a", 1, health=EndpointHealth(breaker=Breaker.OPEN, retry_in_seconds=0)), B],
        PRICE,
        ["a", "b"],
    ),
    case("half-open-routable", [ep("a", 1, health=HALF_OPEN), B], PRICE, ["a", "b"]),
    case(
        "all-open-retry-after-soonest",
        [ep("a", 1, health=open_for(12)), ep("b", 2, health=open_for(5))],
        PRICE,
        [],
        {"circuit_open": ["a", "b"]},
        retry_after=5.0,
    ),
    # The endpoint that would reopen soonest is too dear anyway: the retry comes from the other one.
    case(
        "retry-after-only-from-qualifying-endpoints",
        [ep("dear", 9, health=open_for(5)), ep("b", 2, health=open_for(12))],
        ceiling(prompt_per_mtok_nanos=usd(5)),
        [],
        {"max_price": ["dear"], "circuit_open": ["b"]},
        retry_after=12.0,
    ),
    # ---- tiers: healthy, missing a preference, busy, recently failing
    case(
        "unstable-last-even-if-cheapest",
        [ep("u", 1, health=UNSTABLE), ep("s3", 3), ep("s2", 2)],
        PRICE,
        ["s2", "s3", "u"],
    ),
    case(
        "unstable-last-default-strategy",
        [ep("u", 1, health=UNSTABLE), ep("s", 3)],
        RoutingPolicy(),
        ["s", "u"],
    ),
    case(
        "unstable-among-themselves-by-price",
        [ep("u3", 3, health=UNSTABLE), ep("u1", 1, health=UNSTABLE), ep("s", 5)],
        RoutingPolicy(),
        ["s", "u1", "u3"],
    ),
    case(
        "unstable-last-under-sort",
        [
            ep("u", 1, health=EndpointHealth(recent_failures=2, recent_requests=2, throughput_5m=pct(500))),
            ep("s", 2, health=stats(tps=pct(10))),
        ],
        THROUGHPUT,
        ["s", "u"],
    ),
    case(
        "one-failure-is-not-unstable",
        [ep("f", 1, health=EndpointHealth(recent_failures=1, recent_requests=1)), ep("s", 2)],
        PRICE,
        ["f", "s"],
    ),
    case(
        "two-failures-in-five-is-not-unstable",
        [ep("f", 1, health=EndpointHealth(recent_failures=2, recent_requests=5)), ep("s", 2)],
        PRICE,
        ["f", "s"],
    ),
    case(
        "unstable-free-endpoint-still-last",
        [ep("free", 0, health=UNSTABLE), ep("s", 1)],
        RoutingPolicy(),
        ["s", "free"],
    ),
    case("busy-after-free", [ep("busy", 1, busy=True), ep("s", 3)], PRICE, ["s", "busy"]),
    case(
        "busy-after-free-default-strategy",
        [ep("busy", 1, busy=True), ep("s", 3)],
        RoutingPolicy(),
        ["s", "busy"],
    ),
    case(
        "busy-before-unstable", [ep("u", 1, health=UNSTABLE), ep("busy", 3, busy=True)], PRICE, ["busy", "u"]
    ),
    case(
        "preference-miss-before-busy",
        [ep("busy", 1, busy=True), ep("miss", 3, health=stats(tps=pct(50)))],
        TPS_FLOOR,
        ["miss", "busy"],
    ),
    # ---- soft preferences: deprioritise, never exclude (endpoints without data meet them)
    case(
        "min-throughput-p50",
        [ep("slow", 1, health=stats(tps=pct(50))), ep("fast", 2, health=stats(tps=pct(150))), ep("nd", 3)],
        TPS_FLOOR,
        ["fast", "nd", "slow"],
    ),
    case(
        "min-throughput-p90",
        [ep("a", 1, health=stats(tps=pct(50, p90=200))), ep("b", 2, health=stats(tps=pct(150, p90=90)))],
        RoutingPolicy(strategy="price", min_throughput={"p90": 100.0}),
        ["a", "b"],
    ),
    case(
        "min-throughput-equal-meets",
        [ep("edge", 1, health=stats(tps=pct(100))), ep("b", 2)],
        TPS_FLOOR,
        ["edge", "b"],
    ),
    case(
        "max-latency-p50",
        [
            ep("slow", 1, health=stats(latency=pct(2000))),
            ep("quick", 2, health=stats(latency=pct(500))),
            ep("nd", 3),
        ],
        LATENCY_CEILING,
        ["quick", "nd", "slow"],
    ),
    case(
        "max-latency-p99",
        [ep("a", 1, health=stats(latency=pct(100, p99=5000))), ep("b", 2, health=stats(latency=pct(900)))],
        RoutingPolicy(strategy="price", max_latency_ms={"p99": 1000.0}),
        ["b", "a"],
    ),
    case(
        "max-latency-equal-meets",
        [ep("edge", 1, health=stats(latency=pct(1000))), ep("b", 2)],
        LATENCY_CEILING,
        ["edge", "b"],
    ),
    case(
        "all-miss-preference-none-excluded",
        [ep("b", 2, health=stats(latency=pct(3000))), ep("a", 1, health=stats(latency=pct(2000)))],
        LATENCY_CEILING,
        ["a", "b"],
    ),
    case(
        "preference-default-strategy",
        [ep("miss", 1, health=stats(tps=pct(5))), ep("ok", 9)],
        RoutingPolicy(min_throughput={"p50": 100.0}),
        ["ok", "miss"],
    ),
    case(
        "max-output-tokens-above-endpoint-limit",
        [
            ep("short", 1, max_completion=1000),
            ep("long", 2, max_completion=8000),
            ep("exact", 2.5, max_completion=4000),
            ep("unknown", 3),
        ],
        PRICE,
        ["long", "exact", "unknown", "short"],
        facts=RequestFacts(max_output_tokens=4000),
    ),
    case(
        "max-output-tokens-unset",
        [ep("short", 1, max_completion=1000), ep("long", 2, max_completion=8000)],
        PRICE,
        ["short", "long"],
    ),
    # ---- free endpoints
    case("free-first-default", [ep("cheap", 0.000001), ep("free", 0)], RoutingPolicy(), ["free", "cheap"]),
    case(
        "request-fee-is-not-free",
        [ep("fee", 0, request_nanos=1), ep("zero", 0)],
        RoutingPolicy(),
        ["zero", "fee"],
    ),
]


@pytest.mark.parametrize(("candidates", "policy", "facts", "expected", "excluded", "retry_after"), CASES)
def test_plan(
    candidates: Sequence[Candidate],
    policy: RoutingPolicy,
    facts: RequestFacts,
    expected: list[str],
    excluded: dict[str, list[str]],
    retry_after: float | None,
) -> None:
    for seed in SEEDS:
        result = plan(candidates, policy, facts, random.Random(seed))
        assert names(result) == expected, f"seed {seed}"
        assert sorted_excluded(result) == excluded
        assert result.retry_after_seconds == retry_after


def test_plan_does_not_modify_candidates() -> None:
    candidates = [C, A, D, B]
    plan(candidates, RoutingPolicy(only=frozenset({"a", "b"})), RequestFacts(), random.Random(0))
    assert candidates == [C, A, D, B]


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [(EAST, "openai/east"), (WEST, "openai/EU-West"), (LOCAL, "local")],
)
def test_tag(candidate: Candidate, expected: str) -> None:
    assert tag(candidate.route) == expected


# ------------------------------------------------------------------------------------------- randomness


def _first_picks(candidates: Sequence[Candidate], policy: RoutingPolicy, n: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    return Counter(plan(candidates, policy, RequestFacts(), rng).attempts[0].channel_name for _ in range(n))


def _binomial_bounds(n: int, p: float, sds: float = 5.0) -> tuple[float, float]:
    """Mean ± `sds` standard deviations of Binomial(n, p): a correct implementation lands outside with
    probability < 1e-6 (and with a fixed seed the outcome is fixed anyway), a wrong weighting far outside."""
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return mean - sds * sd, mean + sds * sd


def test_inverse_square_weighting_openrouter_example() -> None:
    """OpenRouter's own example: A=$1/M, B=$2/M with recent outages, C=$3/M. A is tried first 9 times as
    often as C (1/1² : 1/3²), B never first; if A fails C is next; B is tried last.

    P(C first) = (1/9) / (1 + 1/9) = 0.1. Over N = 20,000 plans the count of C is Binomial(20000, 0.1):
    mean 2000, sd √(20000·0.1·0.9) ≈ 42.4. Five sd -> C ∈ [1788, 2212], i.e. A:C ∈ [8.04, 10.19]. Weighting by
    1/price instead (P = 0.25, C ≈ 5000) or evenly (C ≈ 10,000) is dozens of sd outside.
    """
    a = ep("A", 1)
    b = ep("B", 2, health=EndpointHealth(recent_failures=3, recent_requests=4))
    c = ep("C", 3)
    n = 20_000
    rng = random.Random(20_240_601)
    firsts: Counter[str] = Counter()
    for _ in range(n):
        order = names(plan([b, c, a], RoutingPolicy(), RequestFacts(), rng))
        firsts[order[0]] += 1
        # Whoever is first, the other stable one is next and B is last: after A fails, C.
        assert order in (["A", "C", "B"], ["C", "A", "B"])
    assert firsts["B"] == 0
    low, high = _binomial_bounds(n, 0.1)
    assert low <= firsts["C"] <= high, firsts
    ratio = firsts["A"] / firsts["C"]
    assert (n - high) / high <= ratio <= (n - low) / low, ratio


def test_inverse_square_equal_prices_split_evenly() -> None:
    """Without A, the two $3 endpoints weigh the same: Binomial(4000, 0.5), sd ≈ 31.6, ±5 sd."""
    c1, c2 = ep("C1", 3), ep("C2", 3)
    b = ep("B", 2, health=UNSTABLE)
    n = 4000
    firsts = _first_picks([b, c1, c2], RoutingPolicy(), n, seed=11)
    assert firsts["B"] == 0
    low, high = _binomial_bounds(n, 0.5)
    assert low <= firsts["C1"] <= high, firsts
    assert firsts["C1"] + firsts["C2"] == n


def test_default_fallbacks_in_price_order_whoever_is_first() -> None:
    rng = random.Random(5)
    firsts: Counter[str] = Counter()
    for _ in range(2000):
        order = names(plan(ABCD, RoutingPolicy(), RequestFacts(), rng))
        firsts[order[0]] += 1
        assert order[1:] == sorted(order[1:]), order  # a < b < c < d in price
        assert sorted(order) == ["a", "b", "c", "d"]
    # Load balanced by 1/price²: shares 1 : 1/4 : 1/9 : 1/16 of 1.424, i.e. about 1405, 351, 156 and 88 of
    # 2000; neighbouring counts differ by over 4 sd, so their order is a fair check.
    assert set(firsts) == {"a", "b", "c", "d"}
    assert firsts["a"] > firsts["b"] > firsts["c"] > firsts["d"]


def test_default_without_fallbacks_one_attempt() -> None:
    rng = random.Random(3)
    for _ in range(50):
        assert len(plan(ABCD, RoutingPolicy(allow_fallbacks=False), RequestFacts(), rng).attempts) == 1


def test_free_endpoints_always_first_and_picked_evenly() -> None:
    """Two free endpoints and a nearly free one: a free one is always first (Binomial(4000, 0.5) between
    the two, ±5 sd), then the other free one, then the paid one."""
    f1, f2, paid = ep("F1", 0), ep("F2", 0), ep("paid", 0.000001)
    rng = random.Random(99)
    n = 4000
    firsts: Counter[str] = Counter()
    for _ in range(n):
        order = names(plan([paid, f2, f1], RoutingPolicy(), RequestFacts(), rng))
        assert order[2] == "paid"
        firsts[order[0]] += 1
    low, high = _binomial_bounds(n, 0.5)
    assert low <= firsts["F1"] <= high, firsts
    assert firsts["F1"] + firsts["F2"] == n


def test_weighted_strategy_picks_by_weight_within_priority() -> None:
    """Weight 200 against 100 in one priority: first with p = 2/3; Binomial(6000, 2/3), sd ≈ 36.5, ±5 sd.
    The lower priority, however heavy, always comes last."""
    heavy = ep("heavy", 5, priority=5, weight=200)
    light = ep("light", 1, priority=5, weight=100)
    backup = ep("backup", 0.1, priority=0, weight=10_000)
    rng = random.Random(42)
    n = 6000
    firsts: Counter[str] = Counter()
    for _ in range(n):
        order = names(plan([backup, light, heavy], RoutingPolicy(strategy="weighted"), RequestFacts(), rng))
        assert order[2] == "backup"
        assert sorted(order[:2]) == ["heavy", "light"]
        firsts[order[0]] += 1
    low, high = _binomial_bounds(n, 2 / 3)
    assert low <= firsts["heavy"] <= high, firsts


def test_same_seed_same_plan() -> None:
    one = [names(plan(ABCD, RoutingPolicy(), RequestFacts(), random.Random(8))) for _ in range(3)]
    assert one[0] == one[1] == one[2]


def test_order_disables_load_balancing_of_the_fallbacks() -> None:
    # b ($1) and c ($1.10) after the ordered x: with load balancing off they come in price order every time.
    # Load balanced, c would come first 1/1.21 / (1 + 1/1.21) ≈ 45% of the time.
    pool = [ep("x", 9), ep("c", 1.1), ep("b", 1)]
    rng = random.Random(7)
    for _ in range(50):
        assert names(plan(pool, RoutingPolicy(order=("x",)), RequestFacts(), rng)) == ["x", "b", "c"]


def test_data_policies_keep_only_endpoints_known_to_comply() -> None:
    keeps = ep("keeps", 1)
    no_training = ep("no-training", 2, data={"no_training": True})
    zdr = ep("zdr", 3, data={"no_training": True, "zdr": True})
    pool = [keeps, no_training, zdr]
    deny = plan(
        pool, RoutingPolicy(strategy="price", deny_data_collection=True), RequestFacts(), random.Random(1)
    )
    assert [r.channel_name for r in deny.attempts] == ["no-training", "zdr"]
    assert deny.excluded == {"data_policy:training": ["keeps"]}
    strict = plan(pool, RoutingPolicy(zdr=True), RequestFacts(), random.Random(1))
    assert [r.channel_name for r in strict.attempts] == ["zdr"]
    assert strict.excluded == {"data_policy:zdr": ["keeps", "no-training"]}
    none = plan([keeps], RoutingPolicy(zdr=True), RequestFacts(), random.Random(1))
    assert none.attempts == [] and none.excluded == {"data_policy:zdr": ["keeps"]}
