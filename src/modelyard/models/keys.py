from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 hex of the key; the key itself is shown once at creation and never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(40))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A management key administers keys (OpenRouter's /api/v1/keys) and cannot call models.
    is_management: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Spending limit in nano-USD per window (daily/weekly/monthly, UTC, weeks from Monday; None = for ever);
    # the window's spend and the credit held by requests in flight are kept here so every instance agrees.
    limit_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    limit_reset: Mapped[str | None] = mapped_column(String(16), nullable=True)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_spent_nanos: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    held_nanos: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Patterns such as `openai/*`; empty = every model.
    allowed_models: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Addresses or CIDR blocks; empty = anywhere.
    allowed_ips: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # "playground": the key the web app's playground calls models with for its owner (its secret is never
    # shown to anyone: the server looks it up by owner); None: an ordinary key.
    purpose: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rpm_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tpm_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
