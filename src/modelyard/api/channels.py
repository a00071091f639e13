"""Administration of upstream channels. Credentials are write-only: no answer ever contains one (answers
show how many keys a channel has, and its extra headers' names with masked values)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field

from modelyard.api.deps import AdminPrincipal, GatewayDep
from modelyard.channels import probe, service
from modelyard.errors import AppError
from modelyard.kit.secrets import SecretBox
from modelyard.models import Channel, ChannelModel
from modelyard.routing.health import Breaker, HealthBook
from modelyard.state import Gateway

router = APIRouter(tags=["admin"])


class ServedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="A catalogue slug, e.g. openai/gpt-4o")
    upstream_name: str | None = Field(
        default=None,
        description="The name the upstream knows (Azure: deployment); default: the slug after its author",
    )


class ChannelOptions(BaseModel):
    """Every field is optional: absent (or null) means the default. In a PATCH, a field sent as null
    removes the stored option."""

    # Strict: "yes" for a flag or "30" for a number is a mistake to report, not to guess at.
    model_config = ConfigDict(strict=True, extra="forbid")

    headers: dict[str, str] | None = Field(
        default=None,
        description="Extra upstream request headers. Answers show the names with the values masked as ***; "
        "in a PATCH, the given set replaces the stored one",
    )
    stream_options: bool | None = Field(
        default=None, description="openai: send stream_options.include_usage (default true)"
    )
    api_version: str | None = Field(default=None, description="azure: the api-version query parameter")
    anthropic_version: str | None = Field(default=None, description="anthropic: the anthropic-version header")
    quantization: str | None = Field(
        default=None,
        description=f"The weights' precision shown to users: one of {', '.join(service.QUANTIZATIONS)}",
    )
    max_concurrency: int | None = Field(
        default=None,
        description="At most this many requests in flight on the channel (>= 1; null = unlimited)",
    )
    timeout_seconds: float | None = Field(
        default=None, description="Total time allowed for one upstream attempt, in seconds (> 0)"
    )
    first_byte_timeout_seconds: float | None = Field(
        default=None, description="Time allowed until the upstream's first byte, in seconds (> 0)"
    )
    probe_enabled: bool | None = Field(
        default=None, description="Probe the channel in the background (default true)"
    )
    probe_interval_seconds: float | None = Field(
        default=None,
        description=f"Seconds between background probes (>= {service.MIN_PROBE_INTERVAL_SECONDS})",
    )
    probe_timeout_seconds: float | None = Field(
        default=None,
        description="Time allowed for one probe, in seconds "
        f"(> 0; default {probe.DEFAULT_PROBE_TIMEOUT_SECONDS:g})",
    )

    no_training: bool | None = Field(
        default=None,
        description="The upstream neither trains on nor keeps prompts: requests with "
        "provider.data_collection=deny may use it (default false)",
    )
    zdr: bool | None = Field(
        default=None,
        description="The upstream retains no data (zero data retention): requests with provider.zdr=true "
        "may use it (default false)",
    )


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=service.MAX_NAME_LENGTH)
    provider: str = Field(description="openai, azure, anthropic or gemini")
    base_url: str
    api_key: str | None = Field(
        default=None, min_length=1, description="One key (or send api_keys). Stored encrypted; never returned"
    )
    api_keys: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=service.MAX_KEYS_PER_CHANNEL,
        description="Several keys, used in turn (or send api_key). Stored encrypted; never returned",
    )
    models: list[ServedModel] = Field(min_length=1)
    priority: int = 0
    weight: int = Field(default=100, ge=1)
    options: ChannelOptions = Field(default_factory=ChannelOptions)
    provider_slug: str | None = Field(
        default=None, description="The catalogue provider this channel reaches (see /api/admin/providers)"
    )


class ChannelPatch(BaseModel):
    """Only the fields sent change."""

    # A misspelt field would otherwise be an edit that silently does nothing.
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=service.MAX_NAME_LENGTH)
    base_url: str | None = None
    api_keys: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=service.MAX_KEYS_PER_CHANNEL,
        description="Replaces every stored key",
    )
    models: list[ServedModel] | None = Field(
        default=None,
        min_length=1,
        description="Replaces the served list; models that stay keep their endpoint prices and limits",
    )
    priority: int | None = None
    weight: int | None = Field(default=None, ge=1)
    is_enabled: bool | None = None
    provider_slug: str | None = Field(default=None, description="null (sent explicitly) clears it")
    options: ChannelOptions | None = Field(
        default=None, description="Merged into the stored options; an option sent as null is removed"
    )


# Fields of ChannelPatch for which null means something (clear / nothing to merge) rather than a mistake.
_NULLABLE = {"provider_slug", "options"}


HealthStatus = Literal["healthy", "degraded", "down", "unknown", "disabled"]
# A channel whose requests failed this often over 30 minutes is shown as degraded.
DEGRADED_ERROR_RATE = 0.2


class ModelHealthOut(BaseModel):
    model: str
    breaker: Breaker = Field(
        description="closed: routed; open: skipped until retry_in_seconds; half_open: on trial"
    )
    retry_in_seconds: float = Field(description="Until an open breaker lets a trial request through")
    requests_30m: int
    error_rate_30m: float | None = Field(
        description="Failed requests of the last 30 minutes, 0..1; null: none"
    )
    latency_p50_ms: float | None = Field(description="Median time of a whole answer over 30 minutes")
    ttft_p50_ms: float | None = Field(description="Median time to the first token over 30 minutes")
    last_error: str | None
    last_failure_at: datetime | None


class ChannelHealthOut(BaseModel):
    """This server's live view (other servers share failures through Redis, not their successes)."""

    status: HealthStatus = Field(
        description="disabled; down: every model's breaker is open; degraded: some open, or over 20% of "
        "requests failed; unknown: no requests for 30 minutes; else healthy"
    )
    breaker: Breaker = Field(description="The worst of its models' breakers")
    requests_30m: int
    error_rate_30m: float | None
    latency_p50_ms: float | None = Field(description="Its models' medians, weighted by their requests")
    models: list[ModelHealthOut]


