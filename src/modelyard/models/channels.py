from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class Channel(Base):
    """One upstream account reached through one provider protocol."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(2000))
    # Fernet token (see kit.secrets.SecretBox); never returned by any API.
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer, default=100)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The catalogue provider this channel reaches (`catalog_providers.slug`); None = shown under its own name.
    provider_slug: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    # Provider-specific options (extra headers, flags) that later adapters need without a migration each.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChannelModel(Base):
    """A catalogue model served by a channel, under the name the upstream knows it by."""

    __tablename__ = "channel_models"
    __table_args__ = (UniqueConstraint("channel_id", "model_slug"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    model_slug: Mapped[str] = mapped_column(String(200), index=True)
    upstream_name: Mapped[str] = mapped_column(String(200))
    # This endpoint's own limits when they are below the model's; None = the model's.
    context_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # This endpoint's own price (nano-USD per million tokens or per unit); None = the model's price.
    prompt_per_mtok_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completion_per_mtok_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    internal_reasoning_per_mtok_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cache_read_per_mtok_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cache_write_per_mtok_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    request_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
