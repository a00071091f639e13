"""What a request costs. Expectations are worked out by hand: price in nanos per million tokens (Mtok), so
cost = Σ tokens × price / 1_000_000, rounded half-up once, plus the per-request price."""

from __future__ import annotations

import itertools

import pytest

from modelyard.billing.pricing import Price, cost_nanos, max_cost_nanos
from modelyard.llm.usage import Usage

# openai/gpt-4o in the shipped catalogue: $2.50 / $10 per Mtok, cached input $1.25.
GPT_4O = Price(
    prompt_per_mtok_nanos=2_500_000_000,
    completion_per_mtok_nanos=10_000_000_000,
    cache_read_per_mtok_nanos=1_250_000_000,
)


def test_prompt_and_completion() -> None:
    # 1000 × 2_500_000_000 + 500 × 10_000_000_000 = 2.5e12 + 5e12 = 7.5e12; / 1e6 = 7_500_000 nanos ($0.0075)
    assert cost_nanos(GPT_4O, Usage(prompt_tokens=1000, completion_tokens=500)) == 7_500_000


def test_deepseek_prices_with_odd_digits() -> None:
    price = Price(prompt_per_mtok_nanos=257_400_000, completion_per_mtok_nanos=1_028_700_000)
    # 13 × 257_400_000 + 7 × 1_028_700_000 = 3_346_200_000 + 7_200_900_000 = 10_547_100_000
    # / 1e6 = 10_547.1 -> 10_547
    assert cost_nanos(price, Usage(prompt_tokens=13, completion_tokens=7)) == 10_547


@pytest.mark.parametrize(
    ("prompt_price", "completion_price", "expected"),
    [
        # 1 × 500_000 + 1 × 500_000 = 1_000_000 -> 1 nano.
        # Rounded separately: 0.5 -> 1 and 0.5 -> 1, total 2 (one nano too much).
        (500_000, 500_000, 1),
        # 1 × 400_000 + 1 × 400_000 = 800_000 -> 0.8 -> 1.
        # Rounded separately: 0.4 -> 0 and 0.4 -> 0, total 0 (one nano too little).
        (400_000, 400_000, 1),
        # 0.3 + 0.3 = 0.6 -> 1; separately 0 + 0.
        (300_000, 300_000, 1),
        # 0.2 + 0.2 = 0.4 -> 0.
        (200_000, 200_000, 0),
    ],
)
def test_total_is_rounded_once(prompt_price: int, completion_price: int, expected: int) -> None:
    price = Price(prompt_per_mtok_nanos=prompt_price, completion_per_mtok_nanos=completion_price)
    assert cost_nanos(price, Usage(prompt_tokens=1, completion_tokens=1)) == expected


@pytest.mark.parametrize(
    ("prompt_tokens", "expected"),
    [
        (5, 3),  # 5 × 500_000 = 2_500_000 -> 2.5 -> 3 (half-up; banker's rounding would give 2)
        (3, 2),  # 1.5 -> 2
        (1, 1),  # 0.5 -> 1
        (2, 1),  # 1.0 -> 1
    ],
)
def test_half_rounds_up(prompt_tokens: int, expected: int) -> None:
    price = Price(prompt_per_mtok_nanos=500_000)
    assert cost_nanos(price, Usage(prompt_tokens=prompt_tokens, completion_tokens=0)) == expected


def test_cached_tokens_at_the_cache_read_price() -> None:
    # Prompt tokens include the cached ones: 600 uncached + 400 cached.
    # 600 × 2_500_000_000 + 400 × 1_250_000_000 = 1.5e12 + 0.5e12 = 2e12 -> 2_000_000
    usage = Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=400)
    assert cost_nanos(GPT_4O, usage) == 2_000_000


def test_cached_tokens_at_the_prompt_price_when_no_cache_price_is_set() -> None:
    price = Price(prompt_per_mtok_nanos=2_500_000_000, completion_per_mtok_nanos=10_000_000_000)
    # No cache-read price: all 1000 prompt tokens at 2_500_000_000 -> 2_500_000 (not a free cache)
    usage = Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=400)
    assert cost_nanos(price, usage) == 2_500_000


def test_more_cached_than_prompt_tokens_bills_the_prompt_once() -> None:
    # An upstream reporting 5000 cached of 1000 prompt tokens: the 1000 are billed at the cache price,
    # never a negative count at the prompt price. 1000 × 1_250_000_000 = 1.25e12 -> 1_250_000
    usage = Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=5000)
    assert cost_nanos(GPT_4O, usage) == 1_250_000


def test_cache_writes_at_the_cache_write_price() -> None:
    # Anthropic-style: $3 prompt, $0.30 cache read, $3.75 cache write, $15 completion per Mtok.
    price = Price(
        prompt_per_mtok_nanos=3_000_000_000,
        completion_per_mtok_nanos=15_000_000_000,
        cache_read_per_mtok_nanos=300_000_000,
        cache_write_per_mtok_nanos=3_750_000_000,
    )
    usage = Usage(prompt_tokens=1000, completion_tokens=10, cached_tokens=400, cache_write_tokens=100)
    # 500 × 3e9 + 400 × 3e8 + 100 × 3.75e9 + 10 × 1.5e10 = 1.5e12 + 1.2e11 + 3.75e11 + 1.5e11 = 2.145e12
    # -> 2_145_000
    assert cost_nanos(price, usage) == 2_145_000


