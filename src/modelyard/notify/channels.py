"""The two ways an alert leaves the server: email through the configured SMTP server (the stdlib client, in a
thread), and an HTTP POST signed with HMAC-SHA256 (the app's pooled aiohttp session)."""

from __future__ import annotations

import asyncio
import ipaddress
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr

from modelyard.config import Settings
from modelyard.kit.secrets import webhook_signature

SIGNATURE_HEADER = "X-Modelyard-Signature"
TIMESTAMP_HEADER = "X-Modelyard-Timestamp"
EVENT_HEADER = "X-Modelyard-Event"
USER_AGENT = "Modelyard-Webhook/1"


class DeliveryError(Exception):
    """One failed attempt. `permanent`: trying again cannot help (the address is refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: SecretStr | None
    starttls: bool
    sender: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        if settings.smtp_host is None:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            sender=settings.smtp_from,
            timeout=settings.alert_timeout_seconds,
        )


def _send_email_sync(config: SmtpConfig, message: EmailMessage) -> None:
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.username is not None and config.password is not None:
            smtp.login(config.username, config.password.get_secret_value())
        smtp.send_message(message)


async def send_email(config: SmtpConfig, message: EmailMessage) -> None:
    try:
        await asyncio.to_thread(_send_email_sync, config, message)
    except (OSError, smtplib.SMTPException) as exc:
        # smtplib's messages carry the server's reply, never the password.
        raise DeliveryError(f"SMTP {config.host}:{config.port}: {type(exc).__name__}: {exc}") from None


def is_public_address(text: str) -> bool:
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def names_private_host(url: str) -> bool:
    """The URL's host is, as written, a loopback, private or link-local address (no DNS asked)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(host)
    except ValueError:
        return False  # a name: checked when it is resolved, at delivery


async def _check_public(host: str, port: int) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from None
    for *_, sockaddr in infos:
        if not is_public_address(str(sockaddr[0]).split("%", 1)[0]):
            raise DeliveryError(
                f"{host} resolves to a private address; this server calls only public ones "
                "(MODELYARD_ALERT_WEBHOOK_ALLOW_PRIVATE_NETWORKS)",
                permanent=True,
            )


async def post_webhook(
    http: aiohttp.ClientSession,
    url: str,
    body: bytes,
    key: str,
    *,
    total_seconds: float,
    allow_private: bool,
) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not allow_private:
        if names_private_host(url):
            raise DeliveryError(f"{host} is a private address", permanent=True)
        await _check_public(host, parts.port or (443 if parts.scheme == "https" else 80))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: "low_balance",
        SIGNATURE_HEADER: webhook_signature(key, body),
        TIMESTAMP_HEADER: str(int(time.time())),
    }
    try:
        async with http.post(
            url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=total_seconds),
            allow_redirects=False,
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"{host} answered HTTP {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(f"{host}: {type(exc).__name__}: {exc}") from None
