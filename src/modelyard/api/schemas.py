"""Wire formats of the account APIs. Money travels as USD decimal strings (up to 9 decimals)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from modelyard.kit.money import MoneyError, nanos_to_usd_str, usd_to_nanos
from modelyard.models import LedgerEntry


def parse_usd(value: str | int | float | Decimal) -> int:
    """USD as a string ("10.25") or JSON number, to nanos; more than 9 decimals is an error."""
    text = str(value).strip() if not isinstance(value, str) else value.strip()
    try:
        return usd_to_nanos(text)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


class BalanceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "balance": "12.5",
                    "held": "0.012",
                    "available": "12.488",
                    "spent_today": "0.34",
                    "spent_this_month": "7.5",
                }
            ]
        }
    )
    balance: str = Field(description="USD, the sum of the ledger")
    held: str = Field(description="USD reserved by requests in flight")
    available: str = Field(description="USD that new requests can spend: balance - held")
    spent_today: str = Field(description="USD charged since 00:00 UTC")
    spent_this_month: str = Field(description="USD charged since the 1st, 00:00 UTC")


class TransactionOut(BaseModel):
    id: int
    type: str
    amount: str
    balance_after: str
    reference: str | None
    note: str | None
    generation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> TransactionOut:
        return cls(
            id=entry.id,
            type=entry.kind,
            amount=nanos_to_usd_str(entry.amount_nanos),
            balance_after=nanos_to_usd_str(entry.balance_after_nanos),
            reference=entry.reference,
            note=entry.note,
            generation_id=entry.generation_id,
            created_at=entry.created_at,
        )


class TransactionPage(BaseModel):
    data: list[TransactionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class RedeemIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "MY-7KQ2-X9PD-4HTW"}]})
    code: str = Field(min_length=1, max_length=64)


class RedeemOut(BaseModel):
    amount: str
    balance: str


def _usd(value: object) -> str:
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValueError('must be a USD amount such as "10.50"')
    return nanos_to_usd_str(parse_usd(value))


# A USD amount in, normalised to its exact decimal string (at most 9 decimals, never a float).
UsdAmount = Annotated[str, BeforeValidator(_usd)]


class GrantIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "10", "note": "welcome credit"}]})
    amount: UsdAmount = Field(description='USD to add (negative to take away), e.g. "10" or "2.50"')
    note: str | None = Field(default=None, max_length=500)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: str) -> str:
        if Decimal(value) == 0:
            raise ValueError("must not be zero")
        return value


class CodesIn(BaseModel):
    count: int = Field(ge=1, le=10_000)
    amount: UsdAmount = Field(description="USD each code is worth")
    max_uses: int = Field(default=1, ge=1, le=1_000_000)
    expires_at: datetime | None = None

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("must be positive")
        return value


class CodesOut(BaseModel):
    batch: str
    codes: list[str] = Field(description="Shown only in this answer")
    amount: str
    max_uses: int
    expires_at: datetime | None


class CreditsData(BaseModel):
    total_credits: float = Field(description="USD ever added (top-ups, redemptions, refunds, adjustments)")
    total_usage: float = Field(description="USD ever charged for usage")


class CreditsOut(BaseModel):
    data: CreditsData
