"""API keys: created once, stored as a SHA-256 hash plus a masked label."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.secrets import api_key_label, hash_api_key, new_api_key
from modelyard.models import ApiKey


class KeyServiceError(ValueError):
    pass


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    plaintext: str


async def create_key(session: AsyncSession, user_id: int, name: str) -> CreatedKey:
    name = name.strip()
    if not name or len(name) > 200:
        raise KeyServiceError("key name must be 1 to 200 characters")
    plaintext = new_api_key()
    key = ApiKey(user_id=user_id, name=name, key_hash=hash_api_key(plaintext), label=api_key_label(plaintext))
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, plaintext=plaintext)
