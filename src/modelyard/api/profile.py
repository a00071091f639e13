"""The signed-in caller's profile (name, email, avatar, password) and preferences (theme, language, default
model, routing strategy, low-balance alert)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from modelyard.accounts import service as accounts
from modelyard.api import alerts as alerts_api
from modelyard.api.deps import CallerDep, GatewayDep, client_ip
from modelyard.api.preferences import Strategy
from modelyard.billing import alerts
from modelyard.errors import AppError, bad_request
from modelyard.kit.money import nanos_to_usd_str
from modelyard.models import User
from modelyard.state import Gateway


class FieldErrorRoute(APIRoute):
    """Body and query validation errors name the offending field in `metadata.field` (400), as the
    checks these routers make themselves do."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise validation_error(exc) from None

        return route


def validation_error(exc: RequestValidationError) -> AppError:
    problems: list[str] = []
    field: str | None = None
    for err in exc.errors():
        parts = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        location = ".".join(parts)
        if field is None and location:
            field = location
        problems.append(f"{location}: {err.get('msg')}" if location else str(err.get("msg")))
    return AppError(
        400, "Invalid request: " + "; ".join(problems), metadata={"field": field} if field else None
    )


router = APIRouter(tags=["account"], route_class=FieldErrorRoute)

MAX_DISPLAY_NAME = 200
MAX_AVATAR_URL = 2000
Theme = Literal["light", "dark", "system"]
Language = Literal["en", "zh-CN"]
DEFAULT_THEME: Theme = "system"
DEFAULT_LANGUAGE: Language = "en"


class ProfileOut(BaseModel):
    id: int
    email: str
    display_name: str | None
    avatar_url: str | None
    role: str
    has_password: bool = Field(description="False for an account that signs in with Google only")
    google_linked: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> ProfileOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            avatar_url=user.avatar_url,
            role=user.role,
            has_password=bool(user.password_hash),
            google_linked=user.google_id is not None,
            created_at=user.created_at,
        )


class ProfileIn(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=MAX_DISPLAY_NAME, description="null: none")
    email: str | None = Field(default=None, max_length=320, description="The new sign-in address")
    avatar_url: str | None = Field(default=None, max_length=MAX_AVATAR_URL, description="http(s); null: none")
    password: str | None = Field(default=None, max_length=1024, description="The new password")
    current_password: str | None = Field(
        default=None,
        max_length=1024,
        description="Required with `password` when the account has one (not for Google-only accounts)",
    )


class AlertPreferencesOut(BaseModel):
    threshold: str = Field(description="USD: an alert is sent when a charge takes the balance below this")
    threshold_is_default: bool
    email: str | None = Field(description="Where email alerts go; null: no email alerts")
    email_enabled: bool = Field(description="Whether this server sends email at all")
    webhook_url: str | None
    alerted: bool = Field(description="Alerted for the current period below the threshold")


class PreferencesOut(BaseModel):
    theme: Theme
    language: Language
    default_model: str | None = Field(description="The catalogue slug the web app preselects")
    routing_strategy: Strategy | None = Field(description="Your choice; null: the server's default")
    effective_routing_strategy: str = Field(description="What your requests use when they name none")
    low_balance_alert: AlertPreferencesOut = Field(
        description="The same settings as /api/balance/alerts (which also shows the webhook signing key)"
    )


class PreferencesIn(BaseModel):
    """Fields left out stay as they are; null puts one back to its default."""

    model_config = ConfigDict(extra="forbid")

    theme: Theme | None = None
    language: Language | None = None
    default_model: str | None = Field(default=None, max_length=300, description="A catalogue model slug")
    routing_strategy: Strategy | None = Field(default=None, description="null: the server's default")
    low_balance_alert: alerts_api.AlertSettingsIn | None = Field(
        default=None, description="threshold, email and webhook_url, as PUT /api/balance/alerts takes them"
    )


# --- profile


@router.get("/api/user/profile", response_model=ProfileOut, summary="Your profile")
async def get_profile(caller: CallerDep, gateway: GatewayDep) -> ProfileOut:
    async with gateway.sessions() as db:
        user = await _user(db.get(User, caller.user_id))
    return ProfileOut.of(user)


