"""Revoked access tokens and sessions, kept until the tokens would have expired anyway: in Redis when it
is configured (every instance sees a revocation at once), in the `revoked_tokens` table otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.clock import utcnow
from modelyard.models import RevokedToken

_PREFIX = "modelyard:revoked:"


class RevocationList:
    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis

    async def revoke(self, token_id: str, until: datetime, db: AsyncSession | None) -> None:
        seconds = max(1, int((until - utcnow()).total_seconds()) + 1)
        if self._redis is not None:
            await self._redis.set(_PREFIX + token_id, b"1", ex=seconds)
            return
        assert db is not None
        existing = await db.get(RevokedToken, token_id)
        if existing is None:
            db.add(RevokedToken(token_id=token_id, expires_at=until))
        else:
            existing.expires_at = max(existing.expires_at, until)
        await db.flush()

    async def is_revoked(self, token_ids: Iterable[str], db: AsyncSession | None) -> bool:
        ids = list(token_ids)
        if self._redis is not None:
            return bool(await self._redis.exists(*(_PREFIX + t for t in ids)))
        assert db is not None
        found = await db.scalar(
            select(func.count())
            .select_from(RevokedToken)
            .where(RevokedToken.token_id.in_(ids), RevokedToken.expires_at > utcnow())
        )
        return bool(found)

    async def sweep(self, db: AsyncSession) -> None:
        """Entries past their expiry say nothing any more."""
        if self._redis is None:
            await db.execute(delete(RevokedToken).where(RevokedToken.expires_at <= utcnow()))
