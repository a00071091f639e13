from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, UTCDateTime
from modelyard.kit.clock import utcnow


class SiteSetting(Base):
    """One site setting an administrator changed in the web app (settings_store/), overriding the
    environment's MODELYARD_* default for as long as the row exists. A secret (the SMTP password, the OIDC
    client secret) is kept only in `encrypted` (a SecretBox token); every other value in `value`."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
