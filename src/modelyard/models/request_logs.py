from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class RequestLog(Base):
    """One row per relayed request, written in batches together with its ledger entry."""

    __tablename__ = "request_logs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    generation_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    api_key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    model_slug: Mapped[str] = mapped_column(String(200))  # the model that answered (or was last tried)
    # What the request asked for (before `models` fallbacks and variant suffixes), and its API.
    requested_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    api_type: Mapped[str | None] = mapped_column(String(16), nullable=True)  # chat, completions, embeddings
    channel_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(200), nullable=True)
    upstream_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_stream: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # None = the upstream did not report it (never silently 0).
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasoning_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cached_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_usage_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    cost_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer)
    ttft_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Every upstream attempt in order: [{channel_id, channel, provider, model, status, latency_ms, error}].
    attempts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    app_referer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    app_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
