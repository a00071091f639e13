"""API-key hashing and at-rest encryption of provider credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

API_KEY_PREFIX = "sk-my-v1-"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(32)


def hash_api_key(key: str) -> str:
    """SHA-256 hex, as OpenRouter's key hash. Keys carry 256 random bits, so a slow KDF adds nothing but
    latency on every request; the hash alone cannot be turned back into a usable key."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_label(key: str) -> str:
    """The masked form shown in lists: enough to recognise a key, useless to use it."""
    return f"{key[: len(API_KEY_PREFIX) + 3]}...{key[-4:]}"


def looks_like_api_key(key: str) -> bool:
    return key.startswith(API_KEY_PREFIX) and len(key) == len(API_KEY_PREFIX) + 64


class SecretBox:
    """Encrypts provider credentials with a key derived from the server's secret key (Fernet: AES + HMAC)."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"modelyard", info=b"provider-credentials"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError(
                "cannot decrypt a stored provider credential: MODELYARD_SECRET_KEY differs from the one "
                "it was saved with"
            ) from None


def constant_time_equals(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def webhook_signing_key(secret_key: str, user_id: int) -> str:
    """The key a user's webhooks are signed with, derived (HKDF) from the server's secret key: nothing to
    store, one per user (so no user can forge another's alerts), the same in every server process. Hex, as
    the alert settings API shows it."""
    return (
        HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"modelyard",
            info=f"webhook-signing:{user_id}".encode(),
        )
        .derive(secret_key.encode())
        .hex()
    )


def webhook_signature(key: str, body: bytes) -> str:
    """The `X-Modelyard-Signature` header value: `sha256=` + hex HMAC-SHA256 of the raw body, keyed with the
    key's text as the user sees it."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
