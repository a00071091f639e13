"""The one function that turns usage into a cost. Pure: no I/O, integers only."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.kit.money import TOKENS_PER_MTOK
from modelyard.llm.usage import Usage


@dataclass(frozen=True, slots=True)
class Price:
    """A model's price in integer nano-USD: per million tokens, or per request."""

    prompt_per_mtok_nanos: int = 0
    completion_per_mtok_nanos: int = 0
    internal_reasoning_per_mtok_nanos: int = 0
    cache_read_per_mtok_nanos: int = 0
    cache_write_per_mtok_nanos: int = 0
    request_nanos: int = 0


def cost_nanos(price: Price, usage: Usage) -> int:
    """Cost of one request.

    - Prompt tokens include cached ones (OpenAI's convention). Cached tokens are billed at the cache-read
      price and cache writes at the cache-write price when those are set; otherwise at the prompt price.
    - Completion tokens include reasoning tokens. Reasoning is billed at the internal-reasoning price when one
      is set; otherwise at the completion price.
    - Rounding, the only one: token costs are summed exactly in nano-USD × 10⁻⁶ and the total is rounded
      half-up to a whole nano once; the per-request price is then added.
    """
    prompt = usage.prompt_tokens or 0
    completion = usage.completion_tokens or 0
    cached = min(usage.cached_tokens or 0, prompt) if price.cache_read_per_mtok_nanos else 0
    cache_write = (
        min(usage.cache_write_tokens or 0, prompt - cached) if price.cache_write_per_mtok_nanos else 0
    )
    reasoning = min(usage.reasoning_tokens or 0, completion) if price.internal_reasoning_per_mtok_nanos else 0

    scaled = (
        (prompt - cached - cache_write) * price.prompt_per_mtok_nanos
        + cached * price.cache_read_per_mtok_nanos
        + cache_write * price.cache_write_per_mtok_nanos
        + (completion - reasoning) * price.completion_per_mtok_nanos
        + reasoning * price.internal_reasoning_per_mtok_nanos
    )
    return (scaled + TOKENS_PER_MTOK // 2) // TOKENS_PER_MTOK + price.request_nanos


def max_cost_nanos(price: Price, prompt_tokens: int, completion_tokens: int) -> int:
    """The most a request can cost: every prompt token at the dearer of the prompt and cache-write prices,
    every completion token at the dearer of the completion and reasoning prices."""
    prompt_rate = max(price.prompt_per_mtok_nanos, price.cache_write_per_mtok_nanos)
    completion_rate = max(price.completion_per_mtok_nanos, price.internal_reasoning_per_mtok_nanos)
    scaled = prompt_tokens * prompt_rate + completion_tokens * completion_rate
    # Round up: a reservation must never be short of the real cost.
    return -(-scaled // TOKENS_PER_MTOK) + price.request_nanos
