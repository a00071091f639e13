"""Site settings an administrator changes in the web app, over the environment's MODELYARD_* defaults.

The environment stays the default: a setting takes the value of its `site_settings` row while that row
exists, and its environment value again once the row is reset. The values in effect are a whole `Settings`
(the environment's with the rows applied, validated by the same rules as at start), so code that reads a
setting reads it from `SiteSettingsStore.effective` and never sees a half-applied change.

Every process keeps the rows in memory and re-reads them with the gateway's caches (at every cache refresh,
and at once when a change is announced through Redis); whoever reads a setting at runtime subscribes to
changes (`subscribe`) or reads `effective` when it needs it. Secrets (the SMTP password, the OpenID Connect
client secret) are stored encrypted with the key provider credentials use, and no answer ever contains them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.config import Settings
from modelyard.kit.secrets import SecretBox
from modelyard.models import SiteSetting

log = logging.getLogger(__name__)

Source = Literal["site", "environment"]
# A scheduled catalogue sync more often than this is a mistake (the catalogue is a large document).
MIN_SYNC_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Definition:
    """One setting an administrator may change: its name in the API and the `Settings` field it overrides."""

    name: str
    field: str
    is_secret: bool = False
    is_nullable: bool = False


DEFINITIONS: tuple[Definition, ...] = (
    Definition("signup_mode", "signup_mode"),
    Definition("oidc_client_id", "oidc_client_id", is_nullable=True),
    Definition("oidc_client_secret", "oidc_client_secret", is_secret=True, is_nullable=True),
    Definition("oidc_discovery_url", "oidc_discovery_url"),
    Definition("oidc_provider_name", "oidc_provider_name"),
    Definition("oidc_link_verified_email", "oidc_link_verified_email"),
    Definition("smtp_host", "smtp_host", is_nullable=True),
    Definition("smtp_port", "smtp_port"),
    Definition("smtp_username", "smtp_username", is_nullable=True),
    Definition("smtp_password", "smtp_password", is_secret=True, is_nullable=True),
    Definition("smtp_starttls", "smtp_starttls"),
    Definition("smtp_from", "smtp_from"),
    Definition("low_balance_threshold", "low_balance_threshold_usd"),
    Definition("catalog_sync_interval_seconds", "catalog_sync_interval", is_nullable=True),
    Definition("catalog_sync_url", "catalog_sync_url"),
)
BY_NAME: Mapping[str, Definition] = {d.name: d for d in DEFINITIONS}
SETTING_NAMES = tuple(BY_NAME)


class SettingsError(ValueError):
    """A change that cannot be applied; `field` names the setting."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _field_to_name(field: str) -> str | None:
    for definition in DEFINITIONS:
        if definition.field == field:
            return definition.name
    return None


def build_effective(base: Settings, overrides: Mapping[str, Any]) -> Settings:
    """The environment's settings with `overrides` (API names -> values) applied, checked by the rules
    Settings applies at start; SettingsError names the first setting that breaks one."""
    values = base.model_dump()
    for name, value in overrides.items():
        definition = BY_NAME[name]
        if value is None and not definition.is_nullable:
            raise SettingsError(f"{name} cannot be empty; reset it to use the environment's value", name)
        values[definition.field] = value
    interval = overrides.get("catalog_sync_interval_seconds")
    if interval is not None and (
        isinstance(interval, bool)
        or not isinstance(interval, int | float)
        or interval < MIN_SYNC_INTERVAL_SECONDS
    ):
        raise SettingsError(
            f"catalog_sync_interval_seconds must be at least {MIN_SYNC_INTERVAL_SECONDS:g} second, or null "
            "for no scheduled sync",
            "catalog_sync_interval_seconds",
        )
    try:
        return Settings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        setting = _field_to_name(field)
        message = str(error["msg"]).removeprefix("Value error, ")
        if "MODELYARD_SMTP_USERNAME" in message:
            message, setting = (
                "smtp_username and smtp_password go together: set both or neither",
                "smtp_password",
            )
        elif "MODELYARD_OIDC_CLIENT_ID" in message:
            message, setting = (
                "oidc_client_id and oidc_client_secret go together: set both or neither",
                "oidc_client_secret",
            )
        label = setting or field
        raise SettingsError(f"{label}: {message}" if label else message, setting) from None


