"""Users: creation, sign-up by mode, password sign-in, the first admin."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
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
        password_hash=await asyncio.to_thread(passwords.hash_password, password)
        if password is not None
        else "",
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


# --- Google / OpenID Connect links (auth/oidc.py, api/oidc.py). users.google_id is the provider's subject.


class GoogleLinkConflict(AccountError):
    """The provider's account is linked to another user, or this user to another provider account."""


class GoogleNotLinked(AccountError):
    pass


async def find_by_google_id(session: AsyncSession, subject: str) -> User | None:
    return await session.scalar(select(User).where(User.google_id == subject))


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def create_google_user(
    session: AsyncSession,
    email: str,
    subject: str,
    *,
    display_name: str | None = None,
    avatar_url: str | None = None,
) -> User:
    """An account without a password that signs in with the provider only."""
    user = await create_user(session, email, None, display_name=display_name)
    user.google_id = subject
    user.avatar_url = avatar_url
    try:
        await session.flush()
    except IntegrityError:
        raise GoogleLinkConflict("this account is already linked to another user", "google") from None
    return user


async def link_google(session: AsyncSession, user: User, subject: str) -> None:
    if user.google_id == subject:
        return
    if user.google_id is not None:
        raise GoogleLinkConflict(
            "this account is already linked to another account there; unlink it first", "google"
        )
    other = await session.scalar(select(User.id).where(User.google_id == subject, User.id != user.id))
    if other is not None:
        raise GoogleLinkConflict("that account is already linked to another user here", "google")
    user.google_id = subject
    try:
        await session.flush()
    except IntegrityError:  # linked elsewhere between the check and the write
        raise GoogleLinkConflict("that account is already linked to another user here", "google") from None


async def unlink_google(session: AsyncSession, user: User) -> None:
    """Refused for an account without a password: it could not sign in any more."""
    if user.google_id is None:
        raise GoogleNotLinked("no Google account is linked to this account", "google")
    if not user.password_hash:
        raise AccountError(
            "this account has no password: set one before unlinking, or it could not sign in any more",
            "password",
        )
    user.google_id = None
    await session.flush()


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """The active user with this email and password, else None; the same work either way."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    # argon2 takes tens of milliseconds of CPU on purpose: not on the event loop.
    ok = await asyncio.to_thread(passwords.verify, user.password_hash if user is not None else None, password)
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


# --- Profile changes by the account's owner, and user administration (api/profile.py, api/users_admin.py).


class AccountNotFound(AccountError):
    pass


class AccountForbidden(AccountError):
    pass


class AccountConflict(AccountError):
    pass


_RANK = {UserRole.USER: 0, UserRole.ADMIN: 1, UserRole.ROOT: 2}


@dataclass(frozen=True, slots=True)
class Administered:
    user: User
    changed: bool  # the role or the active flag
    demoted: bool  # to a role with fewer rights


async def change_email(session: AsyncSession, user: User, email: str) -> None:
    """Normalises and sets a new sign-in address; another account's address is a conflict."""
    email = normalize_email(email)
    if email == user.email:
        return
    taken = await session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if taken is not None:
        raise AccountConflict("another account already uses this email address", "email")
    user.email = email
    try:
        await session.flush()
    except IntegrityError:  # taken between the check and the write
        raise AccountConflict("another account already uses this email address", "email") from None


def change_password(user: User, new_password: str, current_password: str | None) -> None:
    """Sets a new password. An account that has one must give it; an account without one (Google only) may
    set one without. Raises AccountError naming `current_password` or `password`."""
    if user.password_hash:
        if not current_password:
            raise AccountError("give your current password to set a new one", "current_password")
        if not passwords.verify(user.password_hash, current_password):
            raise AccountForbidden("the current password is wrong", "current_password")
    try:
        passwords.check_rules(new_password, user.email)
    except passwords.PasswordRuleError as exc:
        raise AccountError(str(exc), "password") from None
    user.password_hash = passwords.hash_password(new_password)


async def list_users(
    session: AsyncSession,
    *,
    search: str | None,
    limit: int,
    after_id: int | None,
    roles: list[str] | None = None,
) -> tuple[list[User], int]:
    """A page of users by id (those after `after_id`), and how many match the search (part of the email,
    any case) and have one of `roles` (any role when None)."""
    matching = select(User)
    if search:
        matching = matching.where(User.email.contains(search.strip().lower(), autoescape=True))
    if roles:
        matching = matching.where(User.role.in_(roles))
    total = await session.scalar(select(func.count()).select_from(matching.subquery()))
    page = matching.order_by(User.id).limit(limit)
    if after_id is not None:
        page = page.where(User.id > after_id)
    return list((await session.scalars(page)).all()), int(total or 0)


async def administer_user(
    session: AsyncSession,
    actor: User,
    user_id: int,
    *,
    is_active: bool | None = None,
    role: str | None = None,
) -> Administered:
    """An administrator enables, disables or changes the role of a user.

    Only a root changes roles or touches another administrator or root; an admin may disable and enable
    plain users; nobody demotes or disables the last active root (the roots are locked while counting, so
    two roots cannot demote each other at once)."""
    if role is not None and role not in tuple(UserRole):
        raise AccountError(f"role must be one of {', '.join(UserRole)}", "role")
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise AccountNotFound(f"no user with id {user_id}")
    actor_is_root = actor.role == UserRole.ROOT and actor.is_active
    if role is not None and role != user.role and not actor_is_root:
        raise AccountForbidden("only a root administrator can change roles", "role")
    if user.role in (UserRole.ADMIN, UserRole.ROOT) and user.id != actor.id and not actor_is_root:
        raise AccountForbidden("only a root administrator can change another administrator")
    new_role = role if role is not None else user.role
    new_active = is_active if is_active is not None else user.is_active
    if user.role == UserRole.ROOT and user.is_active and (new_role != UserRole.ROOT or not new_active):
        other_roots = (
            await session.scalars(
                select(User.id)
                .where(User.role == UserRole.ROOT, User.is_active.is_(True), User.id != user.id)
                .with_for_update()
            )
        ).all()
        if not other_roots:
            raise AccountConflict(
                "this is the last active root administrator: make another root first",
                "role" if new_role != UserRole.ROOT else "is_active",
            )
    outcome = Administered(
        user=user,
        changed=new_role != user.role or new_active != user.is_active,
        demoted=_RANK[UserRole(new_role)] < _RANK[UserRole(user.role)],
    )
    user.role = new_role
    user.is_active = new_active
    await session.flush()
    return outcome
