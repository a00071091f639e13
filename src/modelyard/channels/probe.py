"""Probes: one cheap upstream request that tells whether a channel's credential and model work.

A probe never raises for an upstream problem (refused, timed out, answered an error): it reports it. Its
message never contains the channel's key nor its extra header values, whatever the upstream echoed back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.channels.service import MASK, ChannelError, decode_keys
from modelyard.kit.secrets import SecretBox
from modelyard.models import Channel, ChannelModel
from modelyard.providers.base import ChannelConfig
from modelyard.providers.registry import ADAPTERS

DEFAULT_PROBE_TIMEOUT_SECONDS = 10.0
MAX_MESSAGE_CHARS = 500
# Shorter header values are too likely to occur in ordinary text to be worth masking.
_MIN_MASKED_CHARS = 8


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    latency_ms: int  # until the upstream's answer (status and headers) arrived, or the failure
    message: str
    retry_after_seconds: float | None


@dataclass(frozen=True)
class ProbeTarget:
    """A stored channel, decrypted, ready to probe with one of its models."""

    channel_id: int
    name: str
    provider: str
    config: ChannelConfig
    model_slug: str
    upstream_model: str
    timeout_seconds: float


class CredentialError(Exception):
    """The stored credential cannot be decrypted: the server's secret key is not the one it was saved with."""


async def load_target(
    session: AsyncSession, box: SecretBox, channel_id: int, model_slug: str | None = None
) -> ProbeTarget:
    """The channel with its first key and `model_slug` (default: its first served model). LookupError for
    an unknown channel, ChannelError for a model it does not serve."""
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel with id {channel_id}")
    served = (
        await session.scalars(
            select(ChannelModel).where(ChannelModel.channel_id == channel_id).order_by(ChannelModel.id)
        )
    ).all()
    if not served:
        raise ChannelError(f"channel {channel.name} serves no model")
    if model_slug is None:
        chosen = served[0]
    else:
        found = [m for m in served if m.model_slug == model_slug]
        if not found:
            names = ", ".join(m.model_slug for m in served)
            raise ChannelError(f"channel {channel.name} does not serve {model_slug} (it serves {names})")
        chosen = found[0]
    try:
        keys = decode_keys(box.decrypt(channel.api_key_encrypted))
    except ValueError as exc:
        raise CredentialError(str(exc)) from None
    if not keys:
        raise CredentialError(f"channel {channel.name} has no stored key")
    options = dict(channel.options or {})
    timeout = options.get("probe_timeout_seconds") or DEFAULT_PROBE_TIMEOUT_SECONDS
    return ProbeTarget(
        channel_id=channel.id,
        name=channel.name,
        provider=channel.provider,
        config=ChannelConfig(channel.base_url, keys[0], options),
        model_slug=chosen.model_slug,
        upstream_model=chosen.upstream_name,
        timeout_seconds=float(timeout),
    )


async def probe_channel(
    http: aiohttp.ClientSession,
    provider: str,
    channel: ChannelConfig,
    upstream_model: str,
    timeout_seconds: float,
) -> ProbeResult:
    """Sends the adapter's probe request; a 2xx answer is a success, anything else a failure described by
    the adapter's `classify_error`."""
    secrets = _secrets_of(channel)
    adapter = ADAPTERS.get(provider)
    if adapter is None:
        return ProbeResult(False, None, 0, f"unknown provider {provider!r}", None)
    request = adapter.probe_request(channel, upstream_model)
    started = time.monotonic()
    try:
        async with http.request(
            request.method,
            request.url,
            headers=request.headers,
            data=request.body or None,
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
            allow_redirects=False,
        ) as response:
            latency_ms = _since(started)
            if 200 <= response.status < 300:
                return ProbeResult(True, response.status, latency_ms, "OK", None)
            body = await response.read()
            failure = adapter.classify_error(response.status, body, response.headers)
            message = failure.message or f"HTTP {response.status}"
            return ProbeResult(
                False,
                response.status,
                latency_ms,
                _scrub(message, secrets),
                failure.retry_after_seconds,
            )
    except TimeoutError:
        # aiohttp's timeouts subclass TimeoutError; caught first as they are also ClientErrors.
        return ProbeResult(False, None, _since(started), f"no answer within {timeout_seconds:g} s", None)
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        # ValueError: a URL aiohttp cannot use. None of these is an HTTP answer.
        detail = str(exc) or type(exc).__name__
        return ProbeResult(
            False, None, _since(started), _scrub(f"cannot reach the upstream: {detail}", secrets), None
        )


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _secrets_of(channel: ChannelConfig) -> list[str]:
    values = [channel.api_key, *channel.extra_headers.values()]
    # Longest first, so a secret containing another is masked whole.
    return sorted(
        {v for v in values if len(v) >= _MIN_MASKED_CHARS or v == channel.api_key}, key=len, reverse=True
    )


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, MASK)
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"
