"""Password rules and checks: argon2id, and the same work whether or not the account exists, so timing
does not tell an attacker which emails have accounts."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes anything; this bounds the work one request can ask for

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _hasher.hash("an account that does not exist")


class PasswordRuleError(ValueError):
    pass


def check_rules(password: str, email: str | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"password must be at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise PasswordRuleError("password must use at least 4 different characters")
    if email and password.lower() in (email.lower(), email.split("@", 1)[0].lower()):
        raise PasswordRuleError("password must not be your email address")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when it matches; an account without a password (Google only) or none at all costs the same."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
