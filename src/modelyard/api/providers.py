"""Administration of catalogue providers (name, slug, policy links)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.catalog import providers as service
from modelyard.errors import AppError
from modelyard.models import CatalogProvider

router = APIRouter(tags=["admin"])


class ProviderIn(BaseModel):
    slug: str = Field(description="Lowercase letters, digits and hyphens, e.g. deepinfra")
    name: str
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None
    status_page_url: str | None = None
    headquarters: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code, e.g. US")


class ProviderPatch(BaseModel):
    name: str | None = None
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None
    status_page_url: str | None = None
    headquarters: str | None = None


class ProviderOut(BaseModel):
    slug: str
    name: str
    privacy_policy_url: str | None
    terms_of_service_url: str | None
    status_page_url: str | None
    headquarters: str | None

    @classmethod
    def of(cls, row: CatalogProvider) -> ProviderOut:
        return cls(
            slug=row.slug,
            name=row.name,
            privacy_policy_url=row.privacy_policy_url,
            terms_of_service_url=row.terms_of_service_url,
            status_page_url=row.status_page_url,
            headquarters=row.headquarters,
        )


@router.get("/api/admin/providers", response_model=list[ProviderOut], summary="List providers")
async def list_providers(admin: AdminPrincipal, gateway: GatewayDep) -> list[ProviderOut]:
    async with gateway.sessions() as session:
        return [ProviderOut.of(row) for row in await service.list_providers(session)]


@router.post("/api/admin/providers", response_model=ProviderOut, status_code=201, summary="Add a provider")
async def create_provider(body: ProviderIn, admin: AdminPrincipal, gateway: GatewayDep) -> ProviderOut:
    return await _change(gateway, lambda session: service.create_provider(session, body.model_dump()))


@router.patch("/api/admin/providers/{slug}", response_model=ProviderOut, summary="Edit a provider")
async def update_provider(
    slug: str, body: ProviderPatch, admin: AdminPrincipal, gateway: GatewayDep
) -> ProviderOut:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    return await _change(gateway, lambda session: service.update_provider(session, slug, values))


@router.delete("/api/admin/providers/{slug}", status_code=204, summary="Remove an unused provider")
async def delete_provider(slug: str, admin: AdminPrincipal, gateway: GatewayDep) -> Response:
    try:
        async with gateway.sessions() as session, session.begin():
            await service.delete_provider(session, slug)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except service.ProviderError as exc:
        raise AppError(409, str(exc)) from None
    await gateway.announce_change()
    return Response(status_code=204)


async def _change(gateway: Any, work: Any) -> ProviderOut:
    try:
        async with gateway.sessions() as session, session.begin():
            row = await work(session)
            out = ProviderOut.of(row)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except service.ProviderError as exc:
        raise AppError(409 if "already exists" in str(exc) else 400, str(exc)) from None
    await gateway.announce_change()
    return out
