from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modelyard.db.base import Base, BigIntPK, UTCDateTime
from modelyard.kit.clock import utcnow


class AdminAudit(Base):
    """One row per change an administrator made through the API (append-only): who, which operation, on what,
    with which body (secrets removed), and the answer's status."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_actor", "actor_user_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    actor_user_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    # The operation's path template, e.g. /api/admin/channels/{channel_id}.
    route: Mapped[str] = mapped_column(String(200), index=True)
    path: Mapped[str] = mapped_column(String(500))
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
