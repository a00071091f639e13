"""Channels: an upstream account, its credential (encrypted) and the catalogue models it serves."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.catalog import providers
from modelyard.kit.secrets import SecretBox
from modelyard.models import CatalogModel, Channel, ChannelModel
from modelyard.providers.registry import ADAPTERS

SUPPORTED_PROVIDERS = tuple(ADAPTERS)


MAX_KEYS_PER_CHANNEL = 32
MAX_NAME_LENGTH = 200
QUANTIZATIONS = ("int4", "int8", "fp4", "fp6", "fp8", "fp16", "bf16", "fp32", "unknown")
MIN_PROBE_INTERVAL_SECONDS = 5
# What answers show instead of a header value: extra headers often carry a second credential.
MASK = "***"


class ChannelError(ValueError):
    pass


class DuplicateChannelName(ChannelError):
    pass


def encode_keys(keys: list[str]) -> str:
    """The plaintext stored (encrypted) for a channel's credentials: its keys, one per line, used in turn.
    One key is stored as itself, so channels created before rotation existed read the same."""
    clean: list[str] = []
    for key in keys:
        key = key.strip()
        if not key or any(c.isspace() for c in key):
            raise ChannelError("each API key must be non-empty and contain no spaces or line breaks")
        if key not in clean:
            clean.append(key)
    if not clean:
        raise ChannelError("at least one API key is required")
    if len(clean) > MAX_KEYS_PER_CHANNEL:
        raise ChannelError(f"at most {MAX_KEYS_PER_CHANNEL} API keys per channel")
    return "\n".join(clean)


def decode_keys(plaintext: str) -> tuple[str, ...]:
    return tuple(key for key in plaintext.split("\n") if key)


@dataclass(frozen=True)
class ModelMapping:
    slug: str
    upstream_name: str


def parse_model_mappings(spec: str) -> list[ModelMapping]:
    """`openai/gpt-4o,openai/gpt-4o-mini=gpt-4o-mini` -> mappings; without `=` the upstream name is the
    part after the author (`openai/gpt-4o` -> `gpt-4o`), as OpenAI-compatible servers name models."""
    mappings: list[ModelMapping] = []
    seen: set[str] = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        slug, sep, upstream = item.partition("=")
        slug, upstream = slug.strip(), upstream.strip()
        if not slug or (sep and not upstream):
            raise ChannelError(f"bad model mapping {item!r}: use SLUG or SLUG=UPSTREAM_NAME")
        if slug in seen:
            raise ChannelError(f"model {slug} is listed twice")
        seen.add(slug)
        mappings.append(ModelMapping(slug, upstream or slug.split("/", 1)[-1]))
    if not mappings:
        raise ChannelError("at least one model is required")
    return mappings


def parse_headers(values: list[str]) -> dict[str, str]:
    """`Name: value` pairs for extra upstream request headers."""
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        name, content = name.strip(), content.strip()
        if not sep or not name or any(c.isspace() for c in name):
            raise ChannelError(f"bad header {value!r}: use 'Name: value'")
        headers[name] = content
    return headers


def normalize_base_url(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ChannelError(f"base URL must be an http(s) URL such as https://api.openai.com/v1, got {url!r}")
    return url.strip().rstrip("/")


def _number(name: str, value: Any) -> float | int:
    # bool is an int to Python, but `true` for a number of seconds is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChannelError(f"option {name} must be a number, got {value!r}")
    try:
        is_finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        is_finite = False
    if not is_finite:
        raise ChannelError(f"option {name} must be a finite number")
    return value


def _positive(name: str, value: Any) -> float | int:
    number = _number(name, value)
    if number <= 0:
        raise ChannelError(f"option {name} must be greater than 0, got {value!r}")
    return number


def _probe_interval(name: str, value: Any) -> float | int:
    number = _number(name, value)
    if number < MIN_PROBE_INTERVAL_SECONDS:
        raise ChannelError(
            f"option {name} must be at least {MIN_PROBE_INTERVAL_SECONDS} seconds, got {value!r}"
        )
    return number


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ChannelError(f"option {name} must be true or false, got {value!r}")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChannelError(f"option {name} must be a non-empty string")
    return value.strip()


def _quantization(name: str, value: Any) -> str:
    if value not in QUANTIZATIONS:
        raise ChannelError(f"option {name} must be one of {', '.join(QUANTIZATIONS)}, got {value!r}")
    return str(value)


def _concurrency(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChannelError(f"option {name} must be a whole number of at least 1 (or null: unlimited)")
    return value


def _headers(name: str, value: Any) -> dict[str, str]:
    # Header values may be secrets: no message here quotes one.
    if not isinstance(value, dict):
        raise ChannelError(f"option {name} must be an object of header names to string values")
    headers: dict[str, str] = {}
    for header, content in value.items():
        if (
            not isinstance(header, str)
            or not header
            or any(c.isspace() or c == ":" or not c.isprintable() for c in header)
        ):
            raise ChannelError(f"option {name}: {header!r} is not a valid header name")
        if not isinstance(content, str) or "\r" in content or "\n" in content:
            raise ChannelError(f"option {name}: the value of {header} must be a string on one line")
        headers[header] = content.strip()
    return headers


# The stored names are read by the adapters and the relay: they are part of the storage format.
_OPTION_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "headers": _headers,
    "stream_options": _flag,
    "api_version": _text,
    "anthropic_version": _text,
    "quantization": _quantization,
    "max_concurrency": _concurrency,
    "timeout_seconds": _positive,
    "first_byte_timeout_seconds": _positive,
    "probe_enabled": _flag,
    "probe_interval_seconds": _probe_interval,
    "probe_timeout_seconds": _positive,
    # What the operator knows of the upstream's data policy, for requests asking `data_collection: deny`
    # or `zdr: true` (an endpoint not known to comply is never used for them).
    "no_training": _flag,
    "zdr": _flag,
}
OPTION_NAMES = tuple(_OPTION_CHECKS)


def validate_options(options: dict[str, Any]) -> dict[str, Any]:
    """A channel's options as stored. Raises ChannelError naming the first bad option. A None value (and
    an empty `headers`) means the option's default, which is stored as its absence."""
    clean: dict[str, Any] = {}
    for name, value in options.items():
        check = _OPTION_CHECKS.get(name)
        if check is None:
            raise ChannelError(f"unknown option {name!r}; known options: {', '.join(OPTION_NAMES)}")
        if value is None:
            continue
        checked = check(name, value)
        if checked != {}:
            clean[name] = checked
    return clean


