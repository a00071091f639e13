"""Access tokens: short-lived JWTs (HS256) signed with a key derived from the server's secret key, so every
instance sharing MODELYARD_SECRET_KEY accepts them; during a rolling rotation, those signed with a key in
MODELYARD_SECRET_KEY_PREVIOUS are accepted too (new ones are always signed with the current key). Refresh
tokens are opaque: `myr_<session>.<generation>.<secret>`, checked against the session row."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "modelyard"
REFRESH_PREFIX = "myr_"


class TokenError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str
    token_id: str  # jti
    role: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshParts:
    session_id: str
    generation: int
    secret: str


def _signing_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"modelyard access tokens").derive(
        secret_key.encode()
    )


class TokenSigner:
    def __init__(self, secret_key: str, access_ttl: timedelta, previous_keys: Sequence[str] = ()) -> None:
        self._key = _signing_key(secret_key)
        # Checked in order: the current key first, as nearly every token is signed with it.
        self._verifying_keys = (self._key, *(_signing_key(key) for key in previous_keys))
        self.access_ttl = access_ttl

    def issue(self, user_id: int, role: str, session_id: str, now: datetime) -> tuple[str, AccessClaims]:
        claims = AccessClaims(
            user_id=user_id,
            session_id=session_id,
            token_id=secrets.token_hex(16),
            role=role,
            expires_at=now + self.access_ttl,
        )
        token = jwt.encode(
            {
                "iss": ISSUER,
                "sub": str(user_id),
                "sid": session_id,
                "jti": claims.token_id,
                "role": role,
                "typ": "access",
                "iat": int(now.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
            },
            self._key,
            algorithm="HS256",
        )
        return token, claims

    def verify(self, token: str) -> AccessClaims:
        payload = self._decode(token)
        if payload.get("typ") != "access":
            raise TokenError("the access token is not valid")
        return AccessClaims(
            user_id=int(payload["sub"]),
            session_id=str(payload["sid"]),
            token_id=str(payload["jti"]),
            role=str(payload.get("role") or "user"),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )

    def _decode(self, token: str) -> dict[str, Any]:
        # PyJWT checks the signature before the claims: any error but a bad signature is this key's verdict.
        for key in self._verifying_keys:
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=["HS256"],
                    issuer=ISSUER,
                    options={"require": ["exp", "iat", "sub", "sid", "jti", "iss"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise TokenError("the access token has expired; refresh it") from None
            except jwt.PyJWTError:
                break
        raise TokenError("the access token is not valid")


def new_refresh(session_id: str, generation: int) -> tuple[str, str]:
    """(the token the client keeps, the hash the server keeps)."""
    secret = secrets.token_urlsafe(32)
    return f"{REFRESH_PREFIX}{session_id}.{generation}.{secret}", hash_secret(secret)


def parse_refresh(token: str) -> RefreshParts:
    if not token.startswith(REFRESH_PREFIX):
        raise TokenError("not a refresh token")
    try:
        session_id, generation, secret = token[len(REFRESH_PREFIX) :].split(".", 2)
        return RefreshParts(session_id, int(generation), secret)
    except ValueError:
        raise TokenError("not a refresh token") from None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