@router.patch(
    "/api/user/profile",
    response_model=ProfileOut,
    summary="Change your name, email, avatar or password",
    responses={
        400: {
            "description": "A field is not valid (metadata.field names it), or the current password is wrong"
        },
        403: {"description": "Email and password changes need a signed-in session, not an API key"},
        409: {"description": "Another account uses this email address"},
        429: {"description": "Too many wrong current passwords; try again later"},
    },
)
async def patch_profile(
    body: ProfileIn, caller: CallerDep, request: Request, gateway: GatewayDep
) -> ProfileOut:
    given = body.model_fields_set
    display_name = _display_name(body.display_name) if "display_name" in given else None
    avatar_url = _avatar_url(body.avatar_url) if "avatar_url" in given else None
    if "email" in given and body.email is None:
        raise bad_request("`email` must be an email address", field="email")
    if "password" in given and body.password is None:
        raise bad_request("`password` must be the new password", field="password")
    if "current_password" in given and "password" not in given:
        raise bad_request(
            "`current_password` is only needed to set a new `password`", field="current_password"
        )
    for field in ("email", "password"):
        if field in given and caller.session_id is None:
            # An API key sits in programs and their configuration: it must not be enough to take the
            # account over (a new sign-in address or password).
            raise AppError(
                403,
                f"Changing the {field} needs a signed-in session, not an API key",
                metadata={"error_type": "permission_denied", "field": field},
            )
    auth = gateway.auth
    ip = client_ip(request)
    try:
        async with gateway.sessions() as db, db.begin():
            user = await _user(db.get(User, caller.user_id, with_for_update=True))
            signed_in_as = user.email  # failed password checks count against the address one signs in with
            if "display_name" in given:
                user.display_name = display_name
            if "avatar_url" in given:
                user.avatar_url = avatar_url
            if body.email is not None and "email" in given:
                await accounts.change_email(db, user, body.email)
            if body.password is not None:
                if user.password_hash:
                    # Guessing the current password here counts like failed sign-ins.
                    await auth.check_login_allowed(signed_in_as, ip)
                try:
                    accounts.change_password(user, body.password, body.current_password)
                except accounts.AccountForbidden:
                    await auth.login_failed(signed_in_as, ip)
                    raise
                # Whoever else is signed in (perhaps with the old password) is signed out.
                for row in await auth.sessions.list_for(db, user.id):
                    if row.id != caller.session_id:
                        await auth.sessions.revoke(db, user.id, row.id, reason="password_changed")
            await db.flush()
            out = ProfileOut.of(user)
    except accounts.AccountConflict as exc:
        raise AppError(409, str(exc), metadata={"field": exc.field}) from None
    except accounts.AccountError as exc:
        raise AppError(400, str(exc), metadata={"field": exc.field} if exc.field else None) from None
    return out


# --- preferences


@router.get("/api/user/preferences", response_model=PreferencesOut, summary="Your preferences")
async def get_preferences(caller: CallerDep, gateway: GatewayDep) -> PreferencesOut:
    async with gateway.sessions() as db:
        user = await _user(db.get(User, caller.user_id))
        settings = await alerts.get_settings(db, user.id, gateway.notifier.default_threshold_nanos)
        return _preferences(user, settings, gateway)


