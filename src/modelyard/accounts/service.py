"""Users: creation, sign-up by mode, password sign-in, the first admin."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.auth import passwords
from modelyard.kit.clock import utcnow
from modelyard.models import Invite, User, UserRole

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIGNUP_MODES = ("open", "invite", "closed")
INVITE_PREFIX = "myi-"


class AccountError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SignupClosed(AccountError):
    pass


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise AccountError(f"not a valid email address: {email!r}", "email")
    return email


async def create_user(
    session: AsyncSession,
    email: str,
    password: str | None,
    *,
    is_admin: bool = False,
    role: str | None = None,
    display_name: str | None = None,
) -> User:
    """`password` None makes an account that signs in through Google/OIDC only."""
    email = normalize_email(email)
    if password is not None:
        try:
            passwords.check_rules(password, email)
        except passwords.PasswordRuleError as exc:
            raise AccountError(str(exc), "password") from None
    user = User(
        email=email,
        password_hash=passwords.hash_password(password) if password is not None else "",
        role=role or (UserRole.ADMIN if is_admin else UserRole.USER),
        balance_nanos=0,
        display_name=(display_name or "").strip()[:200] or None,
        preferences={},
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise AccountError(f"a user with email {email} already exists", "email") from None
    return user


async def get_user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise AccountError(f"no user with email {email.strip().lower()}", "email")
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """The active user with this email and password, else None; the same work either way."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = passwords.verify(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


async def sign_up(
    session: AsyncSession,
    email: str,
    password: str,
    *,
    mode: str,
    invite_code: str | None,
    display_name: str | None = None,
) -> User:
    if mode == "closed":
        raise SignupClosed("Sign-up is closed on this server; ask its operator for an account")
    invite: Invite | None = None
    if mode == "invite":
        if not invite_code:
            raise SignupClosed("Sign-up needs an invitation code on this server", "invite_code")
        invite = await session.scalar(
            select(Invite).where(Invite.code_hash == _hash_code(invite_code.strip())).with_for_update()
        )
        now = utcnow()
        if (
            invite is None
            or invite.used_at is not None
            or (invite.expires_at is not None and invite.expires_at <= now)
            or (invite.email is not None and invite.email != email.strip().lower())
        ):
            raise SignupClosed(
                "This invitation code is not valid (unknown, used, expired or for someone else)",
                "invite_code",
            )
    user = await create_user(session, email, password, display_name=display_name)
    if invite is not None:
        claimed = await session.execute(
            update(Invite)
            .where(Invite.id == invite.id, Invite.used_at.is_(None))
            .values(used_by=user.id, used_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise SignupClosed("This invitation code was just used", "invite_code")
    return user


async def create_invite(
    session: AsyncSession, *, created_by: int | None, email: str | None, expires_at: datetime | None
) -> str:
    code = INVITE_PREFIX + secrets.token_urlsafe(18)
    session.add(
        Invite(
            code_hash=_hash_code(code),
            email=normalize_email(email) if email else None,
            created_by=created_by,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return code


async def ensure_first_admin(session: AsyncSession, email: str | None, password: str | None) -> User | None:
    """MODELYARD_ADMIN_EMAIL/PASSWORD make the root account on a server that has no admin yet; nothing
    else ever does (there is no default password)."""
    if not email or not password:
        return None
    admins = await session.scalar(
        select(func.count(User.id)).where(User.role.in_([UserRole.ADMIN, UserRole.ROOT]))
    )
    if admins:
        return None
    return await create_user(session, email, password, role=UserRole.ROOT)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
