"""create_app(settings): the lifespan builds every resource; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import orjson
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute
from starlette.types import Receive, Scope, Send

from modelyard.activity import retention
from modelyard.api import activity as activity_api
from modelyard.api import admin as admin_api
from modelyard.api import alerts as alerts_api
from modelyard.api import audit as audit_api
from modelyard.api import auth as auth_api
from modelyard.api import balance as balance_api
from modelyard.api import catalog_docs, relay_docs
from modelyard.api import channels as channels_api
from modelyard.api import keys as keys_api
from modelyard.api import oidc as oidc_api
from modelyard.api import openapi as api_openapi
from modelyard.api import openrouter_keys as openrouter_keys_api
from modelyard.api import playground as playground_api
from modelyard.api import preferences as preferences_api
from modelyard.api import pricing as pricing_api
from modelyard.api import profile as profile_api
from modelyard.api import providers as providers_api
from modelyard.api import site_settings as site_settings_api
from modelyard.api import users_admin as users_admin_api
from modelyard.audit.trail import AuditTrail
from modelyard.auth.limiter import WindowLimiter
from modelyard.auth.service import AuthService
from modelyard.billing.codes import FailureLimiter
from modelyard.billing.holds import Holds
from modelyard.catalog.sync import SyncError, sync_catalog
from modelyard.config import Settings
from modelyard.db.engine import create_engine, session_factory
from modelyard.db.writes import create_writer
from modelyard.errors import AppError, error_response, install_error_handlers
from modelyard.notify.notifier import Notifier
from modelyard.ops import probes
from modelyard.ops.logs import RequestIds
from modelyard.ops.metrics import Metrics
from modelyard.relay.cache import GatewayCache
from modelyard.relay.chat import KEY_RATE_PREFIX, ChatRelay, RoutingSettings
from modelyard.relay.models_api import ModelsApi
from modelyard.relay.settlement import SettlementWriter
from modelyard.routing.health import BreakerSettings, HealthBook
from modelyard.routing.health_sync import HealthSync, ProbeSettings
from modelyard.settings_store import OidcSlot, SiteSettingsStore
from modelyard.state import INVALIDATE_CHANNEL, Gateway
from modelyard.web import install_web

log = logging.getLogger(__name__)

HOLD_SWEEP_SECONDS = 30.0
# On shutdown, alerts still being delivered (or waiting to retry) get this long before they are dropped.
ALERT_SHUTDOWN_GRACE_SECONDS = 5.0
# OpenAI's SDKs call {base}/chat/completions with base .../v1; OpenRouter's use .../api/v1.
API_PREFIXES = ("/v1", "/api/v1")
_RELAYED = ("chat/completions", "completions", "embeddings")


def create_app(settings: Settings) -> FastAPI:
    if settings.secret_key is None:
        raise ValueError("settings need a secret key: build them with config.load_settings()")
    secret_key = settings.secret_key.get_secret_value()

    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url_resolved)
        sessions = session_factory(engine)
        # Encrypts under the current key; decrypts under it or, during a rolling rotation, a previous one.
        box = settings.secret_box()
        cache = GatewayCache(sessions, box)
        await cache.refresh()
        # What an administrator changed in the web app over the environment's settings: the sign-up mode,
        # sign-in with Google, SMTP, the alert threshold and the catalogue sync schedule read it.
        site = SiteSettingsStore(settings, sessions, box)
        await site.reload()
        effective = site.effective
        # A hold outlives any request that can still settle it: the upstream's total timeout, plus a margin.
        db_writer = create_writer(settings.database_url_resolved, engine)
        holds = Holds(sessions, db_writer, ttl_seconds=settings.upstream_total_timeout_seconds + 60)
        # One pooled client for every upstream: keep-alive connections are what makes a relay cheap.
        http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60),
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
        )
        notifier = Notifier(effective, http, secret_key)
        notifier.start()
        writer = SettlementWriter(
            db_writer,
            flush_seconds=settings.writer_flush_seconds,
            max_batch=settings.writer_max_batch,
            alert_threshold_nanos=notifier.default_threshold_nanos,
            on_low_balance=notifier.submit,
            commit_wait_seconds=settings.writer_commit_wait_seconds,
        )
        await writer.start()
        timeout = aiohttp.ClientTimeout(
            total=settings.upstream_total_timeout_seconds,
            sock_connect=settings.upstream_connect_timeout_seconds,
            sock_read=settings.upstream_read_timeout_seconds,
        )
        redis = await _connect_redis(settings.redis_url)
        health = HealthBook(
            BreakerSettings(
                failure_threshold=settings.health_failure_threshold,
                cooldown_seconds=settings.health_cooldown_seconds,
                max_cooldown_seconds=settings.health_max_cooldown_seconds,
            )
        )
        health_sync = HealthSync(
            health,
            sessions,
            db_writer,
            redis,
            http,
            lambda: cache.routes,
            ProbeSettings(settings.health_probe_interval_seconds, settings.health_probe_timeout_seconds),
        )
        await health_sync.restore()
        relay = ChatRelay(
            cache,
            holds,
            writer,
            http,
            timeout,
            settings.stream_keepalive_seconds,
            health=health,
            routing=RoutingSettings(
                strategy=settings.routing_strategy,
                max_attempts=settings.routing_max_attempts,
                retry_delay_seconds=settings.routing_retry_delay_seconds,
            ),
            on_health_event=health_sync.announce,
            # Keys' requests and tokens per minute: counted in Redis when there is one, so that every
            # instance counts together; in this process otherwise.
            limiter=WindowLimiter(redis, KEY_RATE_PREFIX),
        )
        gateway = Gateway(
            engine=engine,
            cache=cache,
            holds=holds,
            writer=writer,
            http=http,
            redis=redis,
            chat=relay,
            models=ModelsApi(cache, health, sessions),
            sessions=sessions,
            code_guesses=FailureLimiter(),
            box=box,
            notifier=notifier,
            auth=AuthService(
                secret_key,
                redis,
                access_ttl=timedelta(minutes=settings.access_token_minutes),
                refresh_ttl=timedelta(days=settings.refresh_token_days),
                signup_mode=effective.signup_mode,
                max_failures_per_account=settings.login_max_failures_per_account,
                max_failures_per_ip=settings.login_max_failures_per_ip,
                previous_keys=settings.previous_secret_keys(),
            ),
            site=site,
            oidc=OidcSlot(secret_key, effective, settings.previous_secret_keys()),
        )

        def apply_site_settings(current: Settings) -> None:
            gateway.auth.signup_mode = current.signup_mode
            notifier.reconfigure(current)
            writer.alert_threshold_nanos = notifier.default_threshold_nanos
            if gateway.oidc is not None:
                gateway.oidc.update(current)

        site.subscribe(apply_site_settings)
        app.state.gateway = gateway
        writer.on_submit = metrics.observe
        metrics.watch(
            health,
            lambda: {"settlements": writer.queued, "alerts": notifier.queued},
            lambda: {r.channel_id: r.channel_name for routes in cache.routes.values() for r in routes},
        )
        tasks = [
            asyncio.create_task(_refresh_periodically(gateway, settings.cache_refresh_seconds)),
            asyncio.create_task(_sweep_periodically(holds, HOLD_SWEEP_SECONDS)),
            *health_sync.tasks(settings.health_persist_seconds),
            asyncio.create_task(retention.purge_periodically(db_writer, settings.record_retention_days)),
        ]
        if redis is not None:
            tasks.append(asyncio.create_task(_listen_for_invalidations(gateway, redis)))
        tasks.append(asyncio.create_task(_sync_catalog_periodically(gateway, site)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await health_sync.persist()  # what this process learnt survives a restart
            await writer.stop()  # every queued charge is written before the process exits
            await notifier.stop(ALERT_SHUTDOWN_GRACE_SECONDS)
            await db_writer.close()
            await http.close()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Modelyard",
        version="0.1.0",
        summary="OpenAI- and OpenRouter-compatible LLM gateway",
        openapi_tags=api_openapi.TAGS,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(auth_api.router)
    app.include_router(oidc_api.build_router(settings))
    app.include_router(activity_api.router)
    app.include_router(activity_api.openrouter_router)
    app.include_router(balance_api.router)
    app.include_router(alerts_api.router)
    app.include_router(balance_api.openrouter_router)
    app.include_router(admin_api.router)
    app.include_router(pricing_api.router)
    app.include_router(channels_api.router)
    app.include_router(providers_api.router)
    app.include_router(preferences_api.router)
    app.include_router(keys_api.router)
    app.include_router(openrouter_keys_api.router)
    app.include_router(profile_api.router)
    app.include_router(users_admin_api.router)
    app.include_router(playground_api.router)
    app.include_router(audit_api.router)
    app.include_router(site_settings_api.router)
    app.add_middleware(AuditTrail, sessions=lambda: _gateway_sessions(app))

    def gateway(request: Request) -> Gateway:
        state: Gateway = request.app.state.gateway
        return state

    async def chat_completions(request: Request) -> Response:
        return await gateway(request).chat.handle_chat(request)

    async def completions(request: Request) -> Response:
        return await gateway(request).chat.handle_completions(request)

    async def embeddings(request: Request) -> Response:
        return await gateway(request).chat.handle_embeddings(request)

    async def list_models(request: Request) -> Response:
        return await gateway(request).models.list_models(request)

    async def get_model(request: Request) -> Response:
        return await gateway(request).models.get_model(request)

    def catalogue(method: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            handler: Callable[[Request], Awaitable[Response]] = getattr(gateway(request).models, method)
            return await handler(request)

        return endpoint

    async def health(_request: Request) -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    # The relay endpoints are plain Starlette routes: they parse their own bodies, and skipping FastAPI's
    # per-request dependency machinery is measurable on the hot path.
    for prefix in API_PREFIXES:
        app.router.routes.append(HttpRoute(f"{prefix}/chat/completions", chat_completions, methods=["POST"]))
        app.router.routes.append(HttpRoute(f"{prefix}/completions", completions, methods=["POST"]))
        app.router.routes.append(HttpRoute(f"{prefix}/embeddings", embeddings, methods=["POST"]))
        app.router.routes.append(HttpRoute(f"{prefix}/models", list_models, methods=["GET"]))
        app.router.routes.append(
            HttpRoute(f"{prefix}/models/count", catalogue("count_models"), methods=["GET"])
        )
        app.router.routes.append(HttpRoute(f"{prefix}/models/facets", catalogue("facets"), methods=["GET"]))
    # OpenRouter's catalogue paths answer `{"data": ...}`; the OpenAI path below answers the bare model.
    for path, handler in (
        ("/api/v1/models/{author}/{slug}/endpoints", "get_endpoints"),
        ("/api/v1/models/{author}/{slug}", "get_model_data"),
        ("/api/v1/model/{author}/{slug}", "get_model_data"),
        ("/api/v1/providers", "list_providers"),
    ):
        app.router.routes.append(HttpRoute(path, catalogue(handler), methods=["GET"]))
    app.router.routes.append(HttpRoute("/v1/models/{slug:path}", get_model, methods=["GET"]))
    app.router.routes.append(HttpRoute("/health", health, methods=["GET"]))
    app.router.routes.append(HttpRoute("/healthz", health, methods=["GET"]))
    app.router.routes.append(HttpRoute("/readyz", probes.readiness(gateway), methods=["GET"]))
    app.router.routes.append(
        HttpRoute(
            "/metrics", probes.metrics_endpoint(metrics, gateway, settings.metrics_token), methods=["GET"]
        )
    )
    describe_api(app)
    # Last: the web app answers only what no route above matched (and never under /v1 or /api).
    install_web(app)
    return app


def _gateway_sessions(app: FastAPI) -> async_sessionmaker[AsyncSession] | None:
    gateway: Gateway | None = getattr(app.state, "gateway", None)
    return gateway.sessions if gateway is not None else None


def describe_api(app: FastAPI) -> None:
    """The OpenAPI document: the routers, plus stand-in descriptions of the plain routes (the relay, the
    catalogue and the probes: api/relay_docs.py, api/catalog_docs.py), finished by api/openapi.py."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = api_openapi.build(
                app,
                stand_ins=[
                    route
                    for router in (*relay_docs.ROUTERS, *catalog_docs.ROUTERS)
                    for route in router.routes
                ],
                extra_models=[relay_docs.ChatCompletionChunk],
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class RelayFastPath:
    """The ASGI entry point `serve` runs: chat completions go straight to the relay, everything else (and
    the lifespan) to the FastAPI app. (Chat, legacy completions and embeddings are all relayed this way.)

    FastAPI's middleware stack wraps `send` in several layers, and a stream calls `send` once per chunk; for
    the relay those layers only re-do what it does itself (errors become OpenRouter-shaped responses)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._paths = frozenset(f"{prefix}/{path}" for prefix in API_PREFIXES for path in _RELAYED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        gateway: Gateway = self.app.state.gateway
        request = Request(scope, receive)
        path = scope["path"]
        try:
            if path.endswith("/chat/completions"):
                response = await gateway.chat.handle_chat(request)
            elif path.endswith("/embeddings"):
                response = await gateway.chat.handle_embeddings(request)
            else:
                response = await gateway.chat.handle_completions(request)
        except AppError as exc:
            response = error_response(exc)
        except Exception:
            log.exception("unexpected error in the relay")
            response = error_response(AppError(500, "Internal server error"))
        await response(scope, receive, send)


def create_asgi_app(settings: Settings) -> RequestIds:
    return RequestIds(RelayFastPath(create_app(settings)))


async def _connect_redis(url: str | None) -> Redis | None:
    if url is None:
        return None
    redis = Redis.from_url(url)
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        raise RuntimeError(
            f"cannot reach Redis at MODELYARD_REDIS_URL: {type(exc).__name__}: {exc}"
        ) from None
    return redis


async def _refresh_periodically(gateway: Gateway, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await gateway.refresh()
        except Exception:
            log.exception("refreshing the gateway cache failed; keeping the previous copy")


async def _sync_catalog_periodically(gateway: Gateway, site: SiteSettingsStore) -> None:
    """Syncs the catalogue every `catalog_sync_interval` seconds of the site settings in effect (none while
    it is unset); a change of the interval applies at once, counted from the last sync."""
    last = time.monotonic()
    while True:
        interval = site.effective.catalog_sync_interval
        if interval is None:
            await site.wait_for_change(None)
            last = time.monotonic()
            continue
        wait = last + interval - time.monotonic()
        if wait > 0 and await site.wait_for_change(wait):
            continue
        last = time.monotonic()
        try:
            lines = await sync_catalog(
                gateway.sessions,
                site.effective.catalog_sync_url,
                dry_run=False,
                force=False,
                confirm=False,
                applied=gateway.announce_change,
            )
        except SyncError as exc:
            log.warning("scheduled catalogue sync: %s", exc)
        except Exception:
            log.exception("scheduled catalogue sync failed")
        else:
            for line in lines:
                log.info("catalogue sync: %s", line)


async def _sweep_periodically(holds: Holds, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await holds.sweep()
        except Exception:
            log.exception("sweeping expired holds failed; trying again later")


async def _listen_for_invalidations(gateway: Gateway, redis: Redis) -> None:
    """Another process (the CLI, another instance) changed keys, channels or prices."""
    while True:
        try:
            async with redis.pubsub() as pubsub:
                await pubsub.subscribe(INVALIDATE_CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    await gateway.refresh()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Redis invalidation listener failed; reconnecting")
            await asyncio.sleep(1)


async def publish_invalidation(redis_url: str | None) -> None:
    """Tells running servers to re-read the database now instead of at their next refresh."""
    if redis_url is None:
        return
    redis = Redis.from_url(redis_url)
    try:
        await redis.publish(INVALIDATE_CHANNEL, b"1")
    finally:
        await redis.aclose()