@dataclass(frozen=True)
class _Row:
    value: Any
    encrypted: str | None


class SiteSettingsStore:
    def __init__(self, base: Settings, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self.base = base
        self._sessions = sessions
        self._box = box
        self._rows: dict[str, _Row] = {}
        self.overrides: dict[str, Any] = {}
        self.effective: Settings = base
        # Stored rows that cannot be applied (a secret saved under another secret key, a combination the
        # environment's values now break): the environment's values are used and this says why.
        self.problem: str | None = None
        self._listeners: list[Callable[[Settings], None]] = []
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ reading

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        """Calls `listener(effective)` now and after every change."""
        self._listeners.append(listener)
        listener(self.effective)

    async def wait_for_change(self, seconds: float | None) -> bool:
        """True when the settings changed within `seconds` (None: wait for ever)."""
        event = self._changed
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True

    def source(self, name: str) -> Source:
        return "site" if name in self.overrides else "environment"

    async def reload(self) -> bool:
        """Re-reads the rows; True (and listeners told) when they changed."""
        async with self._sessions() as session:
            rows = {
                row.name: _Row(row.value, row.encrypted)
                for row in (await session.scalars(select(SiteSetting))).all()
            }
        if rows == self._rows:
            return False
        self._rows = rows
        self._apply(rows)
        return True

    def _apply(self, rows: dict[str, _Row]) -> None:
        overrides: dict[str, Any] = {}
        problems: list[str] = []
        for name, row in rows.items():
            definition = BY_NAME.get(name)
            if definition is None:
                continue  # written by a newer version of Modelyard
            if not definition.is_secret:
                overrides[name] = row.value
            elif row.encrypted is None:
                overrides[name] = None
            else:
                try:
                    overrides[name] = self._box.decrypt(row.encrypted)
                except ValueError:
                    problems.append(f"{name} was saved with another MODELYARD_SECRET_KEY; set it again")
        try:
            effective = build_effective(self.base, overrides)
        except SettingsError as exc:
            problems.append(f"the saved settings cannot be applied ({exc}); the environment's are in use")
            overrides, effective = {}, self.base
        self.overrides = overrides
        self.effective = effective
        self.problem = "; ".join(problems) or None
        if self.problem:
            log.error("site settings: %s", self.problem)
        for listener in self._listeners:
            try:
                listener(effective)
            except Exception:
                log.exception("applying the site settings failed")
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ changing

    async def update(
        self, changes: Mapping[str, Any], reset: list[str], *, actor_user_id: int | None
    ) -> Settings:
        """Sets `changes` (API names -> values; None clears a nullable setting) and returns the `reset` ones
        to the environment's value, all or nothing; the new settings apply in this process before it
        returns."""
        unknown = sorted(set(changes) - set(BY_NAME)) + sorted(set(reset) - set(BY_NAME))
        if unknown:
            raise SettingsError(f"unknown setting {unknown[0]}", unknown[0])
        both = sorted(set(changes) & set(reset))
        if both:
            raise SettingsError(f"{both[0]} is both changed and reset; send it once", both[0])
        await self.reload()  # another instance's change must not be undone by building on a stale copy
        overrides = {k: v for k, v in self.overrides.items() if k not in reset}
        overrides.update(changes)
        build_effective(self.base, overrides)  # refuses before anything is written
        async with self._sessions() as session, session.begin():
            if reset:
                await session.execute(delete(SiteSetting).where(SiteSetting.name.in_(reset)))
            for name, value in changes.items():
                definition = BY_NAME[name]
                row = await session.get(SiteSetting, name)
                if row is None:
                    row = SiteSetting(name=name)
                    session.add(row)
                if definition.is_secret:
                    row.value = None
                    row.encrypted = None if value is None else self._box.encrypt(str(value))
                else:
                    row.value = value
                    row.encrypted = None
                row.updated_by_user_id = actor_user_id
        await self.reload()
        return self.effective
