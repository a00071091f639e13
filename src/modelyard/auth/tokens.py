"""Access tokens: short-lived JWTs (HS256) signed with a key derived from the server's secret key, so every
instance sharing MODELYARD_SECRET_KEY accepts them. Refresh tokens are opaque: `myr_<session>.<generation>.
<secret>`, checked against the session row."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


class TokenSigner:
    def __init__(self, secret_key: str, access_ttl: timedelta) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"modelyard access tokens"
        ).derive(secret_key.encode())
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
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "jti", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the access token has expired; refresh it") from None
        except jwt.PyJWTError:
            raise TokenError("the access token is not valid") from None
        if payload.get("typ") != "access":
            raise TokenError("the access token is not valid")
        return AccessClaims(
            user_id=int(payload["sub"]),
            session_id=str(payload["sid"]),
            token_id=str(payload["jti"]),
            role=str(payload.get("role") or "user"),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )


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
