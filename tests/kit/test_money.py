"""Money parsing and formatting: every balance, price and charge goes through these functions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modelyard.kit.money import (
    MAX_NANOS,
    MoneyError,
    nanos_to_usd_str,
    per_mtok_nanos_to_per_token_usd_str,
    per_token_usd_to_per_mtok_nanos,
    per_unit_usd_to_nanos,
    usd_to_nanos,
)


@pytest.mark.parametrize(
    ("value", "nanos"),
    [
        ("0", 0),
        ("1", 1_000_000_000),
        ("12.5", 12_500_000_000),
        ("2.50", 2_500_000_000),
        ("0.000000001", 1),
        ("0.123456789", 123_456_789),
        ("-2.5", -2_500_000_000),
        ("1e3", 1_000_000_000_000),
        (" 7 ", 7_000_000_000),
        (3, 3_000_000_000),
        (Decimal("0.1"), 100_000_000),
        ("9223372036.854775807", MAX_NANOS),  # the most a BIGINT column holds
    ],
)
def test_usd_to_nanos_is_exact(value: str | int | Decimal, nanos: int) -> None:
    assert usd_to_nanos(value) == nanos


@pytest.mark.parametrize(
    "value",
    [
        "0.0000000001",
        "1.0000000001",
        "-0.0000000005",
        # 30 significant digits: Decimal's default 28-digit context would round this to exactly 1 USD.
        "1.00000000000000000000000000001",
    ],
)
def test_usd_to_nanos_refuses_more_than_nine_decimals(value: str) -> None:
    with pytest.raises(MoneyError, match="more than 9 decimal places"):
        usd_to_nanos(value)


@pytest.mark.parametrize("value", ["", "abc", "1.2.3", "0x10", "1,5", "$5", "NaN", "Infinity", "-inf"])
def test_usd_to_nanos_refuses_garbage(value: str) -> None:
    with pytest.raises(MoneyError, match="not a"):
        usd_to_nanos(value)


@pytest.mark.parametrize("value", [None, [1], {"usd": 1}, True])
def test_values_that_are_not_numbers_are_money_errors(value: object) -> None:
    # Catalogue documents are JSON: a null, list or boolean price must be a MoneyError (reported as a format
    # error), not a TypeError escaping as a traceback.
    for parse in (usd_to_nanos, per_token_usd_to_per_mtok_nanos, per_unit_usd_to_nanos):
        with pytest.raises(MoneyError, match="not a decimal number"):
            parse(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["9223372036.854775808", "1e30", "-1e30", "1e999999"])
def test_amounts_beyond_a_bigint_column_are_refused(value: str) -> None:
    with pytest.raises(MoneyError, match="out of range"):
        usd_to_nanos(value)
    with pytest.raises(MoneyError, match="out of range"):
        per_token_usd_to_per_mtok_nanos(value)


@pytest.mark.parametrize(
    ("per_token", "per_mtok_nanos"),
    [
        ("0", 0),
        ("0.0000025", 2_500_000_000),  # openai/gpt-4o prompt: $2.50 per million tokens
        ("0.00001", 10_000_000_000),
        ("0.00000015", 150_000_000),
        ("0.000000075", 75_000_000),
        ("0.0000002574", 257_400_000),
        ("0.0000010287", 1_028_700_000),
        ("0.000000000000001", 1),  # 15 decimals: one nano per million tokens, exact
        ("0.000000000000123", 123),
        ("0.123456789012345", 123_456_789_012_345),
        ("1", 1_000_000_000_000_000),
        ("0.0000025000000000000", 2_500_000_000),  # trailing zeros are not extra precision
        (Decimal("0.0000025"), 2_500_000_000),
        ("-1", -1_000_000_000_000_000),  # OpenRouter's "undefined" marker parses; the importer handles it
    ],
)
def test_per_token_price_is_exact_up_to_fifteen_decimals(
    per_token: str | Decimal, per_mtok_nanos: int
) -> None:
    assert per_token_usd_to_per_mtok_nanos(per_token) == per_mtok_nanos


@pytest.mark.parametrize(
    ("per_token", "per_mtok_nanos"),
    [
        ("0.0000000000000005", 1),  # 0.5 nano -> 1 (half-up)
        ("0.0000000000000004", 0),  # 0.4 -> 0
        ("0.0000000000000015", 2),  # 1.5 -> 2
        ("0.0000000000000025", 3),  # 2.5 -> 3: half-up, not banker's rounding (which gives 2)
        ("-0.0000000000000005", -1),  # half-up rounds away from zero
        (
            "0.0000000208333333333333",
            20_833_333,
        ),  # 22 decimals, google/gemini-3.7-flash cache write: .333 down
        ("0.0000006666666666666667", 666_666_667),  # 22 decimals: .6667 up
        ("0.0000003333333333333", 333_333_333),  # the docstring's example
        # 0.4999... (28 nines) nano: exactly below one half, so 0. Scaling in Decimal's default 28-digit
        # context would first round it to 0.5 and then half-up to 1: two roundings instead of one.
        ("0." + "0" * 15 + "4" + "9" * 28, 0),
    ],
)
def test_longer_per_token_prices_round_half_up_once(per_token: str, per_mtok_nanos: int) -> None:
    assert per_token_usd_to_per_mtok_nanos(per_token) == per_mtok_nanos


@pytest.mark.parametrize("value", ["", "abc", "free", "NaN", "1e", "--1"])
def test_per_token_price_refuses_garbage(value: str) -> None:
    with pytest.raises(MoneyError):
        per_token_usd_to_per_mtok_nanos(value)


@pytest.mark.parametrize(
    ("per_unit", "nanos"),
    [("0.014", 14_000_000), ("0.0000000005", 1), ("0.0000000004", 0), ("0.0000000025", 3), ("2", 2 * 10**9)],
)
def test_per_unit_price_rounds_half_up_to_the_nano(per_unit: str, nanos: int) -> None:
    assert per_unit_usd_to_nanos(per_unit) == nanos


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "0"),
        (1, "0.000000001"),
        (10, "0.00000001"),
        (999_999_999, "0.999999999"),
        (1_000_000_000, "1"),
        (1_000_000_001, "1.000000001"),
        (2_500_000_000, "2.5"),
        (-1, "-0.000000001"),
        (-2_500_000_000, "-2.5"),
        (10**18, "1000000000"),  # never exponent notation ("1E+9")
        (MAX_NANOS, "9223372036.854775807"),
    ],
)
def test_nanos_to_usd_str_is_exact_and_plain(nanos: int, text: str) -> None:
    assert nanos_to_usd_str(nanos) == text


@pytest.mark.parametrize(
    "nanos",
    [
        0,
        1,
        7,
        10,
        100,
        123_456_789,
        999_999_999,
        10**9,
        10**9 + 1,
        2_500_000_000,
        10**15,
        10**15 + 1,
        -1,
        -(10**9),
    ]
    + [MAX_NANOS, -MAX_NANOS]
    + [10**exponent - 1 for exponent in range(1, 19)],
)
def test_nanos_to_usd_str_round_trips(nanos: int) -> None:
    assert usd_to_nanos(nanos_to_usd_str(nanos)) == nanos


@pytest.mark.parametrize(
    "per_token", ["0", "0.0000025", "0.00000015", "0.0000002574", "0.000000000000001", "3"]
)
def test_per_token_price_string_round_trips(per_token: str) -> None:
    # /models serves prices back in OpenRouter's per-token string form: what was imported is what is shown.
    assert per_mtok_nanos_to_per_token_usd_str(per_token_usd_to_per_mtok_nanos(per_token)) == per_token
