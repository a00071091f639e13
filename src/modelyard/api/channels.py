"""Administration of upstream channels. Credentials are write-only: no answer ever contains one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.channels import service
from modelyard.errors import AppError
from modelyard.kit.secrets import SecretBox
from modelyard.models import Channel, ChannelModel
from modelyard.state import Gateway

router = APIRouter(tags=["admin"])


class ServedModel(BaseModel):
    slug: str = Field(description="A catalogue slug, e.g. openai/gpt-4o")
    upstream_name: str | None = Field(
        default=None, description="The name the upstream knows (Azure: deployment)"
    )


class ChannelOptions(BaseModel):
    headers: dict[str, str] = Field(default_factory=dict, description="Extra upstream request headers")
    stream_options: bool = Field(default=True, description="openai: send stream_options.include_usage")
    api_version: str | None = Field(default=None, description="azure: the api-version query parameter")
    anthropic_version: str | None = Field(default=None, description="anthropic: the anthropic-version header")


class ChannelIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    provider: str = Field(description="openai, azure, anthropic or gemini")
    base_url: str
    api_key: str = Field(min_length=1, description="Stored encrypted; never returned")
    models: list[ServedModel] = Field(min_length=1)
    priority: int = 0
    weight: int = Field(default=100, ge=1)
    options: ChannelOptions = Field(default_factory=ChannelOptions)


class ChannelPatch(BaseModel):
    is_enabled: bool | None = None
    priority: int | None = None
    weight: int | None = Field(default=None, ge=1)


class ChannelOut(BaseModel):
    id: int
    name: str
    provider: str
    base_url: str
    is_enabled: bool
    priority: int
    weight: int
    models: list[ServedModel]
    options: dict[str, Any]

    @classmethod
    def of(cls, channel: Channel, served: list[ChannelModel]) -> ChannelOut:
        return cls(
            id=channel.id,
            name=channel.name,
            provider=channel.provider,
            base_url=channel.base_url,
            is_enabled=channel.is_enabled,
            priority=channel.priority,
            weight=channel.weight,
            models=[ServedModel(slug=m.model_slug, upstream_name=m.upstream_name) for m in served],
            options=dict(channel.options or {}),
        )


async def _one(gateway: Gateway, channel_id: int) -> ChannelOut:
    async with gateway.sessions() as session:
        for channel, served in await service.list_channels(session):
            if channel.id == channel_id:
                return ChannelOut.of(channel, served)
    raise AppError(404, f"no channel with id {channel_id}")


@router.get("/api/admin/channels", response_model=list[ChannelOut], summary="List channels")
async def list_channels(admin: AdminPrincipal, gateway: GatewayDep) -> list[ChannelOut]:
    async with gateway.sessions() as session:
        return [ChannelOut.of(channel, served) for channel, served in await service.list_channels(session)]


@router.post("/api/admin/channels", response_model=ChannelOut, status_code=201, summary="Connect a channel")
async def create_channel(body: ChannelIn, admin: AdminPrincipal, gateway: GatewayDep) -> ChannelOut:
    options: dict[str, Any] = {}
    if body.options.headers:
        options["headers"] = body.options.headers
    if not body.options.stream_options:
        options["stream_options"] = False
    if body.options.api_version:
        options["api_version"] = body.options.api_version
    if body.options.anthropic_version:
        options["anthropic_version"] = body.options.anthropic_version
    spec = ",".join(f"{m.slug}={m.upstream_name}" if m.upstream_name else m.slug for m in body.models)
    try:
        mappings = service.parse_model_mappings(spec)
        async with gateway.sessions() as session, session.begin():
            channel = await service.add_channel(
                session,
                SecretBox(gateway.secret_key),
                name=body.name,
                provider=body.provider,
                base_url=body.base_url,
                api_key=body.api_key,
                models=mappings,
                priority=body.priority,
                weight=body.weight,
                options=options,
            )
            channel_id = channel.id
    except service.ChannelError as exc:
        raise AppError(409 if "already exists" in str(exc) else 400, str(exc)) from None
    await gateway.announce_change()
    return await _one(gateway, channel_id)


@router.patch(
    "/api/admin/channels/{channel_id}", response_model=ChannelOut, summary="Enable, disable, reorder"
)
async def update_channel(
    channel_id: int, body: ChannelPatch, admin: AdminPrincipal, gateway: GatewayDep
) -> ChannelOut:
    try:
        async with gateway.sessions() as session, session.begin():
            await service.update_channel(
                session, channel_id, is_enabled=body.is_enabled, priority=body.priority, weight=body.weight
            )
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except service.ChannelError as exc:
        raise AppError(400, str(exc)) from None
    await gateway.announce_change()
    return await _one(gateway, channel_id)


@router.delete("/api/admin/channels/{channel_id}", status_code=204, summary="Delete a channel")
async def delete_channel(channel_id: int, admin: AdminPrincipal, gateway: GatewayDep) -> Response:
    try:
        async with gateway.sessions() as session, session.begin():
            await service.delete_channel(session, channel_id)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    await gateway.announce_change()
    return Response(status_code=204)
