from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class UserRole(StrEnum):
    USER = "user"
    ADMIN = "admin"
    ROOT = "root"  # an admin who may also make and unmake admins


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # argon2id; "" for an account that signs in with Google/OIDC only.
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    avatar_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # The OpenID Connect subject of the linked Google (or other OIDC) account.
    google_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    # theme, language, default_model: what the web app remembers for this user.
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    role: Mapped[str] = mapped_column(String(16), default=UserRole.USER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Cached sum of this user's ledger entries, updated in the same transaction as each entry.
    balance_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sum of this user's open holds (requests in flight); spendable = balance - held.
    held_nanos: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Low-balance alerts (billing/alerts.py). None = the server's MODELYARD_LOW_BALANCE_THRESHOLD_USD.
    low_balance_threshold_nanos: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # None = the account's own email; "" = no email alerts.
    alert_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    alert_webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # Set (with a conditional update, so only one process alerts) when a charge leaves the balance below
    # the threshold; cleared when the balance is back at or above it. One alert per period below.
    is_low_balance_alerted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The routing strategy this user's requests use when they name none (routing/policy.py); None = the
    # deployment default.
    routing_strategy: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
