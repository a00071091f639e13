"""Orders a model's channels into the attempts a request makes. Pure: the caller supplies the randomness."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from modelyard.billing.pricing import Price


@dataclass(frozen=True, slots=True)
class Route:
    """A channel that serves one model, with what is needed to call it."""

    channel_id: int
    channel_name: str
    provider: str
    base_url: str
    api_key: str
    upstream_model: str
    priority: int
    weight: int
    # Provider-specific channel options (extra headers, api_version, ...), read by the adapter.
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # This endpoint's billed price when it differs from the model's; None = the model's price.
    price: Price | None = None


def plan_attempts(routes: Sequence[Route], rng: random.Random) -> list[Route]:
    """Highest priority first; within one priority, a weighted random order (weight 200 is picked first
    twice as often as weight 100); lower priorities follow as fallbacks."""
    ordered: list[Route] = []
    for _priority, group in groupby(sorted(routes, key=lambda r: -r.priority), key=lambda r: r.priority):
        members = list(group)
        while members:
            pick = rng.choices(range(len(members)), weights=[m.weight for m in members])[0]
            ordered.append(members.pop(pick))
    return ordered
