"""Orders a model's endpoints into the attempts a request makes. Pure: candidates, their health, the policy
and a seeded random generator in; the ordered attempts (and why others were left out) out."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any

from modelyard.billing.pricing import Price
from modelyard.routing.health import UNKNOWN, EndpointHealth
from modelyard.routing.policy import RoutingPolicy


@dataclass(frozen=True, slots=True)
class Route:
    """A channel that serves one model, with what is needed to call it."""

    channel_id: int
    channel_name: str
    provider: str
    base_url: str
    api_key: str  # the first of api_keys
    upstream_model: str
    priority: int
    weight: int
    # Provider-specific channel options (extra headers, api_version, timeouts, ...), read by the adapter.
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Every key of the channel; requests use them in turn.
    api_keys: tuple[str, ...] = field(default=(), hash=False, compare=False)
    # This endpoint's billed price when it differs from the model's; None = the model's price.
    price: Price | None = None
    # The catalogue provider the channel reaches (slug and display name); None = the channel stands alone.
    provider_slug: str | None = None
    provider_name: str | None = None
    # The endpoint's own limits; None = the model's.
    context_length: int | None = None
    max_completion_tokens: int | None = None

    @property
    def quantization(self) -> str:
        value = self.options.get("quantization")
        return value if isinstance(value, str) else "unknown"

    def matches(self, slug: str) -> bool:
        """OpenRouter's slug matching for order/only/ignore: a provider's base slug matches all its
        channels; `provider/channel` or the channel's name matches that one."""
        slug = slug.lower()
        name = self.channel_name.lower()
        if slug == name:
            return True
        if self.provider_slug is None:
            return False
        return slug == self.provider_slug or slug == f"{self.provider_slug}/{name}"


