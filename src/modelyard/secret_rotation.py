"""Rotating the secret key: every value stored encrypted with it (a `kit.secrets.SecretBox` token: channel
credentials, site-setting secrets) is re-encrypted under a new key in one transaction, all or nothing. Either
offline (every server stopped; the new key is given or generated), or as the middle step of a rolling
rotation: the servers already run with the new key as MODELYARD_SECRET_KEY and the old one in
MODELYARD_SECRET_KEY_PREVIOUS, and whatever is still under the old key is re-encrypted under the current one,
so that the previous key can then be dropped.

It lives here, not in `kit/` beside the box, because it reads the tables that hold the tokens (kit imports
nothing above it). What else derives from the key holds nothing to re-encrypt: access tokens (15 minutes;
refresh tokens are random and stored as SHA-256, so a session carries on after one refresh), OpenID Connect
sign-ins in flight (a 10-minute cookie), and each user's alert-webhook signing key (derived, never stored: it
changes with the key). API keys, refresh tokens, invites and redemption codes are plain SHA-256 hashes and do
not depend on the key at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.config import MIN_SECRET_KEY_LENGTH, SECRET_KEY_FILE
from modelyard.kit.secrets import SecretBox
from modelyard.models import Channel, SiteSetting

STAGED_SUFFIX = ".new"


class RotationError(Exception):
    """A rotation that cannot be done; nothing was written."""


@dataclass(frozen=True, slots=True)
class RotationCounts:
    channels: int
    site_secrets: int
    # Of those, how many only a previous key (MODELYARD_SECRET_KEY_PREVIOUS) decrypted.
    under_previous_key: int = 0

    def describe(self) -> str:
        return f"{self.channels} channel credential(s) and {self.site_secrets} site secret(s)"


def check_new_key(new: str, current: str) -> str:
    new = new.strip()
    if len(new) < MIN_SECRET_KEY_LENGTH:
        raise RotationError(f"the new key must be at least {MIN_SECRET_KEY_LENGTH} characters")
    if any(c.isspace() for c in new):
        raise RotationError("the new key must not contain spaces or line breaks")
    if "," in new:
        # It could never be listed in MODELYARD_SECRET_KEY_PREVIOUS for the next rolling rotation.
        raise RotationError("the new key must not contain commas")
    if new == current:
        raise RotationError("the new key is the current key")
    return new


async def rotate(session: AsyncSession, current: SecretBox, new: SecretBox | None) -> RotationCounts:
    """Re-encrypts under `new` every value `current` (with its previous keys, if any) decrypts, in the
    caller's transaction; with `new` None (a dry run) only checks that every value decrypts. Raises
    RotationError naming each value (never its content) that `current` cannot decrypt, before anything is
    written."""
    if new is not None:
        await _lock_for_writing(session)
    channels = (
        await session.execute(
            select(Channel.id, Channel.name, Channel.api_key_encrypted).order_by(Channel.id)
        )
    ).all()
    site = (
        await session.execute(select(SiteSetting.name, SiteSetting.encrypted).order_by(SiteSetting.name))
    ).all()
    unreadable: list[str] = []
    under_previous = 0

    def read(token: str, label: str) -> str | None:
        nonlocal under_previous
        try:
            plain = current.decrypt(token)
        except ValueError:
            unreadable.append(label)
            return None
        if not current.is_current(token):
            under_previous += 1
        return plain

    channel_plain: dict[int, str] = {}
    for channel_id, name, token in channels:
        if (plain := read(token, f"channel {name} (id {channel_id})")) is not None:
            channel_plain[channel_id] = plain
    site_plain: dict[str, str] = {}
    for name, encrypted in site:
        if encrypted is None:
            continue  # not a secret, or a secret cleared
        if (plain := read(encrypted, f"site setting {name}")) is not None:
            site_plain[name] = plain
    if unreadable:
        raise RotationError(
            "the configured secret key(s) cannot decrypt " + ", ".join(unreadable) + "; nothing was changed. "
            "Run with the key these were saved with, or enter them again (channels edit --api-key-file, "
            "Admin → Site settings) or delete them, then rotate"
        )
    if new is not None:
        await _store(session, cast(Table, Channel.__table__), "id", "api_key_encrypted", channel_plain, new)
        await _store(session, cast(Table, SiteSetting.__table__), "name", "encrypted", site_plain, new)
    return RotationCounts(len(channel_plain), len(site_plain), under_previous)


async def _store(
    session: AsyncSession, table: Table, key: str, column: str, plaintexts: Mapping[Any, str], box: SecretBox
) -> None:
    if not plaintexts:
        return
    await session.execute(
        update(table)
        .where(table.c[key] == bindparam("row_key"))
        # updated_at set to itself: re-encrypting changes nothing an administrator did.
        .values({column: bindparam("token"), "updated_at": table.c.updated_at}),
        [{"row_key": row_key, "token": box.encrypt(plain)} for row_key, plain in plaintexts.items()],
    )


async def _lock_for_writing(session: AsyncSession) -> None:
    """Keeps anyone from saving a value between our read and our commit (it would be overwritten by what we
    read). Readers carry on: servers keep relaying, during a rolling rotation throughout."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE channels, site_settings IN SHARE ROW EXCLUSIVE MODE"))
    else:
        # SQLite: a write statement (matching nothing) takes the database's write lock for the transaction.
        await session.execute(text("UPDATE site_settings SET name = name WHERE 0 = 1"))


# --------------------------------------------------------------------------- the key file in the data dir


def key_file(data_dir: Path) -> Path:
    return data_dir / SECRET_KEY_FILE


def stage_key(data_dir: Path, key: str) -> Path:
    """Writes the new key beside the key file before the database changes, so that a crash between the
    commit and `install_key` leaves it on disk rather than nowhere."""
    staged = key_file(data_dir).with_name(SECRET_KEY_FILE + STAGED_SUFFIX)
    try:
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RotationError(
            f"{staged} exists: an earlier rotation did not finish. If `secrets rotate --dry-run` fails with "
            f"the current key, the database uses that one: move it over {key_file(data_dir)}; otherwise "
            "delete it. Then run again"
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return staged


def install_key(staged: Path) -> Path:
    """Replaces the key file with the staged one in one step (rename), durable once this returns."""
    target = staged.with_name(SECRET_KEY_FILE)
    os.replace(staged, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target
