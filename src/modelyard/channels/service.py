"""Channels: an upstream account, its credential (encrypted) and the catalogue models it serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.secrets import SecretBox
from modelyard.models import CatalogModel, Channel, ChannelModel
from modelyard.providers.registry import ADAPTERS

SUPPORTED_PROVIDERS = tuple(ADAPTERS)


class ChannelError(ValueError):
    pass


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


async def add_channel(
    session: AsyncSession,
    box: SecretBox,
    *,
    name: str,
    provider: str,
    base_url: str,
    api_key: str,
    models: list[ModelMapping],
    priority: int = 0,
    weight: int = 100,
    options: dict[str, Any] | None = None,
) -> Channel:
    name = name.strip()
    if not name:
        raise ChannelError("channel name must not be empty")
    if provider not in SUPPORTED_PROVIDERS:
        raise ChannelError(f"unknown provider {provider!r}; supported: {', '.join(SUPPORTED_PROVIDERS)}")
    if weight < 1:
        raise ChannelError("weight must be at least 1")
    known = set(
        await session.scalars(
            select(CatalogModel.slug).where(CatalogModel.slug.in_([m.slug for m in models]))
        )
    )
    unknown = [m.slug for m in models if m.slug not in known]
    if unknown:
        raise ChannelError(f"not in the catalogue: {', '.join(unknown)} (see `modelyard catalog import`)")
    channel = Channel(
        name=name,
        provider=provider,
        base_url=normalize_base_url(base_url),
        api_key_encrypted=box.encrypt(api_key),
        priority=priority,
        weight=weight,
        is_enabled=True,
        options=options or {},
    )
    session.add(channel)
    try:
        await session.flush()
    except IntegrityError:
        raise ChannelError(f"a channel named {name!r} already exists") from None
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
) -> Channel:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel with id {channel_id}")
    if weight is not None and weight < 1:
        raise ChannelError("weight must be at least 1")
    if is_enabled is not None:
        channel.is_enabled = is_enabled
    if priority is not None:
        channel.priority = priority
    if weight is not None:
        channel.weight = weight
    await session.flush()
    return channel


async def delete_channel(session: AsyncSession, channel_id: int) -> None:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel with id {channel_id}")
    await session.execute(delete(ChannelModel).where(ChannelModel.channel_id == channel_id))
    await session.delete(channel)
    await session.flush()