@dataclass(frozen=True, slots=True)
class Candidate:
    route: Route
    price: Price  # what the user is billed through this endpoint
    health: EndpointHealth = UNKNOWN
    is_busy: bool = False  # at its max concurrency right now


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the planner must know of the request itself."""

    parameters: frozenset[str] = frozenset()  # the body's fields that are model parameters
    supported_parameters: frozenset[str] | None = None  # the model's; None = unknown (nothing filtered)
    max_output_tokens: int | None = None


@dataclass
class Plan:
    attempts: list[Route]
    # constraint -> endpoint tags it removed (for the no-route error's metadata)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    retry_after_seconds: float | None = None  # when every endpoint left is cooling down


def plan(
    candidates: Sequence[Candidate], policy: RoutingPolicy, facts: RequestFacts, rng: random.Random
) -> Plan:
    excluded: dict[str, list[str]] = {}

    def drop(reason: str, keep: Callable[[Candidate], bool], pool: list[Candidate]) -> list[Candidate]:
        kept = [c for c in pool if keep(c)]
        if len(kept) < len(pool):
            excluded.setdefault(reason, []).extend(tag(c.route) for c in pool if not keep(c))
        return kept

    pool = list(candidates)
    if policy.only:
        pool = drop("allowed_providers", lambda c: any(c.route.matches(s) for s in policy.only), pool)
    if policy.ignore:
        pool = drop("ignored_providers", lambda c: not any(c.route.matches(s) for s in policy.ignore), pool)
    if policy.quantizations is not None:
        allowed = policy.quantizations
        pool = drop("quantization", lambda c: c.route.quantization in allowed, pool)
    if policy.max_price is not None:
        pool = drop("max_price", lambda c: _within(c.price, policy), pool)
    if policy.deny_data_collection:
        pool = drop("data_policy:training", lambda c: c.route.options.get("no_training") is True, pool)
    if policy.zdr:
        pool = drop("data_policy:zdr", lambda c: c.route.options.get("zdr") is True, pool)
    if policy.require_parameters and facts.supported_parameters is not None:
        missing = facts.parameters - facts.supported_parameters
        if missing:
            pool = drop("require_parameters", lambda c: False, pool)
    cooling = [c for c in pool if not c.health.is_routable]
    if cooling:
        pool = drop("circuit_open", lambda c: c.health.is_routable, pool)
    if not pool:
        retry = min((c.health.retry_in_seconds for c in cooling), default=None)
        return Plan([], excluded, retry)

    if policy.order:
        ordered: list[Candidate] = []
        for slug in policy.order:
            ordered.extend(c for c in pool if c.route.matches(slug) and all(c is not o for o in ordered))
        rest = [c for c in pool if all(c is not o for o in ordered)]
        if not policy.allow_fallbacks:
            if not ordered:
                drop("order", lambda c: False, rest)
            return Plan([c.route for c in ordered], excluded)
        # `order` turns load balancing off: the fallbacks after it go cheapest first.
        unbalanced = replace(policy, strategy="price") if policy.strategy == "default" else policy
        return Plan([c.route for c in ordered + _arrange(rest, unbalanced, facts, rng)], excluded)
    if len(pool) == 1:
        return Plan([pool[0].route], excluded)
    arranged = _arrange(pool, policy, facts, rng)
    if not policy.allow_fallbacks:
        arranged = arranged[:1]
    return Plan([c.route for c in arranged], excluded)


def tag(route: Route) -> str:
    """The endpoint's slug as clients name it: `provider/channel`, or the channel's name alone."""
    return (
        route.channel_name if route.provider_slug is None else f"{route.provider_slug}/{route.channel_name}"
    )


def _arrange(
    pool: list[Candidate], policy: RoutingPolicy, facts: RequestFacts, rng: random.Random
) -> list[Candidate]:
    """Healthy endpoints that meet the soft preferences first, ordered by the strategy; then those that
    miss a preference; then busy ones; then the ones that failed recently, cheapest first."""
    tiers: list[list[Candidate]] = [[], [], [], []]
    has_preferences = bool(policy.min_throughput or policy.max_latency_ms or facts.max_output_tokens)
    for candidate in pool:
        if candidate.health.is_unstable:
            tiers[3].append(candidate)
        elif candidate.is_busy:
            tiers[2].append(candidate)
        elif has_preferences and not _meets_preferences(candidate, policy, facts):
            tiers[1].append(candidate)
        else:
            tiers[0].append(candidate)
    if len(tiers[0]) == len(pool):
        return _by_strategy(tiers[0], policy.strategy, rng)
    result = _by_strategy(tiers[0], policy.strategy, rng)
    result += _by_strategy(tiers[1], policy.strategy, rng)
    result += _by_strategy(tiers[2], policy.strategy, rng)
    result += sorted(tiers[3], key=_price_key)
    return result


def _by_strategy(pool: list[Candidate], strategy: str, rng: random.Random) -> list[Candidate]:
    if not pool:
        return []
    if strategy == "price":
        return sorted(pool, key=_price_key)
    if strategy == "latency":
        known = [c for c in pool if c.health.latency_5m is not None]
        unknown = [c for c in pool if c.health.latency_5m is None]
        known.sort(key=lambda c: (c.health.latency_5m.p50 if c.health.latency_5m else 0.0, _price_key(c)))
        return known + sorted(unknown, key=_price_key)
    if strategy == "throughput":
        known = [c for c in pool if c.health.throughput_5m is not None]
        unknown = [c for c in pool if c.health.throughput_5m is None]
        known.sort(
            key=lambda c: (-(c.health.throughput_5m.p50 if c.health.throughput_5m else 0.0), _price_key(c))
        )
        return known + sorted(unknown, key=_price_key)
    if strategy == "weighted":
        return _weighted(pool, rng)
    return _inverse_square(pool, rng)


def _inverse_square(pool: list[Candidate], rng: random.Random) -> list[Candidate]:
    """OpenRouter's default: the first pick weighted by 1/price², the rest as fallbacks in price order.
    Free endpoints (price 0) are always preferred, picked evenly among themselves."""
    keyed = sorted(((_price_key(c), c) for c in pool), key=lambda item: item[0])
    by_price = [c for _, c in keyed]
    free = [c for key, c in keyed if key == 0]
    if free:
        first = free[rng.randrange(len(free))]
    else:
        weights = [1.0 / float(key) ** 2 for key, _ in keyed]
        first = by_price[rng.choices(range(len(by_price)), weights=weights)[0]]
    return [first] + [c for c in by_price if c is not first]


def _weighted(pool: list[Candidate], rng: random.Random) -> list[Candidate]:
    """Highest priority first; within one priority, a weighted random order (weight 200 is picked first
    twice as often as weight 100); lower priorities follow as fallbacks."""
    ordered: list[Candidate] = []
    tiers = sorted(pool, key=lambda c: -c.route.priority)
    for _priority, group in groupby(tiers, key=lambda c: c.route.priority):
        members = list(group)
        while members:
            pick = rng.choices(range(len(members)), weights=[m.route.weight for m in members])[0]
            ordered.append(members.pop(pick))
    return ordered


def _price_key(candidate: Candidate) -> int:
    """One number to compare endpoints by: prompt plus completion per million tokens, plus the per-request
    price spread over a nominal thousand requests' worth (so a per-request fee still counts)."""
    price = candidate.price
    return price.prompt_per_mtok_nanos + price.completion_per_mtok_nanos + price.request_nanos * 1000


def _within(price: Price, policy: RoutingPolicy) -> bool:
    ceiling = policy.max_price
    if ceiling is None:
        return True
    return all(
        limit is None or actual <= limit
        for actual, limit in (
            (price.prompt_per_mtok_nanos, ceiling.prompt_per_mtok_nanos),
            (price.completion_per_mtok_nanos, ceiling.completion_per_mtok_nanos),
            (price.request_nanos, ceiling.request_nanos),
        )
    )


def _meets_preferences(candidate: Candidate, policy: RoutingPolicy, facts: RequestFacts) -> bool:
    route, health = candidate.route, candidate.health
    if (
        facts.max_output_tokens
        and route.max_completion_tokens
        and route.max_completion_tokens < facts.max_output_tokens
    ):
        return False
    for percentile, floor in policy.min_throughput.items():
        if health.throughput_5m is not None and getattr(health.throughput_5m, percentile) < floor:
            return False
    for percentile, ceiling in policy.max_latency_ms.items():
        if health.latency_5m is not None and getattr(health.latency_5m, percentile) > ceiling:
            return False
    return True
