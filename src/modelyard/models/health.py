from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, UTCDateTime
from modelyard.kit.clock import utcnow


class ChannelHealth(Base):
    """The last persisted view of one channel serving one model (routing/health.py keeps the live one in
    memory and writes it here in the background, so a restart resumes with what it knew)."""

    __tablename__ = "channel_health"

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    breaker: Mapped[str] = mapped_column(String(16))  # closed, open, half_open
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    requests_30m: Mapped[int] = mapped_column(Integer, default=0)
    success_rate_30m: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ewma_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_p50_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_p90_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_p50_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    throughput_p50_tps: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