def test_reasoning_tokens_at_the_internal_reasoning_price() -> None:
    # perplexity/sonar-deep-research: $8 completion, $3 internal reasoning per Mtok.
    price = Price(completion_per_mtok_nanos=8_000_000_000, internal_reasoning_per_mtok_nanos=3_000_000_000)
    # Completion tokens include reasoning: 300 visible + 200 reasoning.
    # 300 × 8e9 + 200 × 3e9 = 2.4e12 + 0.6e12 = 3e12 -> 3_000_000
    usage = Usage(prompt_tokens=0, completion_tokens=500, reasoning_tokens=200)
    assert cost_nanos(price, usage) == 3_000_000


def test_reasoning_tokens_at_the_completion_price_when_no_reasoning_price_is_set() -> None:
    # 500 × 10_000_000_000 = 5e12 -> 5_000_000 (reasoning is not free)
    usage = Usage(prompt_tokens=0, completion_tokens=500, reasoning_tokens=200)
    assert cost_nanos(GPT_4O, usage) == 5_000_000


def test_per_request_price_is_added_after_rounding() -> None:
    price = Price(prompt_per_mtok_nanos=500_000, request_nanos=5_000_000)
    # 1 × 500_000 = 0.5 nano -> 1, plus 5_000_000 for the request = 5_000_001
    assert cost_nanos(price, Usage(prompt_tokens=1, completion_tokens=0)) == 5_000_001
    # 0 tokens: the request price alone
    assert cost_nanos(price, Usage(prompt_tokens=0, completion_tokens=0)) == 5_000_000


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (Usage(), 0),
        # completion only: 100 × 10_000_000_000 = 1e12 -> 1_000_000
        (Usage(prompt_tokens=None, completion_tokens=100), 1_000_000),
        # prompt only: 100 × 2_500_000_000 = 2.5e11 -> 250_000
        (Usage(prompt_tokens=100, completion_tokens=None), 250_000),
        # unknown cached / reasoning counts are 0: all 100 prompt tokens at the prompt price, as above
        (Usage(prompt_tokens=100, completion_tokens=0, cached_tokens=None, reasoning_tokens=None), 250_000),
    ],
)
def test_unreported_counts_are_zero(usage: Usage, expected: int) -> None:
    assert cost_nanos(GPT_4O, usage) == expected


def test_max_cost_rounds_up() -> None:
    price = Price(prompt_per_mtok_nanos=1)
    # 1 × 1 = 1e-6 nano: the charge rounds to 0, the reservation to 1.
    assert cost_nanos(price, Usage(prompt_tokens=1, completion_tokens=0)) == 0
    assert max_cost_nanos(price, 1, 0) == 1
    # 1000 × 2_500_000_000 + 4096 × 10_000_000_000 = 2.5e12 + 4.096e13 = 4.346e13 -> 43_460_000 (exact)
    assert max_cost_nanos(GPT_4O, 1000, 4096) == 43_460_000


def test_max_cost_uses_the_dearer_of_the_prompt_and_cache_write_prices() -> None:
    price = Price(prompt_per_mtok_nanos=3_000_000_000, cache_write_per_mtok_nanos=3_750_000_000)
    # 1000 × 3_750_000_000 = 3.75e12 -> 3_750_000
    assert max_cost_nanos(price, 1000, 0) == 3_750_000


# Prices chosen to hit the rounding edges (0.5 nano, 1e-6 nano, odd digits) and every price component.
# The cache-read price is never above the prompt price (a discount), as max_cost_nanos documents.
GRID_PRICES = [
    Price(),
    Price(prompt_per_mtok_nanos=1, completion_per_mtok_nanos=1),
    Price(prompt_per_mtok_nanos=500_000, completion_per_mtok_nanos=499_999),
    Price(prompt_per_mtok_nanos=333_333, completion_per_mtok_nanos=666_667, request_nanos=7),
    GPT_4O,
    Price(
        prompt_per_mtok_nanos=257_400_001,
        completion_per_mtok_nanos=1_028_700_003,
        cache_read_per_mtok_nanos=25_740_001,
        cache_write_per_mtok_nanos=321_750_001,
    ),
    Price(completion_per_mtok_nanos=1_500_001, internal_reasoning_per_mtok_nanos=2_500_003),
    Price(
        prompt_per_mtok_nanos=999_999,
        completion_per_mtok_nanos=1_000_001,
        internal_reasoning_per_mtok_nanos=999_999,
        cache_read_per_mtok_nanos=999_999,
        cache_write_per_mtok_nanos=1_000_001,
        request_nanos=1,
    ),
]


@pytest.mark.parametrize("price", GRID_PRICES)
def test_max_cost_is_never_below_the_cost_of_the_same_or_fewer_tokens(price: Price) -> None:
    limits = [0, 1, 2, 3, 7, 1000]
    for max_prompt, max_completion in itertools.product(limits, limits):
        ceiling = max_cost_nanos(price, max_prompt, max_completion)
        for prompt, completion in itertools.product(
            {0, max_prompt // 2, max_prompt}, {0, max_completion // 2, max_completion}
        ):
            for cached, cache_write, reasoning in itertools.product(
                {0, prompt // 3, prompt}, {0, prompt // 2, prompt}, {0, completion // 2, completion}
            ):
                usage = Usage(
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    cached_tokens=cached,
                    cache_write_tokens=cache_write,
                    reasoning_tokens=reasoning,
                )
                cost = cost_nanos(price, usage)
                assert cost <= ceiling, (price, max_prompt, max_completion, usage, cost, ceiling)