def merge_options(stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` applied over `stored`: a None value removes the option; `headers` is replaced whole."""
    merged = dict(stored)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return validate_options(merged)


def public_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Options as answers and listings show them: header names kept, their values masked."""
    shown = dict(options or {})
    headers = shown.get("headers")
    if isinstance(headers, dict):
        shown["headers"] = dict.fromkeys(headers, MASK)
    return shown


def key_count(box: SecretBox, channel: Channel) -> int:
    """How many keys the channel rotates through; 0 when they cannot be decrypted (the secret key changed)."""
    try:
        return len(decode_keys(box.decrypt(channel.api_key_encrypted)))
    except ValueError:
        return 0


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ChannelError("channel name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ChannelError(f"channel name must be at most {MAX_NAME_LENGTH} characters")
    return name


async def _require_catalogued(session: AsyncSession, models: list[ModelMapping]) -> None:
    if not models:
        raise ChannelError("at least one model is required")
    slugs = [m.slug for m in models]
    if len(set(slugs)) != len(slugs):
        twice = next(slug for slug in slugs if slugs.count(slug) > 1)
        raise ChannelError(f"model {twice} is listed twice")
    known = set(await session.scalars(select(CatalogModel.slug).where(CatalogModel.slug.in_(slugs))))
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise ChannelError(f"not in the catalogue: {', '.join(unknown)} (see `modelyard catalog import`)")


async def add_channel(
    session: AsyncSession,
    box: SecretBox,
    *,
    name: str,
    provider: str,
    base_url: str,
    api_key: str | list[str],
    models: list[ModelMapping],
    priority: int = 0,
    weight: int = 100,
    options: dict[str, Any] | None = None,
    provider_slug: str | None = None,
) -> Channel:
    name = _clean_name(name)
    if provider not in SUPPORTED_PROVIDERS:
        raise ChannelError(f"unknown provider {provider!r}; supported: {', '.join(SUPPORTED_PROVIDERS)}")
    if weight < 1:
        raise ChannelError("weight must be at least 1")
    await _require_catalogued(session, models)
    await _require_provider(session, provider_slug)
    channel = Channel(
        name=name,
        provider=provider,
        base_url=normalize_base_url(base_url),
        api_key_encrypted=box.encrypt(encode_keys([api_key] if isinstance(api_key, str) else api_key)),
        priority=priority,
        weight=weight,
        is_enabled=True,
        options=validate_options(options or {}),
        provider_slug=provider_slug,
    )
    session.add(channel)
    try:
        await session.flush()
    except IntegrityError:
        raise DuplicateChannelName(f"a channel named {name!r} already exists") from None
    session.add_all(
        ChannelModel(channel_id=channel.id, model_slug=m.slug, upstream_name=m.upstream_name) for m in models
    )
    await session.flush()
    return channel


async def list_channels(session: AsyncSession) -> list[tuple[Channel, list[ChannelModel]]]:
    channels = (await session.scalars(select(Channel).order_by(Channel.id))).all()
    models = (await session.scalars(select(ChannelModel).order_by(ChannelModel.id))).all()
    by_channel: dict[int, list[ChannelModel]] = {}
    for model in models:
        by_channel.setdefault(model.channel_id, []).append(model)
    return [(channel, by_channel.get(channel.id, [])) for channel in channels]


async def update_channel(
    session: AsyncSession,
    channel_id: int,
    *,
    is_enabled: bool | None = None,
    priority: int | None = None,
    weight: int | None = None,
    provider_slug: str | None = None,
    clear_provider: bool = False,
    name: str | None = None,
    base_url: str | None = None,
    api_keys: list[str] | None = None,
    box: SecretBox | None = None,
    models: list[ModelMapping] | None = None,
    options: dict[str, Any] | None = None,
) -> Channel:
    """Changes what is given and leaves the rest. `api_keys` replaces every key (and needs `box`); `models`
    replaces the served list, keeping the rows (endpoint prices and limits) of slugs that stay; `options` is
    merged into the stored options (see `merge_options`)."""
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel with id {channel_id}")
    # Everything is checked before anything changes, so a refused edit leaves the channel as it was.
    if weight is not None and weight < 1:
        raise ChannelError("weight must be at least 1")
    if name is not None:
        name = _clean_name(name)
        taken = await session.scalar(select(Channel.id).where(Channel.name == name, Channel.id != channel_id))
        if taken is not None:
            raise DuplicateChannelName(f"a channel named {name!r} already exists")
    if base_url is not None:
        base_url = normalize_base_url(base_url)
    encrypted = None
    if api_keys is not None:
        if box is None:
            raise TypeError("replacing a channel's keys needs the SecretBox to encrypt them")
        encrypted = box.encrypt(encode_keys(api_keys))
    if models is not None:
        await _require_catalogued(session, models)
    if provider_slug is not None:
        await _require_provider(session, provider_slug)
    new_options = merge_options(dict(channel.options or {}), options) if options is not None else None

    if is_enabled is not None:
        channel.is_enabled = is_enabled
    if priority is not None:
        channel.priority = priority
    if weight is not None:
        channel.weight = weight
    if provider_slug is not None:
        channel.provider_slug = provider_slug
    elif clear_provider:
        channel.provider_slug = None
    if name is not None:
        channel.name = name
    if base_url is not None:
        channel.base_url = base_url
    if encrypted is not None:
        channel.api_key_encrypted = encrypted
    if new_options is not None:
        # A new dict, not an in-place change: the JSON column only notices assignment.
        channel.options = new_options
    if models is not None:
        await _replace_models(session, channel_id, models)
    try:
        await session.flush()
    except IntegrityError:
        raise DuplicateChannelName(f"a channel named {name!r} already exists") from None
    return channel


async def _replace_models(session: AsyncSession, channel_id: int, models: list[ModelMapping]) -> None:
    rows = await session.scalars(select(ChannelModel).where(ChannelModel.channel_id == channel_id))
    existing = {row.model_slug: row for row in rows}
    wanted = {m.slug for m in models}
    for slug, gone in existing.items():
        if slug not in wanted:
            await session.delete(gone)
    for mapping in models:
        row = existing.get(mapping.slug)
        if row is None:
            session.add(
                ChannelModel(
                    channel_id=channel_id, model_slug=mapping.slug, upstream_name=mapping.upstream_name
                )
            )
        else:
            row.upstream_name = mapping.upstream_name


async def _require_provider(session: AsyncSession, slug: str | None) -> None:
    try:
        await providers.require_known(session, slug)
    except providers.ProviderError as exc:
        raise ChannelError(str(exc)) from None


async def delete_channel(session: AsyncSession, channel_id: int) -> None:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel with id {channel_id}")
    await session.execute(delete(ChannelModel).where(ChannelModel.channel_id == channel_id))
    await session.delete(channel)
    await session.flush()
