"""Users: creation and lookup. Sign-in, sessions and roles beyond admin/user come with the accounts issue."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.models import User, UserRole

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(ValueError):
    pass


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise AccountError(f"not a valid email address: {email!r}")
    return email


async def create_user(session: AsyncSession, email: str, password: str, *, is_admin: bool = False) -> User:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        role=UserRole.ADMIN if is_admin else UserRole.USER,
        balance_nanos=0,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise AccountError(f"a user with email {email} already exists") from None
    return user


async def get_user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise AccountError(f"no user with email {email.strip().lower()}")
    return user
