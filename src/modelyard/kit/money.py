"""Money as integers: nano-USD (1 USD = 10**9 nanos). Decimal is used only to parse and format."""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

NANOS_PER_USD = 1_000_000_000
TOKENS_PER_MTOK = 1_000_000
# Every money column is a signed 64-bit integer.
MAX_NANOS = 2**63 - 1
# Scaling by a power of ten must be exact: the default context keeps only 28 digits and would round silently.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class MoneyError(ValueError):
    pass


def _decimal(value: str | int | Decimal) -> Decimal:
    if isinstance(value, bool):  # a JSON `true` is not a price
        raise MoneyError(f"not a decimal number: {value!r}")
    try:
        parsed = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"not a decimal number: {value!r}") from None
    if not parsed.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return parsed


def _scaled(value: str | int | Decimal, places: int) -> Decimal:
    """`value` × 10**places, exactly, within the range a money column can hold."""
    amount = _decimal(value).scaleb(places, context=_EXACT)
    if amount.copy_abs() > MAX_NANOS:
        raise MoneyError(f"{value!r} is out of range")
    return amount


def usd_to_nanos(value: str | int | Decimal) -> int:
    """A USD amount ("12.5") to nanos; more than 9 decimal places is an error, not a silent rounding."""
    amount = _scaled(value, 9)
    if amount != amount.to_integral_value():
        raise MoneyError(f"{value!r} has more than 9 decimal places")
    return int(amount)


def per_token_usd_to_per_mtok_nanos(value: str | int | Decimal) -> int:
    """OpenRouter's USD-per-token price string to integer nano-USD per million tokens.

    Exact for prices with up to 15 decimal places per token. Longer ones (a few computed prices such as
    0.0000003333333333333) are rounded half-up to the nearest nano per million tokens: the one rounding rule
    for catalogue prices.
    """
    amount = _scaled(value, 15)  # USD per token -> nanos per million tokens
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def per_unit_usd_to_nanos(value: str | int | Decimal) -> int:
    """A per-unit price (per request, image, search) in USD to nanos, rounded half-up to the nano."""
    amount = _scaled(value, 9)
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def nanos_to_usd_decimal(nanos: int) -> Decimal:
    return Decimal(nanos) / NANOS_PER_USD


def nanos_to_usd_str(nanos: int) -> str:
    """Exact decimal string, for CLI output and OpenRouter-style price strings."""
    text = format(nanos_to_usd_decimal(nanos), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def nanos_to_usd_number(nanos: int) -> float:
    """For JSON fields that OpenRouter's API defines as numbers (usage.cost). Display only, never stored."""
    return nanos / NANOS_PER_USD


def per_mtok_nanos_to_per_token_usd_str(per_mtok_nanos: int) -> str:
    text = format(Decimal(per_mtok_nanos) / (NANOS_PER_USD * TOKENS_PER_MTOK), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