def channel_health(book: HealthBook, channel: Channel, served: list[ChannelModel]) -> ChannelHealthOut:
    models: list[ModelHealthOut] = []
    for item in served:
        health = book.health(channel.id, item.model_slug)
        error, failed_at = book.last_failure(channel.id, item.model_slug)
        models.append(
            ModelHealthOut(
                model=item.model_slug,
                breaker=health.breaker,
                retry_in_seconds=round(health.retry_in_seconds, 1),
                requests_30m=health.requests_30m,
                error_rate_30m=None if health.uptime_30m is None else round(1 - health.uptime_30m / 100, 4),
                latency_p50_ms=health.total_latency_30m.p50 if health.total_latency_30m else None,
                ttft_p50_ms=health.latency_30m.p50 if health.latency_30m else None,
                last_error=error,
                last_failure_at=None if failed_at is None else datetime.fromtimestamp(failed_at, UTC),
            )
        )
    requests = sum(m.requests_30m for m in models)
    failed = sum(m.requests_30m * (m.error_rate_30m or 0.0) for m in models)
    timed = [(m.latency_p50_ms, m.requests_30m or 1) for m in models if m.latency_p50_ms is not None]
    opened = [m for m in models if m.breaker is not Breaker.CLOSED]
    breaker = (
        Breaker.OPEN
        if any(m.breaker is Breaker.OPEN for m in models)
        else Breaker.HALF_OPEN
        if opened
        else Breaker.CLOSED
    )
    error_rate = round(failed / requests, 4) if requests else None
    status: HealthStatus
    if not channel.is_enabled:
        status = "disabled"
    elif models and all(m.breaker is Breaker.OPEN for m in models):
        status = "down"
    elif opened or (error_rate is not None and error_rate > DEGRADED_ERROR_RATE):
        status = "degraded"
    elif requests == 0:
        status = "unknown"
    else:
        status = "healthy"
    return ChannelHealthOut(
        status=status,
        breaker=breaker,
        requests_30m=requests,
        error_rate_30m=error_rate,
        latency_p50_ms=round(sum(v * w for v, w in timed) / sum(w for _, w in timed), 1) if timed else None,
        models=models,
    )


class ChannelOut(BaseModel):
    id: int
    name: str
    provider: str
    base_url: str
    is_enabled: bool
    priority: int
    weight: int
    key_count: int = Field(description="How many keys the channel uses in turn (the keys are never shown)")
    models: list[ServedModel]
    options: dict[str, Any] = Field(description="The stored options; header values masked as ***")
    provider_slug: str | None
    health: ChannelHealthOut

    @classmethod
    def of(cls, channel: Channel, served: list[ChannelModel], box: SecretBox, book: HealthBook) -> ChannelOut:
        return cls(
            id=channel.id,
            name=channel.name,
            provider=channel.provider,
            base_url=channel.base_url,
            is_enabled=channel.is_enabled,
            priority=channel.priority,
            weight=channel.weight,
            key_count=service.key_count(box, channel),
            models=[ServedModel(slug=m.model_slug, upstream_name=m.upstream_name) for m in served],
            options=service.public_options(channel.options),
            provider_slug=channel.provider_slug,
            health=channel_health(book, channel, served),
        )


class ProbeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, description="A slug the channel serves; default: its first")


class ProbeOut(BaseModel):
    ok: bool = Field(description="The upstream accepted the credential (a 2xx answer)")
    status: int | None = Field(description="The upstream's HTTP status; null when it never answered")
    latency_ms: int = Field(description="Time until the upstream answered (or the probe gave up)")
    message: str = Field(description="OK, or what went wrong (the upstream's own message where it gave one)")
    model: str = Field(description="The slug probed")


def _mappings(models: list[ServedModel]) -> list[service.ModelMapping]:
    spec = ",".join(f"{m.slug}={m.upstream_name}" if m.upstream_name else m.slug for m in models)
    return service.parse_model_mappings(spec)


