"""Money as integers: nano-USD (1 USD = 10**9 nanos). Decimal is used only to parse and format."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NANOS_PER_USD = 1_000_000_000
TOKENS_PER_MTOK = 1_000_000


class MoneyError(ValueError):
    pass


def _decimal(value: str | int | Decimal) -> Decimal:
    try:
        parsed = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise MoneyError(f"not a decimal number: {value!r}") from None
    if not parsed.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return parsed


def usd_to_nanos(value: str | int | Decimal) -> int:
    """A USD amount ("12.5") to nanos; more than 9 decimal places is an error, not a silent rounding."""
    amount = _decimal(value) * NANOS_PER_USD
    if amount != amount.to_integral_value():
        raise MoneyError(f"{value!r} has more than 9 decimal places")
    return int(amount)


def per_token_usd_to_per_mtok_nanos(value: str | int | Decimal) -> int:
    """OpenRouter's USD-per-token price string to integer nano-USD per million tokens.

    Exact for prices with up to 15 decimal places per token. Longer ones (a few computed prices such as
    0.0000003333333333333) are rounded half-up to the nearest nano per million tokens: the one rounding rule
    for catalogue prices.
    """
    amount = _decimal(value) * NANOS_PER_USD * TOKENS_PER_MTOK
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def per_unit_usd_to_nanos(value: str | int | Decimal) -> int:
    """A per-unit price (per request, image, search) in USD to nanos, rounded half-up to the nano."""
    amount = _decimal(value) * NANOS_PER_USD
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
