"""The alert queue: the settlement writer submits (never waits), a background task delivers each alert by
email and/or webhook, each channel retried on its own with exponential backoff, and every failure logged.

Delivery state lives in memory: what is still queued or waiting for a retry when the process stops gets a
short grace period, then is dropped with a warning (the alert flag in the database stays set, so it is not
sent twice by another process either).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import aiohttp

from modelyard.billing.alerts import LowBalance
from modelyard.billing.codes import FailureLimiter
from modelyard.config import Settings
from modelyard.kit.secrets import webhook_signing_key
from modelyard.notify.channels import DeliveryError, SmtpConfig, post_webhook, send_email
from modelyard.notify.messages import email_message, webhook_body

log = logging.getLogger(__name__)

Channel = Literal["email", "webhook"]
MAX_QUEUED = 10_000
MAX_BACKOFF_SECONDS = 300.0
# Test alerts a user may send per window: each one can be an email to an address they chose.
TESTS_PER_WINDOW = 5
TEST_WINDOW_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class ChannelResult:
    status: Literal["sent", "failed", "off"]
    detail: str | None = None


class Notifier:
    def __init__(self, settings: Settings, http: aiohttp.ClientSession, secret_key: str) -> None:
        self.default_threshold_nanos = settings.low_balance_threshold_nanos
        self.allow_private_webhooks = settings.alert_webhook_allow_private_networks
        self._smtp = SmtpConfig.from_settings(settings)
        self._http = http
        self._secret_key = secret_key
        self._max_attempts = settings.alert_max_attempts
        self._retry_base = settings.alert_retry_base_seconds
        self._timeout = settings.alert_timeout_seconds
        self._queue: asyncio.Queue[LowBalance] = asyncio.Queue(MAX_QUEUED)
        self._deliveries: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(8)  # attempts in flight at once
        self.test_limiter = FailureLimiter(TESTS_PER_WINDOW, TEST_WINDOW_SECONDS)

    @property
    def queued(self) -> int:
        """Alerts waiting to be delivered (for /metrics)."""
        return self._queue.qsize()

    def reconfigure(self, settings: Settings) -> None:
        """The site settings changed: the default threshold and the SMTP server apply from the next alert
        (deliveries already under way finish with what they started with)."""
        self.default_threshold_nanos = settings.low_balance_threshold_nanos
        self._smtp = SmtpConfig.from_settings(settings)

    @property
    def email_enabled(self) -> bool:
        return self._smtp is not None

    def webhook_secret(self, user_id: int) -> str:
        return webhook_signing_key(self._secret_key, user_id)

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="alert-notifier")

    def submit(self, alerts: Iterable[LowBalance]) -> None:
        """Queues alerts for delivery; never blocks (a full queue drops and logs)."""
        for alert in alerts:
            if not self._channels(alert):
                continue
            try:
                self._queue.put_nowait(alert)
            except asyncio.QueueFull:
                log.error(
                    "alert queue full: dropped low-balance alert %s for user %d",
                    alert.event_id,
                    alert.user_id,
                )

    async def stop(self, grace_seconds: float) -> None:
        """Gives queued and retrying deliveries up to `grace_seconds`, then cancels what is left."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        while not self._queue.empty():
            self._dispatch(self._queue.get_nowait())
        if not self._deliveries:
            return
        _, pending = await asyncio.wait(set(self._deliveries), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            log.warning(
                "stopped with %d low-balance alert deliveries unfinished; they are dropped", len(pending)
            )

    async def send_test(self, alert: LowBalance) -> dict[Channel, ChannelResult]:
        """One attempt per channel, now, for `POST /api/balance/alerts/test`."""

        async def attempt(channel: Channel) -> ChannelResult:
            off = self._off_reason(channel, alert)
            if off is not None:
                return ChannelResult("off", off)
            try:
                await self._send(channel, alert)
            except DeliveryError as exc:
                log.info(
                    "test alert %s for user %d: %s failed: %s", alert.event_id, alert.user_id, channel, exc
                )
                return ChannelResult("failed", str(exc))
            return ChannelResult("sent")

        email, webhook = await asyncio.gather(attempt("email"), attempt("webhook"))
        return {"email": email, "webhook": webhook}

    def _off_reason(self, channel: Channel, alert: LowBalance) -> str | None:
        if channel == "email":
            if self._smtp is None:
                return (
                    "this server sends no email (no SMTP server is set in the site settings or as "
                    "MODELYARD_SMTP_HOST)"
                )
            if alert.email is None:
                return "no email address is set for alerts"
            return None
        if alert.webhook_url is None:
            return "no webhook URL is set"
        return None

    def _channels(self, alert: LowBalance) -> list[Channel]:
        channels: list[Channel] = ["email", "webhook"]
        return [channel for channel in channels if self._off_reason(channel, alert) is None]

    async def _run(self) -> None:
        while True:
            self._dispatch(await self._queue.get())

    def _dispatch(self, alert: LowBalance) -> None:
        for channel in self._channels(alert):
            task = asyncio.create_task(self._deliver(channel, alert), name=f"alert-{channel}")
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, channel: Channel, alert: LowBalance) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._slots:
                    await self._send(channel, alert)
            except Exception as exc:
                reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                last = attempt == self._max_attempts or (isinstance(exc, DeliveryError) and exc.permanent)
                if last:
                    log.error(
                        "low-balance alert %s for user %d: %s failed, giving up after attempt %d/%d: %s",
                        alert.event_id, alert.user_id, channel, attempt, self._max_attempts, reason,
                    )  # fmt: skip
                    return
                delay = min(MAX_BACKOFF_SECONDS, self._retry_base * 2 ** (attempt - 1))
                log.warning(
                    "low-balance alert %s for user %d: %s attempt %d/%d failed (%s); retrying in %.2f s",
                    alert.event_id, alert.user_id, channel, attempt, self._max_attempts, reason, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
            else:
                log.info(
                    "low-balance alert %s for user %d: delivered by %s (attempt %d)",
                    alert.event_id, alert.user_id, channel, attempt,
                )  # fmt: skip
                return

    async def _send(self, channel: Channel, alert: LowBalance) -> None:
        if channel == "email":
            smtp = self._smtp
            if smtp is None:  # turned off in the site settings since the alert was queued
                raise DeliveryError("this server no longer sends email", permanent=True)
            await send_email(smtp, email_message(alert, smtp.sender))
            return
        assert alert.webhook_url is not None
        await post_webhook(
            self._http,
            alert.webhook_url,
            webhook_body(alert),
            self.webhook_secret(alert.user_id),
            total_seconds=self._timeout,
            allow_private=self.allow_private_webhooks,
        )