@router.patch(
    "/api/user/preferences",
    response_model=PreferencesOut,
    summary="Change your preferences",
    responses={400: {"description": "A field is not valid; metadata.field names it"}},
)
async def patch_preferences(body: PreferencesIn, caller: CallerDep, gateway: GatewayDep) -> PreferencesOut:
    given = body.model_fields_set
    remembered: dict[str, Any] = {}
    if "theme" in given:
        remembered["theme"] = body.theme
    if "language" in given:
        remembered["language"] = body.language
    if "default_model" in given:
        remembered["default_model"] = _default_model(body.default_model, gateway)
    alert_changes: dict[str, Any] = {}
    if "low_balance_alert" in given:
        if body.low_balance_alert is None:
            raise bad_request(
                "`low_balance_alert` must be an object with threshold, email or webhook_url",
                field="low_balance_alert",
            )
        alert_changes = _alert_changes(body.low_balance_alert, gateway)
    strategy_changed = False
    async with gateway.sessions() as db, db.begin():
        user = await _user(db.get(User, caller.user_id, with_for_update=True))
        if remembered:
            merged = dict(user.preferences or {})
            for name, value in remembered.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            user.preferences = merged  # a new object: the JSON column sees the change
        if "routing_strategy" in given and body.routing_strategy != user.routing_strategy:
            user.routing_strategy = body.routing_strategy
            strategy_changed = True
        await db.flush()
        default_threshold = gateway.notifier.default_threshold_nanos
        if alert_changes:
            settings = await alerts.update_settings(db, user.id, default_threshold, **alert_changes)
        else:
            settings = await alerts.get_settings(db, user.id, default_threshold)
        out = _preferences(user, settings, gateway)
    if strategy_changed:
        await gateway.announce_change()  # keys carry their owner's strategy in every instance's cache
    return out


def _preferences(user: User, settings: alerts.AlertSettings, gateway: Gateway) -> PreferencesOut:
    stored = user.preferences or {}
    theme = stored.get("theme")
    language = stored.get("language")
    default_model = stored.get("default_model")
    strategy = user.routing_strategy
    return PreferencesOut(
        theme=theme if theme in get_args(Theme) else DEFAULT_THEME,
        language=language if language in get_args(Language) else DEFAULT_LANGUAGE,
        default_model=default_model if isinstance(default_model, str) else None,
        routing_strategy=cast(Strategy, strategy) if strategy in get_args(Strategy) else None,
        effective_routing_strategy=strategy or gateway.chat.default_strategy,
        low_balance_alert=AlertPreferencesOut(
            threshold=nanos_to_usd_str(settings.threshold_nanos),
            threshold_is_default=settings.is_default_threshold,
            email=settings.email,
            email_enabled=gateway.notifier.email_enabled,
            webhook_url=settings.webhook_url,
            alerted=settings.is_alerted,
        ),
    )


def _alert_changes(body: alerts_api.AlertSettingsIn, gateway: Gateway) -> dict[str, Any]:
    """The checks of PUT /api/balance/alerts, with the field named by its place in this document."""
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    try:
        if "threshold" in given:
            changes["threshold_nanos"] = (
                None if body.threshold is None else alerts_api.parse_threshold(body.threshold)
            )
        if "email" in given:
            changes["email"] = None if body.email is None else alerts_api.parse_email(body.email)
        if "webhook_url" in given:
            changes["webhook_url"] = (
                None
                if body.webhook_url is None
                else alerts_api.parse_webhook_url(body.webhook_url, gateway.notifier.allow_private_webhooks)
            )
    except AppError as exc:
        metadata = dict(exc.metadata or {})
        if "field" in metadata:
            metadata["field"] = f"low_balance_alert.{metadata['field']}"
        raise AppError(exc.status, exc.message, metadata=metadata, headers=exc.headers) from None
    return changes


async def _user(lookup: Awaitable[User | None]) -> User:
    user = await lookup
    if user is None:
        raise AppError(401, "This account no longer exists", metadata={"error_type": "authentication"})
    return user


def _display_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise bad_request("`display_name` must not contain control characters", field="display_name")
    return value or None


def _avatar_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    problem = bad_request(
        f"`avatar_url` must be an http:// or https:// URL with a host, at most {MAX_AVATAR_URL} characters, "
        "or null for none",
        field="avatar_url",
    )
    if len(value) > MAX_AVATAR_URL or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise problem from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise problem
    return value


def _default_model(value: str | None, gateway: Gateway) -> str | None:
    if value is None:
        return None
    slug = value.strip()
    if slug not in gateway.cache.catalog.models:
        raise bad_request(
            f"`default_model` must be a model of the catalogue, such as openai/gpt-4o; {slug!r} is not",
            field="default_model",
        )
    return slug
