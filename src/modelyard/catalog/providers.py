"""Catalogue providers: the companies channels reach, with the policy links `/api/v1/providers` shows.

A list of well-known providers ships in the package and seeds an empty table; operators add, edit and
remove them through the admin API.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any
from urllib.parse import urlparse

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.models import CatalogProvider, Channel

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
LINK_FIELDS = ("privacy_policy_url", "terms_of_service_url", "status_page_url")


class ProviderError(ValueError):
    pass


def bundled_providers() -> list[dict[str, Any]]:
    raw = resources.files("modelyard.data").joinpath("providers.json").read_bytes()
    entries: list[dict[str, Any]] = orjson.loads(raw)
    return entries


async def seed_if_empty(session: AsyncSession) -> int:
    if await session.scalar(select(func.count(CatalogProvider.id))):
        return 0
    entries = bundled_providers()
    for entry in entries:
        session.add(CatalogProvider(**_validated(entry, partial=False)))
    await session.flush()
    return len(entries)


async def list_providers(session: AsyncSession) -> list[CatalogProvider]:
    return list((await session.scalars(select(CatalogProvider).order_by(CatalogProvider.slug))).all())


async def create_provider(session: AsyncSession, values: dict[str, Any]) -> CatalogProvider:
    clean = _validated(values, partial=False)
    if await session.scalar(select(CatalogProvider.id).where(CatalogProvider.slug == clean["slug"])):
        raise ProviderError(f"a provider with slug {clean['slug']!r} already exists")
    provider = CatalogProvider(**clean)
    session.add(provider)
    await session.flush()
    return provider


async def update_provider(session: AsyncSession, slug: str, values: dict[str, Any]) -> CatalogProvider:
    provider = await _get(session, slug)
    clean = _validated(values, partial=True)
    if "slug" in clean:
        raise ProviderError("a provider's slug cannot change (channels and clients refer to it)")
    for name, value in clean.items():
        setattr(provider, name, value)
    await session.flush()
    return provider


async def delete_provider(session: AsyncSession, slug: str) -> None:
    provider = await _get(session, slug)
    users = (await session.scalars(select(Channel.name).where(Channel.provider_slug == slug))).all()
    if users:
        raise ProviderError(f"provider {slug} is used by channel(s) {', '.join(users)}; move them first")
    await session.delete(provider)
    await session.flush()


async def require_known(session: AsyncSession, slug: str | None) -> None:
    if slug is not None and not await session.scalar(
        select(CatalogProvider.id).where(CatalogProvider.slug == slug)
    ):
        raise ProviderError(f"unknown provider {slug!r}; add it under /api/admin/providers first")


async def _get(session: AsyncSession, slug: str) -> CatalogProvider:
    provider = await session.scalar(select(CatalogProvider).where(CatalogProvider.slug == slug))
    if provider is None:
        raise LookupError(f"no provider {slug!r}")
    return provider


def _validated(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "slug" in values or not partial:
        slug = str(values.get("slug") or "")
        if not SLUG.match(slug):
            raise ProviderError("slug must be lowercase letters, digits and hyphens, e.g. `deepinfra`")
        clean["slug"] = slug
    if "name" in values or not partial:
        name = str(values.get("name") or "").strip()
        if not name or len(name) > 200:
            raise ProviderError("name must be 1 to 200 characters")
        clean["name"] = name
    for field in LINK_FIELDS:
        if field in values:
            clean[field] = _link(field, values[field])
    if "headquarters" in values:
        country = values["headquarters"]
        if country is not None and not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)):
            raise ProviderError("headquarters must be an ISO 3166-1 alpha-2 country code such as US")
        clean["headquarters"] = country
    return clean


def _link(field: str, value: Any) -> str | None:
    if value is None:
        return None
    parsed = urlparse(str(value))
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(str(value)) > 2000:
        raise ProviderError(f"{field} must be an http(s) URL")
    return str(value)
