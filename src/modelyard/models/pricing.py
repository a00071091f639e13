from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class PricingSetting(Base):
    """Operator-wide pricing settings; one row per setting (today: the global markup)."""

    __tablename__ = "pricing_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_bps: Mapped[int] = mapped_column(Integer)  # basis points: 1% = 100
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PriceAudit(Base):
    """Every price or markup change: who, when, old → new. Append-only."""

    __tablename__ = "price_audit"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)  # a model slug, or "global"
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
