"""Site settings for administrators: sign-up, sign-in with Google (OpenID Connect), SMTP, the default alert
threshold and the catalogue sync schedule. Each overrides its MODELYARD_* environment default until reset,
and applies at once on every server (settings_store/). Secrets are write-only: answers say whether one is
set, never what it is."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.config import Settings
from modelyard.errors import AppError
from modelyard.settings_store import SETTING_NAMES, SettingsError, SiteSettingsStore
from modelyard.state import Gateway

router = APIRouter(tags=["admin"])

SignupMode = Literal["open", "invite", "closed"]
SettingName = Literal[
    "signup_mode",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_discovery_url",
    "oidc_provider_name",
    "oidc_link_verified_email",
    "smtp_host",
    "smtp_port",
    "smtp_username",
    "smtp_password",
    "smtp_starttls",
    "smtp_from",
    "low_balance_threshold",
    "catalog_sync_interval_seconds",
    "catalog_sync_url",
]


class SiteValues(BaseModel):
    """Settings as they are (in effect, or in the environment): secrets only as whether they are set."""

    signup_mode: SignupMode = Field(
        description="open: anyone may sign up; invite: sign-up needs an invite code; closed: no sign-up"
    )
    oidc_enabled: bool = Field(description="Sign-in with the provider is on: a client id and secret are set")
    oidc_client_id: str | None
    oidc_client_secret_set: bool
    oidc_discovery_url: str
    oidc_provider_name: str
    oidc_link_verified_email: bool
    smtp_enabled: bool = Field(description="Alerts go out by email: an SMTP host is set")
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password_set: bool
    smtp_starttls: bool
    smtp_from: str
    low_balance_threshold: str = Field(description="USD: the alert threshold of users who chose none")
    catalog_sync_interval_seconds: float | None = Field(description="null: no scheduled catalogue sync")
    catalog_sync_url: str

    @classmethod
    def of(cls, settings: Settings) -> SiteValues:
        return cls(
            signup_mode=settings.signup_mode,
            oidc_enabled=settings.oidc_client_id is not None and settings.oidc_client_secret is not None,
            oidc_client_id=settings.oidc_client_id,
            oidc_client_secret_set=settings.oidc_client_secret is not None,
            oidc_discovery_url=settings.oidc_discovery_url,
            oidc_provider_name=settings.oidc_provider_name,
            oidc_link_verified_email=settings.oidc_link_verified_email,
            smtp_enabled=settings.smtp_host is not None,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_username=settings.smtp_username,
            smtp_password_set=settings.smtp_password is not None,
            smtp_starttls=settings.smtp_starttls,
            smtp_from=settings.smtp_from,
            low_balance_threshold=settings.low_balance_threshold_usd,
            catalog_sync_interval_seconds=settings.catalog_sync_interval,
            catalog_sync_url=settings.catalog_sync_url,
        )


class SiteSettingsOut(BaseModel):
    values: SiteValues = Field(description="In effect now, on every server")
    environment: SiteValues = Field(description="The MODELYARD_* defaults a reset returns to")
    sources: dict[str, Literal["site", "environment"]] = Field(
        description="Per setting: set here (site) or the environment's default"
    )
    problem: str | None = Field(
        description="Saved settings that cannot be applied (the environment's are used instead), and why"
    )
    restart_required: list[str] = Field(
        description="Settings whose change needs a restart to apply (none today: every one applies at once)"
    )


class SiteSettingsPatch(BaseModel):
    """Fields sent change (null clears a setting that may be empty: no SMTP host, no client id); fields left
    out stay. `reset` returns settings to their environment default."""

    model_config = ConfigDict(extra="forbid")

    signup_mode: SignupMode | None = None
    oidc_client_id: str | None = Field(default=None, max_length=500)
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="Write-only: stored encrypted, never returned"
    )
    oidc_discovery_url: str | None = Field(default=None, max_length=2000)
    oidc_provider_name: str | None = Field(default=None, max_length=60)
    oidc_link_verified_email: bool | None = None
    smtp_host: str | None = Field(default=None, max_length=500)
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_username: str | None = Field(default=None, max_length=500)
    smtp_password: SecretStr | None = Field(
        default=None, description="Write-only: stored encrypted, never returned"
    )
    smtp_starttls: bool | None = None
    smtp_from: str | None = Field(default=None, max_length=500)
    low_balance_threshold: str | None = Field(
        default=None, max_length=40, description='USD, e.g. "1" or "2.50"'
    )
    catalog_sync_interval_seconds: float | None = Field(
        default=None, description="Seconds between scheduled syncs (at least 1); null: none"
    )
    catalog_sync_url: str | None = Field(default=None, max_length=2000)
    reset: list[SettingName] = Field(
        default_factory=list, description="Settings to return to their environment default"
    )


# Settings where an empty text means "none" (no SMTP server, no sign-in provider).
_EMPTY_IS_NONE = frozenset(
    {"oidc_client_id", "oidc_client_secret", "smtp_host", "smtp_username", "smtp_password"}
)


def _store(gateway: Gateway) -> SiteSettingsStore:
    if gateway.site is None:
        raise AppError(503, "site settings are not loaded yet")
    return gateway.site


def _describe(store: SiteSettingsStore) -> SiteSettingsOut:
    return SiteSettingsOut(
        values=SiteValues.of(store.effective),
        environment=SiteValues.of(store.base),
        sources={name: store.source(name) for name in SETTING_NAMES},
        problem=store.problem,
        restart_required=[],
    )


@router.get("/api/admin/settings", response_model=SiteSettingsOut, summary="Site settings")
async def get_site_settings(admin: AdminPrincipal, gateway: GatewayDep) -> SiteSettingsOut:
    return _describe(_store(gateway))


@router.patch(
    "/api/admin/settings",
    response_model=SiteSettingsOut,
    summary="Change site settings",
    description="All or nothing: a change that breaks a rule (a SMTP username without a password, a "
    "client id without a secret) changes nothing and answers 400 naming the setting.",
)
async def update_site_settings(
    body: SiteSettingsPatch, admin: AdminPrincipal, gateway: GatewayDep
) -> SiteSettingsOut:
    store = _store(gateway)
    changes: dict[str, Any] = {}
    for name in body.model_fields_set - {"reset"}:
        value = getattr(body, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()  # kept as typed: spaces may belong to a password
        elif isinstance(value, str):
            value = value.strip()
        if value == "" and name in _EMPTY_IS_NONE:
            value = None
        changes[name] = value
    try:
        await store.update(changes, list(body.reset), actor_user_id=admin.user_id)
    except SettingsError as exc:
        raise AppError(400, str(exc), metadata={"field": exc.field} if exc.field else None) from None
    await gateway.announce_change()  # other servers re-read the settings now (with Redis)
    return _describe(store)
