"""The caller's low-balance alert: threshold, email and webhook, and a test send."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from modelyard.api.deps import ApiKeyPrincipal, GatewayDep
from modelyard.api.schemas import parse_usd
from modelyard.billing import alerts
from modelyard.errors import AppError, bad_request
from modelyard.kit.clock import utcnow
from modelyard.kit.money import nanos_to_usd_str
from modelyard.notify.channels import names_private_host
from modelyard.notify.notifier import ChannelResult
from modelyard.state import Gateway

router = APIRouter(tags=["account"])

# ASCII addresses only, one address: nothing that could reach the mail headers as a list or a new line.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
MAX_EMAIL = 320
MAX_URL = 2000


class AlertSettingsOut(BaseModel):
    threshold: str = Field(description="USD: an alert is sent when a charge takes the balance below this")
    threshold_is_default: bool = Field(description="The server's default threshold, not one you chose")
    email: str | None = Field(description="Where email alerts go; null: no email alerts")
    email_enabled: bool = Field(description="Whether this server sends email at all")
    webhook_url: str | None
    webhook_secret: str = Field(
        description="Key of the X-Modelyard-Signature header: sha256=<hex HMAC-SHA256 of the raw body>"
    )
    alerted: bool = Field(description="Alerted for the current period below the threshold")


class AlertSettingsIn(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    threshold: Any = Field(
        default=None, description='USD, e.g. "5" or "2.50"; "0" turns alerts off; null: the server default'
    )
    email: str | None = Field(default=None, description="Address for alerts; null: no email alerts")
    webhook_url: str | None = Field(default=None, description="http(s) URL to POST alerts to; null: none")


class ChannelResultOut(BaseModel):
    status: Literal["sent", "failed", "off"]
    detail: str | None

    @classmethod
    def of(cls, result: ChannelResult) -> ChannelResultOut:
        return cls(status=result.status, detail=result.detail)


class AlertTestOut(BaseModel):
    email: ChannelResultOut
    webhook: ChannelResultOut


def _out(settings: alerts.AlertSettings, gateway: Gateway, user_id: int) -> AlertSettingsOut:
    return AlertSettingsOut(
        threshold=nanos_to_usd_str(settings.threshold_nanos),
        threshold_is_default=settings.is_default_threshold,
        email=settings.email,
        email_enabled=gateway.notifier.email_enabled,
        webhook_url=settings.webhook_url,
        webhook_secret=gateway.notifier.webhook_secret(user_id),
        alerted=settings.is_alerted,
    )


@router.get("/api/balance/alerts", response_model=AlertSettingsOut, summary="Low-balance alert settings")
async def get_alerts(principal: ApiKeyPrincipal, gateway: GatewayDep) -> AlertSettingsOut:
    async with gateway.sessions() as session:
        current = await alerts.get_settings(
            session, principal.user_id, gateway.notifier.default_threshold_nanos
        )
    return _out(current, gateway, principal.user_id)


@router.put(
    "/api/balance/alerts",
    response_model=AlertSettingsOut,
    summary="Change low-balance alert settings",
    responses={400: {"description": "A field is not valid; the message names it"}},
)
async def put_alerts(
    body: AlertSettingsIn, principal: ApiKeyPrincipal, gateway: GatewayDep
) -> AlertSettingsOut:
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    if "threshold" in given:
        changes["threshold_nanos"] = None if body.threshold is None else parse_threshold(body.threshold)
    if "email" in given:
        changes["email"] = None if body.email is None else parse_email(body.email)
    if "webhook_url" in given:
        changes["webhook_url"] = (
            None
            if body.webhook_url is None
            else parse_webhook_url(body.webhook_url, gateway.notifier.allow_private_webhooks)
        )
    async with gateway.sessions() as session, session.begin():
        updated = await alerts.update_settings(
            session, principal.user_id, gateway.notifier.default_threshold_nanos, **changes
        )
    return _out(updated, gateway, principal.user_id)


@router.post(
    "/api/balance/alerts/test",
    response_model=AlertTestOut,
    summary="Send a test alert to the configured channels",
    responses={429: {"description": "Too many test alerts; try again later"}},
)
async def test_alerts(principal: ApiKeyPrincipal, gateway: GatewayDep) -> AlertTestOut:
    notifier = gateway.notifier
    # Each test may email an address the caller typed in: a few per user and window, not a mail relay.
    wait = notifier.test_limiter.retry_after(principal.user_id)
    if wait is not None:
        raise AppError(
            429,
            "Too many test alerts; try again later",
            metadata={"error_type": "rate_limit_exceeded"},
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    notifier.test_limiter.failed(principal.user_id)  # counts the attempt
    async with gateway.sessions() as session:
        current = await alerts.get_settings(session, principal.user_id, notifier.default_threshold_nanos)
    results = await notifier.send_test(
        alerts.LowBalance(
            event_id=alerts.new_event_id(),
            user_id=principal.user_id,
            balance_nanos=current.balance_nanos,
            threshold_nanos=current.threshold_nanos,
            email=current.email,
            webhook_url=current.webhook_url,
            at=utcnow(),
            is_test=True,
        )
    )
    return AlertTestOut(
        email=ChannelResultOut.of(results["email"]), webhook=ChannelResultOut.of(results["webhook"])
    )


def parse_threshold(value: object) -> int:
    problem = bad_request(
        '`threshold` must be a USD amount of at least 0 such as "5" or "2.50" (at most 9 decimals), or null '
        "for the server's default",
        field="threshold",
    )
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise problem
    try:
        nanos = parse_usd(value)
    except ValueError:
        raise problem from None
    if nanos < 0:
        raise problem
    return nanos


def parse_email(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value):
        raise bad_request(
            "`email` must be one email address such as you@example.com, or null for no email alerts",
            field="email",
        )
    return value


def parse_webhook_url(value: str, allow_private: bool) -> str:
    value = value.strip()
    problem = bad_request(
        "`webhook_url` must be an http:// or https:// URL with a host, or null for no webhook",
        field="webhook_url",
    )
    if len(value) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise problem
    if not allow_private and names_private_host(value):
        raise bad_request(
            "`webhook_url` points to a loopback or private address, which this server does not call",
            field="webhook_url",
        )
    return value
