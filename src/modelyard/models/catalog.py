from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class CatalogModel(Base):
    __tablename__ = "catalog_models"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    canonical_slug: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    author: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_unix: Mapped[int] = mapped_column(BigInteger)
    context_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    input_modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    output_modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    tokenizer: Mapped[str | None] = mapped_column(String(50), nullable=True)
    instruct_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    supported_parameters: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Accepts `reasoning` (thinking tokens); imported from supported_parameters, editable by an operator.
    supports_reasoning: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # False hides the model from every list and refuses requests for it, without deleting its history.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The model as the source document described it, so /models can echo fields this schema does not model.
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ModelPrice(Base):
    """Prices in integer nano-USD: per million tokens (`*_per_mtok_nanos`) or per unit (`*_nanos`).

    `is_priced` is false for catalogue rows whose price is undefined (OpenRouter's routers carry "-1"):
    such a model cannot be billed, so the relay refuses it rather than serving it for free.
    """

    __tablename__ = "model_prices"

    model_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalog_models.id", ondelete="CASCADE"), primary_key=True
    )
    is_priced: Mapped[bool] = mapped_column(Boolean, default=True)
    prompt_per_mtok_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_per_mtok_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    internal_reasoning_per_mtok_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_per_mtok_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_per_mtok_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    request_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    image_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    web_search_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when an operator edits a price by hand, so a catalogue sync keeps it.
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    # This model's markup over its price in basis points (1% = 100); None = the global markup.
    markup_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CatalogProvider(Base):
    """A company that serves models (OpenAI, DeepInfra, ...); channels name the one they reach, and
    `/api/v1/providers` lists these with their policy links."""

    __tablename__ = "catalog_providers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    privacy_policy_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    terms_of_service_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    status_page_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    headquarters: Mapped[str | None] = mapped_column(String(2), nullable=True)  # ISO 3166-1 alpha-2
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
