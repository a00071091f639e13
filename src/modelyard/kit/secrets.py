"""API-key hashing and at-rest encryption of provider credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def purpose_fernet(secret_key: str, purpose: bytes) -> Fernet:
    """A Fernet whose key is derived (HKDF) from the server's secret key for one purpose only, so that no two
    uses of the secret key share a key."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"modelyard", info=purpose).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Encrypts provider credentials and site secrets with a key derived from the server's secret key (Fernet:
    AES + HMAC). Previous secret keys (a rolling rotation, MODELYARD_SECRET_KEY_PREVIOUS) only decrypt:
    whatever is encrypted is under the current key, so nothing new ever depends on a key being retired."""

    def __init__(self, secret_key: str, previous: Sequence[str] = ()) -> None:
        self._current = purpose_fernet(secret_key, b"provider-credentials")
        self._any = MultiFernet(
            [self._current, *(purpose_fernet(key, b"provider-credentials") for key in previous)]
        )
        self._has_previous = bool(previous)

    def encrypt(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._any.decrypt(token.encode()).decode()
        except InvalidToken:
            configured = (
                "neither MODELYARD_SECRET_KEY nor MODELYARD_SECRET_KEY_PREVIOUS holds the key"
                if self._has_previous
                else "MODELYARD_SECRET_KEY differs from the one"
            )
            raise ValueError(
                f"cannot decrypt a stored provider credential: {configured} it was saved with"
            ) from None

    def is_current(self, token: str) -> bool:
        """Whether the current key alone decrypts the token (False: a previous key's, or no key's)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True


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
