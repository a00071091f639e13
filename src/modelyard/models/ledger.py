from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class LedgerKind(StrEnum):
    TOPUP = "topup"
    USAGE = "usage"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    REDEMPTION = "redemption"
    PROMO = "promo"


class LedgerEntry(Base):
    """Append-only: rows are never updated or deleted; a correction is a new entry."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Signed: credits are positive, usage negative.
    amount_nanos: Mapped[int] = mapped_column(BigInteger)
    balance_after_nanos: Mapped[int] = mapped_column(BigInteger)
    generation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # A retried write with the same key is a no-op instead of a second charge or grant.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
