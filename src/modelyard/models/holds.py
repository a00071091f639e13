from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class Hold(Base):
    """Credit reserved for one request in flight. Deleted when the request settles; one left behind by a crash
    expires and is swept, giving the credit back and leaving the request's record (an "interrupted" error),
    which the columns after `expires_at` describe (null: a hold placed without them leaves no record).
    `settlement`: the finished request's settlement (billing/holds.encode_settlement), written before its
    answer's last bytes leave; the sweep settles an expired hold that has one instead of recording it as
    interrupted."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    generation_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount_nanos: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # As on request_logs.
    api_key_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    model_slug: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    api_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    is_stream: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    app_referer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    app_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    settlement: Mapped[str | None] = mapped_column(Text, nullable=True)
