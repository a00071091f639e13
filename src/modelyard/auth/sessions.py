"""Sign-in sessions: an access token and a rotating refresh token per session.

Every refresh issues a new pair and retires the old refresh token; presenting a retired one (it was copied)
revokes the whole session. Revocation of access tokens before they expire goes through the RevocationList.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.auth.revocation import RevocationList
from modelyard.auth.tokens import (
    AccessClaims,
    TokenError,
    TokenSigner,
    hash_secret,
    new_refresh,
    parse_refresh,
)
from modelyard.kit.clock import utcnow
from modelyard.kit.secrets import constant_time_equals
from modelyard.models import AuthSession, User


class SessionError(ValueError):
    pass


@dataclass(frozen=True)
class Issued:
    access_token: str
    access: AccessClaims
    refresh_token: str
    refresh_expires_at: datetime
    session: AuthSession


class SessionService:
    def __init__(self, signer: TokenSigner, revocations: RevocationList, refresh_ttl: timedelta) -> None:
        self.signer = signer
        self.revocations = revocations
        self.refresh_ttl = refresh_ttl

    async def start(
        self, db: AsyncSession, user: User, *, method: str, user_agent: str | None, ip: str | None
    ) -> Issued:
        now = utcnow()
        session_id = secrets.token_hex(16)
        refresh, refresh_hash = new_refresh(session_id, 0)
        row = AuthSession(
            id=session_id,
            user_id=user.id,
            refresh_hash=refresh_hash,
            generation=0,
            method=method,
            user_agent=(user_agent or "")[:300] or None,
            ip=ip,
            created_at=now,
            last_used_at=now,
            expires_at=now + self.refresh_ttl,
        )
        db.add(row)
        await db.flush()
        token, claims = self.signer.issue(user.id, user.role, session_id, now)
        return Issued(token, claims, refresh, row.expires_at, row)

    async def refresh(self, db: AsyncSession, refresh_token: str) -> tuple[Issued, User]:
        try:
            parts = parse_refresh(refresh_token)
        except TokenError as exc:
            raise SessionError(str(exc)) from None
        row = await db.get(AuthSession, parts.session_id, with_for_update=True)
        now = utcnow()
        if row is None or row.revoked_at is not None:
            raise SessionError("this session has ended; sign in again")
        if row.expires_at <= now:
            raise SessionError("this session has expired; sign in again")
        if parts.generation != row.generation or not constant_time_equals(
            hash_secret(parts.secret), row.refresh_hash
        ):
            if parts.generation < row.generation:
                # A retired refresh token came back: someone else holds a copy. End the session for both.
                await self._revoke(db, row, "refresh_reuse", now)
                raise SessionError("this refresh token was already used; the session has been ended")
            raise SessionError("this refresh token is not valid")
        user = await db.get(User, row.user_id)
        if user is None or not user.is_active:
            await self._revoke(db, row, "account_disabled", now)
            raise SessionError("this account is disabled")
        row.generation += 1
        refresh, row.refresh_hash = new_refresh(row.id, row.generation)
        row.last_used_at = now
        await db.flush()
        token, claims = self.signer.issue(user.id, user.role, row.id, now)
        return Issued(token, claims, refresh, row.expires_at, row), user

    async def list_for(self, db: AsyncSession, user_id: int) -> list[AuthSession]:
        now = utcnow()
        rows = await db.scalars(
            select(AuthSession)
            .where(
                AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
            )
            .order_by(AuthSession.last_used_at.desc())
        )
        return list(rows.all())

    async def revoke(self, db: AsyncSession, user_id: int, session_id: str, reason: str = "logout") -> bool:
        row = await db.get(AuthSession, session_id)
        if row is None or row.user_id != user_id or row.revoked_at is not None:
            return False
        await self._revoke(db, row, reason, utcnow())
        return True

    async def revoke_all(self, db: AsyncSession, user_id: int, reason: str = "logout_all") -> int:
        rows = await self.list_for(db, user_id)
        now = utcnow()
        for row in rows:
            await self._revoke(db, row, reason, now)
        return len(rows)

    async def _revoke(self, db: AsyncSession, row: AuthSession, reason: str, now: datetime) -> None:
        await db.execute(
            update(AuthSession).where(AuthSession.id == row.id).values(revoked_at=now, revoked_reason=reason)
        )
        # Access tokens of the session stay valid at most access_ttl: refuse them for that long.
        await self.revocations.revoke(f"sid:{row.id}", now + self.signer.access_ttl, db)

    async def check(self, db: AsyncSession | None, claims: AccessClaims) -> None:
        """Raises SessionError when the token or its session was revoked."""
        if await self.revocations.is_revoked((claims.token_id, f"sid:{claims.session_id}"), db):
            raise SessionError("this session has ended; sign in again")