def _refusal(exc: service.ChannelError) -> AppError:
    return AppError(409 if isinstance(exc, service.DuplicateChannelName) else 400, str(exc))


async def _one(gateway: Gateway, channel_id: int) -> ChannelOut:
    box = gateway.box
    async with gateway.sessions() as session:
        for channel, served in await service.list_channels(session):
            if channel.id == channel_id:
                return ChannelOut.of(channel, served, box, gateway.chat.health)
    raise AppError(404, f"no channel with id {channel_id}")


@router.get("/api/admin/channels", response_model=list[ChannelOut], summary="List channels")
async def list_channels(admin: AdminPrincipal, gateway: GatewayDep) -> list[ChannelOut]:
    box = gateway.box
    async with gateway.sessions() as session:
        return [
            ChannelOut.of(channel, served, box, gateway.chat.health)
            for channel, served in await service.list_channels(session)
        ]


@router.get("/api/admin/channels/{channel_id}", response_model=ChannelOut, summary="One channel")
async def get_channel(channel_id: int, admin: AdminPrincipal, gateway: GatewayDep) -> ChannelOut:
    return await _one(gateway, channel_id)


@router.post("/api/admin/channels", response_model=ChannelOut, status_code=201, summary="Connect a channel")
async def create_channel(body: ChannelIn, admin: AdminPrincipal, gateway: GatewayDep) -> ChannelOut:
    if (body.api_key is None) == (body.api_keys is None):
        raise AppError(400, "send exactly one of api_key (one key) and api_keys (a list of keys)")
    keys = [body.api_key] if body.api_key is not None else list(body.api_keys or [])
    try:
        mappings = _mappings(body.models)
        async with gateway.sessions() as session, session.begin():
            channel = await service.add_channel(
                session,
                gateway.box,
                name=body.name,
                provider=body.provider,
                base_url=body.base_url,
                api_key=keys,
                models=mappings,
                priority=body.priority,
                weight=body.weight,
                options=body.options.model_dump(exclude_none=True),
                provider_slug=body.provider_slug,
            )
            channel_id = channel.id
    except service.ChannelError as exc:
        raise _refusal(exc) from None
    await gateway.announce_change()
    return await _one(gateway, channel_id)


@router.patch("/api/admin/channels/{channel_id}", response_model=ChannelOut, summary="Edit a channel")
async def update_channel(
    channel_id: int, body: ChannelPatch, admin: AdminPrincipal, gateway: GatewayDep
) -> ChannelOut:
    nulls = sorted(f for f in body.model_fields_set - _NULLABLE if getattr(body, f) is None)
    if nulls:
        raise AppError(400, f"{', '.join(nulls)}: null is not a value here; leave the field out to keep it")
    try:
        mappings = _mappings(body.models) if body.models is not None else None
        async with gateway.sessions() as session, session.begin():
            await service.update_channel(
                session,
                channel_id,
                is_enabled=body.is_enabled,
                priority=body.priority,
                weight=body.weight,
                provider_slug=body.provider_slug,
                clear_provider="provider_slug" in body.model_fields_set and body.provider_slug is None,
                name=body.name,
                base_url=body.base_url,
                api_keys=body.api_keys,
                box=gateway.box,
                models=mappings,
                options=body.options.model_dump(exclude_unset=True) if body.options is not None else None,
            )
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except service.ChannelError as exc:
        raise _refusal(exc) from None
    await gateway.announce_change()
    return await _one(gateway, channel_id)


@router.post(
    "/api/admin/channels/{channel_id}/test",
    response_model=ProbeOut,
    summary="Probe a channel with its first key",
    description="200 whenever the probe ran, whether the upstream accepted it or not (see `ok`).",
)
async def test_channel(
    channel_id: int,
    admin: AdminPrincipal,
    gateway: GatewayDep,
    body: Annotated[ProbeIn | None, Body()] = None,
) -> ProbeOut:
    try:
        async with gateway.sessions() as session:
            target = await probe.load_target(session, gateway.box, channel_id, body.model if body else None)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    except service.ChannelError as exc:
        raise AppError(400, str(exc)) from None
    except probe.CredentialError as exc:
        raise AppError(500, str(exc)) from None
    result = await probe.probe_channel(
        gateway.http, target.provider, target.config, target.upstream_model, target.timeout_seconds
    )
    return ProbeOut(
        ok=result.ok,
        status=result.status,
        latency_ms=result.latency_ms,
        message=result.message,
        model=target.model_slug,
    )


@router.delete("/api/admin/channels/{channel_id}", status_code=204, summary="Delete a channel")
async def delete_channel(channel_id: int, admin: AdminPrincipal, gateway: GatewayDep) -> Response:
    try:
        async with gateway.sessions() as session, session.begin():
            await service.delete_channel(session, channel_id)
    except LookupError as exc:
        raise AppError(404, str(exc)) from None
    await gateway.announce_change()
    return Response(status_code=204)
