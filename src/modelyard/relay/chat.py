"""The relay for chat completions, legacy completions and embeddings:
authenticate, validate, price, reserve, call (with failover), stream, settle, log."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from modelyard.auth.limiter import Verdict, WindowLimiter
from modelyard.billing.holds import HeldRequest, HoldOutcome, Holds
from modelyard.billing.pricing import Price, cost_nanos, max_cost_nanos
from modelyard.errors import AppError
from modelyard.kit.clock import utcnow
from modelyard.kit.ids import new_generation_id
from modelyard.kit.money import nanos_to_usd_number, nanos_to_usd_str
from modelyard.kit.secrets import hash_api_key
from modelyard.llm import sse
from modelyard.llm.usage import Usage
from modelyard.providers.base import (
    Adapter,
    CallContext,
    ChannelConfig,
    ChatResult,
    EmbeddingsResult,
    StreamTranslator,
    UnsupportedFeature,
)
from modelyard.providers.errors import FailureKind, UpstreamFailure
from modelyard.providers.registry import ADAPTERS
from modelyard.relay import shapes
from modelyard.relay.cache import GatewayCache, KeyPrincipal, ModelInfo
from modelyard.relay.request import (
    RelayRequest,
    Surface,
    estimate_text_tokens,
    parse_chat_request,
    parse_completions_request,
    parse_embeddings_request,
    payment_required,
)
from modelyard.relay.settlement import Settlement, SettlementWriter
from modelyard.routing.health import HealthBook, event_of
from modelyard.routing.planner import Candidate, Plan, RequestFacts, Route, plan, tag
from modelyard.routing.policy import RoutingPolicy, no_route, parse_policy, split_suffix

log = logging.getLogger(__name__)

# When neither the request nor the catalogue bounds the answer, reserve for this many output tokens.
DEFAULT_COMPLETION_RESERVE_TOKENS = 4096
# Watching for a disconnect costs a task; answers faster than this never need it.
_WATCH_DISCONNECT_AFTER_SECONDS = 0.5
# Keys' requests- and tokens-per-minute counters (auth/limiter.py; in Redis when configured, so every
# instance counts together).
KEY_RATE_PREFIX = "modelyard:key-rate"
_RATE_WINDOW_SECONDS = 60


@dataclass
class _Call:
    """One request's bookkeeping, from reservation to the settlement record."""

    principal: KeyPrincipal
    request: RelayRequest
    model: ModelInfo
    price: Price
    reserved_nanos: int
    generation_id: str
    created_at: datetime
    started: float
    app_referer: str | None
    app_title: str | None
    route: Route | None = None
    first_token_at: float | None = None
    is_settled: bool = False
    # Resolved when the settlement has committed (relay/settlement.py); None until settled.
    committed: asyncio.Future[None] | None = None
    # The planned (model, endpoint) pairs in order, and what each try did.
    plan: list[tuple[ModelInfo, Route]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    attempt_started: float = 0.0
    busy_channel: int | None = None  # the channel whose concurrency slot this call holds
    key_held_nanos: int = 0  # held on the key's credit limit too (0: the key has none)
    # Tokens counted against the key's tokens-per-minute at admission, and in which minute.
    rate_tokens: int = 0
    rate_window: int = 0

    @property
    def created(self) -> int:
        return int(self.created_at.timestamp())


@dataclass
class _Opened:
    """An upstream stream that answered 200."""

    route: Route
    response: aiohttp.ClientResponse
    translator: StreamTranslator
    as_completion: bool  # chat chunks to be reshaped as legacy text-completion chunks


class ChatRelay:
    def __init__(
        self,
        cache: GatewayCache,
        holds: Holds,
        writer: SettlementWriter,
        http: aiohttp.ClientSession,
        timeout: aiohttp.ClientTimeout,
        keepalive_seconds: float,
        health: HealthBook | None = None,
        routing: RoutingSettings | None = None,
        on_health_event: Callable[[dict[str, Any]], None] | None = None,
        limiter: WindowLimiter | None = None,
    ) -> None:
        self._cache = cache
        self._holds = holds
        self._writer = writer
        self._http = http
        self._timeout = timeout
        self._keepalive_seconds = keepalive_seconds
        self._rng = random.Random()  # noqa: S311 - load spreading, not security
        self._key_turns: dict[int, int] = {}
        self.health = health or HealthBook()
        self._routing = routing or RoutingSettings()
        self._on_health_event = on_health_event
        self._in_flight: dict[int, int] = {}  # channel id -> requests it is serving now
        self._limiter = limiter or WindowLimiter(None, KEY_RATE_PREFIX)
        self._background: set[asyncio.Task[None]] = set()

    async def authenticate(self, request: Request) -> KeyPrincipal:
        header = request.headers.get("authorization")
        if not header:
            raise AppError(401, "Missing Authentication header: send `Authorization: Bearer <API key>`")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AppError(401, "Authorization header must be `Bearer <API key>`")
        principal = await self._cache.lookup_key(hash_api_key(token))
        if principal is None:
            raise AppError(401, "Invalid API key", metadata={"error_type": "authentication"})
        if not principal.is_usable:
            raise AppError(401, "API key is disabled", metadata={"error_type": "authentication"})
        if principal.expires_at is not None and principal.expires_at <= utcnow():
            raise AppError(401, "API key has expired", metadata={"error_type": "authentication"})
        if principal.ip_restricted:
            _require_allowed_ip(principal, request)
        return principal

    async def cached_principal(self, key_hash: str) -> KeyPrincipal:
        """A key the server found by its owner (no secret presented), checked as a presented key is."""
        principal = await self._cache.lookup_key(key_hash)
        if principal is None:
            raise AppError(401, "Invalid API key", metadata={"error_type": "authentication"})
        if not principal.is_usable:
            raise AppError(401, "Your playground key is disabled; enable it on the keys page",
                           metadata={"error_type": "authentication"})  # fmt: skip
        return principal

    def _require_model_access(self, principal: KeyPrincipal) -> None:
        if principal.is_management:
            raise AppError(
                403,
                "A management key administers keys and cannot call models; use an ordinary API key",
                metadata={"error_type": "permission_denied"},
            )

    async def handle_chat(self, request: Request) -> Response:
        return await self._handle(request, parse_chat_request)

    async def handle_completions(self, request: Request) -> Response:
        return await self._handle(request, parse_completions_request)

    async def handle_embeddings(self, request: Request) -> Response:
        return await self._handle(request, parse_embeddings_request)

    async def handle_chat_as(self, request: Request, principal: KeyPrincipal) -> Response:
        """A chat request for a caller the server has already authenticated (the web app's playground)."""
        return await self._handle(request, parse_chat_request, principal)

    async def _handle(
        self,
        request: Request,
        parse: Callable[[bytes], RelayRequest],
        authenticated: KeyPrincipal | None = None,
    ) -> Response:
        started = time.perf_counter()
        principal = authenticated or await self.authenticate(request)
        self._require_model_access(principal)
        if principal.rpm_limit is not None:
            await self._count_requests(principal, principal.rpm_limit)
        relay_request = parse(await request.body())
        if principal.allowed_models:
            _require_allowed_models(principal, relay_request)
        planned, reserve = self._plan(principal, relay_request)
        rate_tokens = 0
        rate_window = 0
        if principal.tpm_limit is not None:
            rate_tokens = _admission_tokens(relay_request, planned)
            rate_window = await self._count_tokens(principal, principal.tpm_limit, rate_tokens)
        generation_id = new_generation_id()
        # Only a key with a credit limit holds on its row: the others add nothing to the hold transaction.
        key_id = principal.key_id if principal.has_credit_limit else None
        app_referer = request.headers.get("http-referer")
        app_title = request.headers.get("x-openrouter-title") or request.headers.get("x-title")
        # Kept on the hold: what the sweep records if this process dies before the request settles.
        held = HeldRequest(
            api_key_id=principal.key_id,
            model_slug=planned[0][0].slug,
            is_stream=relay_request.is_stream,
            requested_model=_clip(relay_request.model, 200),
            api_type=relay_request.surface.value,
            app_referer=_clip(app_referer, 500),
            app_title=_clip(app_title, 200),
        )
        outcome = await self._holds.reserve(principal.user_id, reserve, generation_id, key_id, held)
        if outcome is not HoldOutcome.PLACED:
            self._give_back_tokens(principal, rate_tokens, rate_window)
            if outcome is HoldOutcome.KEY_LIMIT:
                raise _key_limit_reached(reserve)
            raise payment_required(await self._holds.spendable_nanos(principal.user_id), reserve)
        call = _Call(
            principal=principal,
            request=relay_request,
            model=planned[0][0],
            price=planned[0][1].price or planned[0][0].price or Price(),
            reserved_nanos=reserve,
            generation_id=generation_id,
            created_at=utcnow(),
            started=started,
            app_referer=app_referer,
            app_title=app_title,
            key_held_nanos=reserve if key_id is not None else 0,
            rate_tokens=rate_tokens,
            rate_window=rate_window,
        )
        call.plan = planned
        try:
            if relay_request.is_stream:
                return await self._stream(call)
            try:
                response = await _unless_client_leaves(self._complete(call), request.receive)
            except _ClientGone:
                # The upstream call was cancelled with the request; nothing was delivered, nothing is charged.
                self._settle(call, status="cancelled", http_status=499)
                return Response(status_code=499)
            await self._written(call)
            return response
        except BaseException as exc:
            # Anything that escapes before a stream takes over the call (including cancellation) settles it
            # as a failure, unless it was settled as it was decided: the hold is released and nothing is
            # charged. Once streaming, the stream settles.
            self._settle(call, status="error", http_status=500, error_type="server", error_message="aborted")
            if isinstance(exc, AppError):
                # An error answer also leaves only after its record.
                await self._written(call)
            raise

    # ------------------------------------------------------------------ key rate limits

    async def _count_requests(self, principal: KeyPrincipal, limit: int) -> None:
        """Counts this request against the key's requests per minute (every request the key makes counts,
        refused ones included); 429 with Retry-After when over."""
        verdict = await self._add(principal, "rpm", 1, limit)
        if verdict is not None and not verdict.allowed:
            raise _rate_limited(
                f"Rate limit exceeded: this API key allows {limit} requests per minute",
                limit,
                verdict.retry_after_seconds,
            )

    async def _count_tokens(self, principal: KeyPrincipal, limit: int, tokens: int) -> int:
        """Counts the request's tokens (prompt estimate + completion limit) against the key's tokens per
        minute; returns the minute they were counted in (settlement gives back what was not used). A
        refused request's tokens are given back at once."""
        if tokens > limit:
            raise AppError(
                429,
                f"Request too large for this API key's limit of {limit} tokens per minute: it may use "
                f"{tokens} tokens (prompt estimate + max_tokens or the model's output limit); "
                "send a lower max_tokens",
                metadata={"error_type": "rate_limit_exceeded", "limit": limit, "requested": tokens},
            )
        window = int(time.time() // _RATE_WINDOW_SECONDS)
        verdict = await self._add(principal, "tpm", tokens, limit)
        if verdict is None:
            return window
        if not verdict.allowed:
            await self._add(principal, "tpm", -tokens, limit)
            raise _rate_limited(
                f"Rate limit exceeded: this API key allows {limit} tokens per minute and this request may "
                f"use {tokens} (prompt estimate + max_tokens or the model's output limit)",
                limit,
                verdict.retry_after_seconds,
            )
        return window

    async def _add(self, principal: KeyPrincipal, kind: str, amount: int, limit: int) -> Verdict | None:
        # The hash prefix keeps two deployments sharing one Redis (same key ids) apart.
        name = f"{kind}:{principal.key_id}:{principal.key_hash[:16]}"
        try:
            return await self._limiter.add(name, amount, limit, _RATE_WINDOW_SECONDS)
        except Exception:
            # A Redis outage must not take the relay down with it: the request goes through uncounted.
            log.warning("counting %s of key %s failed; not limiting", kind, principal.key_id, exc_info=True)
            return None

    def _give_back_tokens(self, principal: KeyPrincipal, tokens: int, window: int) -> None:
        """Returns tokens counted at admission but not used, while their minute lasts."""
        limit = principal.tpm_limit
        if tokens <= 0 or limit is None or int(time.time() // _RATE_WINDOW_SECONDS) != window:
            return

        async def give_back() -> None:
            await self._add(principal, "tpm", -tokens, limit)

        task = asyncio.create_task(give_back())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ routing

    def _plan(
        self, principal: KeyPrincipal, request: RelayRequest
    ) -> tuple[list[tuple[ModelInfo, Route]], int]:
        """The (model, endpoint) pairs to try in order, over the model and its `models` fallbacks, and the
        hold that covers the dearest of them. Raises the error the user gets when none qualifies."""
        fallback_strategy = principal.routing_strategy or self._routing.strategy
        planned: list[tuple[ModelInfo, Route]] = []
        reserve = 0
        excluded: dict[str, list[str]] = {}
        retry_after: float | None = None
        served_any = False
        for requested in request.models:
            slug, suffix_strategy = split_suffix(requested)
            model = self._model(slug)
            policy = parse_policy(
                request.provider, fallback_strategy=fallback_strategy, suffix_strategy=suffix_strategy
            )
            routes = self._cache.routes.get(model.slug, [])
            served_any = served_any or bool(routes)
            chosen = self._plan_model(model, routes, policy, request)
            for reason, tags in chosen.excluded.items():
                excluded.setdefault(reason, []).extend(tags)
            if chosen.retry_after_seconds is not None:
                retry_after = min(retry_after or chosen.retry_after_seconds, chosen.retry_after_seconds)
            limit = _completion_limit(model, request)
            for route in chosen.attempts[: self._routing.max_attempts]:
                planned.append((model, route))
                price = route.price or model.price or Price()
                reserve = max(reserve, max_cost_nanos(price, request.prompt_tokens_estimate, limit))
        if planned:
            return planned, reserve
        first = request.models[0]
        if not served_any:
            raise AppError(
                404,
                f"No enabled channel serves model {first}",
                metadata={"error_type": "not_found", "model": first},
            )
        if set(excluded) == {"circuit_open"}:
            raise no_route(first, excluded, status=503, retry_after=retry_after)
        raise no_route(first, excluded)

    def _model(self, slug: str) -> ModelInfo:
        model = self._cache.catalog.models.get(slug)
        if model is None:
            raise AppError(
                404, f"Model {slug} does not exist", metadata={"error_type": "not_found", "model": slug}
            )
        if model.price is None:
            raise AppError(
                404,
                f"Model {slug} has no price set, so it cannot be used; an operator must price it first",
                metadata={"error_type": "not_found", "model": slug},
            )
        return model

    def _plan_model(
        self, model: ModelInfo, routes: list[Route], policy: RoutingPolicy, request: RelayRequest
    ) -> Plan:
        assert model.price is not None
        health = self.health
        candidates = [
            Candidate(
                route=route,
                price=route.price or model.price,
                health=health.health(route.channel_id, model.slug),
                is_busy=self._is_busy(route),
            )
            for route in routes
        ]
        facts = RequestFacts(
            parameters=request.parameters,
            supported_parameters=model.supported_parameters,
            max_output_tokens=request.max_output_tokens,
        )
        return plan(candidates, policy, facts, self._rng)

    def _is_busy(self, route: Route) -> bool:
        limit = route.options.get("max_concurrency")
        return isinstance(limit, int) and self._in_flight.get(route.channel_id, 0) >= limit

    def _take_slot(self, call: _Call, route: Route) -> None:
        self._in_flight[route.channel_id] = self._in_flight.get(route.channel_id, 0) + 1
        call.busy_channel = route.channel_id

    def _free_slot(self, call: _Call) -> None:
        if call.busy_channel is not None:
            self._in_flight[call.busy_channel] -= 1
            call.busy_channel = None

    def _record_attempt(
        self, call: _Call, route: Route, status: int | None, error: str | None = None
    ) -> None:
        call.attempts.append(
            {
                "channel_id": route.channel_id,
                "channel": route.channel_name,
                "provider": tag(route),
                "model": call.model.slug,
                "status": status,
                "latency_ms": round((time.perf_counter() - call.attempt_started) * 1000),
                "error": error,
            }
        )

    def _health_failure(self, call: _Call, route: Route, failure: UpstreamFailure) -> None:
        if failure.kind in _REQUEST_FAULTS:
            self.health.release_trial(route.channel_id, call.model.slug)
            return
        retry_after = failure.retry_after_seconds if failure.kind is FailureKind.RATE_LIMITED else None
        self.health.record_failure(
            route.channel_id, call.model.slug, error=failure.message, retry_after_seconds=retry_after
        )
        if self._on_health_event is not None:
            self._on_health_event(
                event_of(route.channel_id, call.model.slug, ok=False, error=failure.kind.value,
                         retry_after_seconds=retry_after)
            )  # fmt: skip

    def _health_success(self, call: _Call, route: Route, usage: Usage | None) -> None:
        now = time.perf_counter()
        first = call.first_token_at
        recovered = self.health.record_success(
            route.channel_id,
            call.model.slug,
            latency_ms=(now - call.attempt_started) * 1000,
            ttft_ms=(first - call.attempt_started) * 1000 if first and call.request.is_stream else None,
            output_tokens=usage.completion_tokens if usage else None,
        )
        if recovered and self._on_health_event is not None:
            self._on_health_event(event_of(route.channel_id, call.model.slug, ok=True))

    # ------------------------------------------------------------------ upstream calls

    def _build(self, call: _Call, route: Route, adapter: Adapter) -> tuple[Any, dict[str, Any], bool]:
        """(upstream request, the canonical body it was built from, whether the answer is a chat answer to
        be reshaped as a text completion). Raises UnsupportedFeature when this channel cannot do it."""
        request = call.request
        channel = ChannelConfig(route.base_url, self._next_key(route), route.options)
        context = CallContext(route.upstream_model, request.is_stream, call.model.max_completion_tokens)
        if request.surface is Surface.EMBEDDINGS:
            if not adapter.supports_embeddings:
                raise UnsupportedFeature("embeddings", adapter.name)
            return adapter.embeddings_request(channel, request.body, context), request.body, False
        if request.surface is Surface.COMPLETIONS and adapter.supports_native_completions:
            return adapter.completions_request(channel, request.body, context), request.body, False
        body = (
            shapes.completion_as_chat(request.body)
            if request.surface is Surface.COMPLETIONS
            else request.body
        )
        adapter.check_chat(body)
        return adapter.chat_request(channel, body, context), body, request.surface is Surface.COMPLETIONS

    @property
    def default_strategy(self) -> str:
        return self._routing.strategy

    def _next_key(self, route: Route) -> str:
        """A channel's keys in turn, so each carries an equal share of its traffic (and rate limits)."""
        if len(route.api_keys) < 2:
            return route.api_key
        turn = self._key_turns.get(route.channel_id, 0)
        self._key_turns[route.channel_id] = turn + 1
        return route.api_keys[turn % len(route.api_keys)]

    def _timeout_for(self, route: Route) -> aiohttp.ClientTimeout:
        total = route.options.get("timeout_seconds")
        first_byte = route.options.get("first_byte_timeout_seconds")
        if total is None and first_byte is None:
            return self._timeout
        return aiohttp.ClientTimeout(
            total=float(total) if total is not None else self._timeout.total,
            connect=self._timeout.connect,
            sock_read=float(first_byte) if first_byte is not None else self._timeout.sock_read,
        )

    async def _send(self, upstream: Any, adapter: Adapter, route: Route) -> aiohttp.ClientResponse:
        try:
            response = await self._http.post(
                upstream.url, data=upstream.body, headers=upstream.headers, timeout=self._timeout_for(route)
            )
        except TimeoutError:
            raise UpstreamFailure(FailureKind.TIMEOUT, "the provider did not answer in time") from None
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamFailure(FailureKind.UNAVAILABLE, f"cannot connect: {exc.os_error}") from None
        except aiohttp.ClientError as exc:
            raise UpstreamFailure(
                FailureKind.UPSTREAM_5XX, f"connection failed: {type(exc).__name__}"
            ) from None
        if response.status != 200:
            try:
                body = await response.read()
            except (aiohttp.ClientError, TimeoutError):
                body = b""
            finally:
                response.release()
            raise adapter.classify_error(response.status, body, response.headers)
        return response

    async def _each_attempt(
        self, call: _Call, attempt: Callable[[Route, Adapter], Coroutine[Any, Any, Any]]
    ) -> Any:
        """Runs `attempt` on each planned endpoint in turn until one succeeds. An endpoint that cannot do
        the request is skipped; a retryable failure moves on to the next endpoint, a failure of the request
        itself to the next fallback model; the last failure is the answer."""
        failure: UpstreamFailure | None = None
        unsupported: UnsupportedFeature | None = None
        skip_model: str | None = None
        tries = 0
        for model, route in call.plan:
            if model.slug == skip_model:
                continue
            adapter = ADAPTERS.get(route.provider)
            if adapter is None:
                log.error("channel %s has unknown provider %r; skipped", route.channel_name, route.provider)
                continue
            if not self.health.try_acquire(route.channel_id, model.slug):
                continue  # its breaker opened while this request was waiting (another request's failure)
            if tries and self._routing.retry_delay_seconds:
                await asyncio.sleep(self._routing.retry_delay_seconds)
            tries += 1
            call.model = model
            call.route = route
            call.price = route.price or model.price or call.price
            call.attempt_started = time.perf_counter()
            self._take_slot(call, route)
            try:
                return await attempt(route, adapter)
            except UnsupportedFeature as exc:
                self._free_slot(call)
                self.health.release_trial(route.channel_id, model.slug)
                unsupported = unsupported or exc
            except UpstreamFailure as exc:
                self._free_slot(call)
                failure = exc
                self._record_attempt(call, route, exc.upstream_status, exc.kind.value)
                self._health_failure(call, route, exc)
                log.warning(
                    "upstream %s failed for %s: %s (%s)",
                    route.channel_name,
                    model.slug,
                    exc.kind,
                    exc.message,
                )
                if not exc.is_retryable:
                    skip_model = (
                        model.slug
                    )  # the request itself is at fault here; a fallback model may not be
            except BaseException:
                self._free_slot(call)
                self.health.release_trial(route.channel_id, model.slug)
                raise
        if failure is None:
            if unsupported is None and tries == 0:
                # Every planned endpoint's breaker opened in the meantime.
                error = AppError(
                    503,
                    f"Every endpoint of {call.model.slug} is temporarily unavailable",
                    metadata={"error_type": "provider_unavailable"},
                )
                self._settle(call, status="error", http_status=503, error_type="provider_unavailable",
                             error_message=error.message)  # fmt: skip
                raise error
            message = str(unsupported) if unsupported else f"No usable channel serves model {call.model.slug}"
            error = AppError(400, message, metadata={"error_type": "invalid_request"})
            self._settle(
                call, status="error", http_status=400, error_type="invalid_request", error_message=message
            )
            raise error
        assert call.route is not None
        self._settle(
            call, status="error", http_status=failure.http_status, failure=failure, attempt_recorded=True
        )
        headers = {"X-Generation-Id": call.generation_id}
        if failure.retry_after_seconds is not None:
            headers["Retry-After"] = str(max(1, math.ceil(failure.retry_after_seconds)))
        raise AppError(
            failure.http_status,
            f"Provider {call.route.channel_name} returned an error: {failure.message}",
            metadata={
                "error_type": failure.error_type,
                "provider_name": call.route.channel_name,
                "raw": failure.message,
                "previous_errors": [
                    {"provider": a["provider"], "code": a["error"], "status": a["status"]}
                    for a in call.attempts
                ],
            },
            headers=headers,
        )

    async def _complete(self, call: _Call) -> Response:
        async def attempt(route: Route, adapter: Adapter) -> Response:
            upstream, body, as_completion = self._build(call, route, adapter)
            response = await self._send(upstream, adapter, route)
            try:
                raw = await response.read()
            except TimeoutError:
                raise UpstreamFailure(FailureKind.TIMEOUT, "the provider did not finish in time") from None
            except aiohttp.ClientError as exc:
                raise UpstreamFailure(
                    FailureKind.UPSTREAM_5XX, f"response cut off: {type(exc).__name__}"
                ) from None
            finally:
                response.release()
            result: ChatResult | EmbeddingsResult
            if call.request.surface is Surface.EMBEDDINGS:
                result = adapter.parse_embeddings(raw, body)
            else:
                result = adapter.parse_chat(raw, body)
            call.first_token_at = time.perf_counter()
            document = result.document
            usage = result.usage
            is_estimated = usage is None or not usage.is_reported
            if usage is None or not usage.is_reported:
                usage = self._estimate_usage(call, shapes.answer_bytes(document))
            cost = cost_nanos(call.price, usage)
            if as_completion:
                document = shapes.chat_to_completion(document)
            self._label(call, route, document)
            document["usage"] = _usage_document(document.get("usage"), usage, cost, call.request.surface)
            choices = document.get("choices") or [{}]
            self._settle(
                call,
                status="success",
                http_status=200,
                usage=usage,
                cost=cost,
                finish_reason=choices[0].get("finish_reason"),
                is_usage_estimated=is_estimated,
            )
            return Response(
                orjson.dumps(document),
                media_type="application/json",
                headers={"X-Generation-Id": call.generation_id},
            )

        response: Response = await self._each_attempt(call, attempt)
        return response

    # ------------------------------------------------------------------ streams

    async def _open_stream(self, call: _Call) -> _Opened:
        async def attempt(route: Route, adapter: Adapter) -> _Opened:
            upstream, body, as_completion = self._build(call, route, adapter)
            response = await self._send(upstream, adapter, route)
            return _Opened(route, response, adapter.stream_translator(body), as_completion)

        opened: _Opened = await self._each_attempt(call, attempt)
        return opened

    async def _stream(self, call: _Call) -> Response:
        opening = asyncio.ensure_future(self._open_stream(call))
        done, _ = await asyncio.wait((opening,), timeout=self._keepalive_seconds)
        if done:
            # The upstream answered quickly: its errors still get a real HTTP status and a JSON body.
            stream = self._relay_stream(call, opening.result(), None)
        else:
            # The upstream is slow to answer: commit to the stream now and keep the connection alive.
            stream = self._relay_stream(call, None, opening)

        def abandon() -> None:
            # Whatever state the stream was left in (the client left before or between chunks): stop the
            # upstream and settle once.
            if not opening.done():
                opening.cancel()
            elif not opening.cancelled() and opening.exception() is None:
                opening.result().response.close()
            self._settle(call, status="cancelled", http_status=499, usage=Usage(0, 0))

        return _RelayStream(
            stream,
            abandon,
            media_type="text/event-stream",
            headers={
                "X-Generation-Id": call.generation_id,
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            },
        )

    async def _relay_stream(
        self, call: _Call, opened: _Opened | None, opening: asyncio.Future[_Opened] | None
    ) -> AsyncIterator[bytes]:
        """Passes each upstream event on as it arrives, rewritten to our ids, and ends with one usage chunk
        and [DONE]. A failure after the first byte cannot change the HTTP status any more, so it becomes an
        error chunk (OpenRouter's shape), billed for what was produced, and the stream ends without [DONE]."""
        if opened is None:
            assert opening is not None
            while not opening.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(opening), self._keepalive_seconds)
                if not opening.done():
                    yield sse.KEEPALIVE_EVENT
            try:
                opened = opening.result()
            except AppError as exc:
                await self._written(call)
                yield _error_event(call, exc.status, exc.message, exc.metadata or {})
                return
        route, response, translator = opened.route, opened.response, opened.translator
        completion_bytes = 0
        outcome = "cancelled"  # until the loop finishes one way or another
        failure: UpstreamFailure | None = None
        decoder = sse.SseDecoder()
        try:
            while not translator.is_complete:
                timer = asyncio.timeout(self._keepalive_seconds)
                try:
                    async with timer:
                        received = await response.content.readany()
                except TimeoutError:
                    if not timer.expired():
                        raise  # the upstream read timeout, not our keep-alive timer
                    yield sse.KEEPALIVE_EVENT
                    continue
                events = decoder.feed(received) if received else decoder.finish()
                out: list[bytes] = []
                for data in events:
                    for chunk in translator.feed(data):
                        if opened.as_completion:
                            reshaped = shapes.chunk_to_completion(chunk)
                            if reshaped is None:
                                continue
                            chunk = reshaped
                        completion_bytes += shapes.chunk_bytes(chunk)
                        self._label(call, route, chunk)
                        out.append(sse.encode_data(orjson.dumps(chunk)))
                    if translator.is_complete:
                        break
                if out:
                    if call.first_token_at is None and completion_bytes:
                        call.first_token_at = time.perf_counter()
                    # Events that arrived in one read leave in one write: no waiting, just fewer syscalls.
                    yield b"".join(out)
                if not received and not translator.is_complete:
                    # The connection ended before the upstream said the answer was whole.
                    raise UpstreamFailure(FailureKind.UPSTREAM_5XX, "the stream ended before it was complete")
            usage = translator.usage
            is_estimated = usage is None or not usage.is_reported
            if usage is None or not usage.is_reported:
                usage = self._estimate_usage(call, completion_bytes)
            cost = cost_nanos(call.price, usage)
            final: dict[str, Any] = {
                "id": call.generation_id,
                "object": "text_completion"
                if call.request.surface is Surface.COMPLETIONS
                else "chat.completion.chunk",
                "created": call.created,
                "model": call.model.slug,
                "provider": route.channel_name,
                "system_fingerprint": None,
                "choices": [],
                "usage": _usage_document(None, usage, cost, call.request.surface),
            }
            self._settle(
                call,
                status="success",
                http_status=200,
                usage=usage,
                cost=cost,
                is_usage_estimated=is_estimated,
            )
            outcome = "success"
            # The usage chunk and [DONE] tell the client the answer is whole: they leave once it is charged.
            await self._written(call)
            yield sse.encode_data(orjson.dumps(final)) + sse.DONE_EVENT
        except UpstreamFailure as exc:
            failure = exc
        except TimeoutError:
            failure = UpstreamFailure(FailureKind.TIMEOUT, "the provider stopped sending tokens")
        except aiohttp.ClientError as exc:
            failure = UpstreamFailure(
                FailureKind.UPSTREAM_5XX, f"the stream was cut off: {type(exc).__name__}"
            )
        finally:
            response.close()
            if outcome == "cancelled" and failure is None:
                # The client went away: the upstream call is closed above, and what was generated until then
                # is charged: the upstream's counts where it sent them, an estimate (flagged) otherwise.
                usage, is_estimated = self._usage_so_far(call, translator, completion_bytes)
                self._settle(
                    call,
                    status="cancelled",
                    http_status=499,
                    usage=usage,
                    cost=cost_nanos(call.price, usage),
                    is_usage_estimated=is_estimated,
                )
        if failure is not None:
            usage, is_estimated = self._usage_so_far(call, translator, completion_bytes)
            self._settle(
                call,
                status="error",
                http_status=failure.http_status,
                failure=failure,
                usage=usage,
                cost=cost_nanos(call.price, usage) if completion_bytes else 0,
                is_usage_estimated=is_estimated,
            )
            await self._written(call)
            yield _error_event(
                call,
                failure.http_status,
                f"Provider {route.channel_name} failed mid-stream: {failure.message}",
                {"error_type": failure.error_type, "provider_name": route.channel_name},
            )

    # ------------------------------------------------------------------ accounting

    def _label(self, call: _Call, route: Route, document: dict[str, Any]) -> None:
        document["id"] = call.generation_id
        document["model"] = call.model.slug
        document["provider"] = route.channel_name
        if not document.get("created"):
            document["created"] = call.created
        if call.request.surface is Surface.CHAT:
            document.setdefault(
                "object", "chat.completion.chunk" if call.request.is_stream else "chat.completion"
            )
            if not call.request.is_stream:
                document.setdefault("system_fingerprint", None)

    def _estimate_usage(self, call: _Call, completion_bytes: int) -> Usage:
        return Usage(
            prompt_tokens=estimate_text_tokens(call.request.prompt_bytes),
            completion_tokens=estimate_text_tokens(completion_bytes),
        )

    def _usage_so_far(
        self, call: _Call, translator: StreamTranslator, completion_bytes: int
    ) -> tuple[Usage, bool]:
        """Usage of an unfinished stream: the upstream's counts where it sent them (Anthropic reports the
        prompt at the start), an estimate from what was relayed otherwise."""
        estimate = self._estimate_usage(call, completion_bytes)
        reported = translator.usage
        prompt = reported.prompt_tokens if reported and reported.prompt_tokens is not None else None
        completion = reported.completion_tokens if reported and reported.completion_tokens else None
        usage = Usage(
            prompt_tokens=prompt if prompt is not None else estimate.prompt_tokens,
            completion_tokens=completion if completion is not None else estimate.completion_tokens,
            cached_tokens=reported.cached_tokens if reported else None,
            cache_write_tokens=reported.cache_write_tokens if reported else None,
        )
        return usage, prompt is None or completion is None

    async def _written(self, call: _Call) -> None:
        """Waits (bounded) until the call's settlement has committed: what is delivered after this is
        charged and recorded even if the process dies the next moment."""
        if call.committed is not None:
            await self._writer.wait(call.committed)

    def _settle(
        self,
        call: _Call,
        *,
        status: str,
        http_status: int,
        usage: Usage | None = None,
        cost: int = 0,
        finish_reason: str | None = None,
        failure: UpstreamFailure | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
        is_usage_estimated: bool = False,
        attempt_recorded: bool = False,
    ) -> None:
        """Turns the reservation into the real charge and queues the charge with its request log."""
        if call.is_settled:
            return
        call.is_settled = True
        now = time.perf_counter()
        route = call.route
        self._free_slot(call)
        if route is not None and call.attempt_started:
            if status == "success":
                self._record_attempt(call, route, 200)
                self._health_success(call, route, usage)
            elif failure is not None and not attempt_recorded:
                # A failure after the stream began (failures before it were recorded as they happened).
                self._record_attempt(call, route, failure.upstream_status, failure.kind.value)
                self._health_failure(call, route, failure)
            elif status == "cancelled":
                self.health.release_trial(route.channel_id, call.model.slug)
        if failure is not None:
            error_type, error_message = failure.error_type, failure.message
        if call.rate_tokens:
            used = (usage.prompt_tokens or 0) + (usage.completion_tokens or 0) if usage else 0
            self._give_back_tokens(call.principal, call.rate_tokens - used, call.rate_window)
        call.committed = self._writer.submit(
            Settlement(
                user_id=call.principal.user_id,
                cost_nanos=cost,
                key_id=call.principal.key_id if call.key_held_nanos else None,
                key_held_nanos=call.key_held_nanos,
                request_log={
                    "generation_id": call.generation_id,
                    "user_id": call.principal.user_id,
                    "api_key_id": call.principal.key_id,
                    "model_slug": call.model.slug,
                    "requested_model": _clip(call.request.model, 200),
                    "api_type": call.request.surface.value,
                    "channel_id": route.channel_id if route else None,
                    "provider": route.channel_name if route else None,
                    "upstream_model": route.upstream_model if route else None,
                    "is_stream": call.request.is_stream,
                    "status": status,
                    "http_status": http_status,
                    "error_type": error_type,
                    "error_message": _clip(error_message, 1000),
                    "finish_reason": finish_reason,
                    "prompt_tokens": usage.prompt_tokens if usage else None,
                    "completion_tokens": usage.completion_tokens if usage else None,
                    "reasoning_tokens": usage.reasoning_tokens if usage else None,
                    "cached_tokens": usage.cached_tokens if usage else None,
                    "is_usage_estimated": is_usage_estimated,
                    "cost_nanos": cost,
                    "latency_ms": round((now - call.started) * 1000),
                    "ttft_ms": round((call.first_token_at - call.started) * 1000)
                    if call.first_token_at
                    else None,
                    "attempts": call.attempts or None,
                    "app_referer": _clip(call.app_referer, 500),
                    "app_title": _clip(call.app_title, 200),
                    "created_at": call.created_at,
                },
            )
        )


@dataclass(frozen=True)
class RoutingSettings:
    strategy: str = "default"
    max_attempts: int = 3
    retry_delay_seconds: float = 0.05


# Failures that say the request is wrong, not the channel: they never count against its health.
_REQUEST_FAULTS = frozenset({FailureKind.BAD_REQUEST, FailureKind.CONTEXT_LENGTH})


def _require_allowed_ip(principal: KeyPrincipal, request: Request) -> None:
    """The request's client address (behind a reverse proxy: what uvicorn's proxy-header handling,
    FORWARDED_ALLOW_IPS, makes of X-Forwarded-For) must be in one of the key's networks."""
    host = request.client.host if request.client else None
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    if host:
        with contextlib.suppress(ValueError):
            address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address is None or not any(address in network for network in principal.allowed_networks):
        raise AppError(
            403,
            f"This API key cannot be used from {host or 'an unknown address'}: it is limited to certain "
            "IP addresses",
            metadata={"error_type": "permission_denied"},
        )


def _require_allowed_models(principal: KeyPrincipal, request: RelayRequest) -> None:
    """Every model the request may use (the model and its `models` fallbacks) must match one of the key's
    patterns."""
    for requested in request.models:
        slug, _ = split_suffix(requested)
        if not any(fnmatchcase(slug, pattern) for pattern in principal.allowed_models):
            raise AppError(
                403,
                f"This API key cannot use model {slug}; it may use: {', '.join(principal.allowed_models)}",
                metadata={"error_type": "permission_denied", "model": slug},
            )


def _admission_tokens(request: RelayRequest, planned: list[tuple[ModelInfo, Route]]) -> int:
    """What a request counts against tokens per minute when admitted: its prompt estimate plus the most it
    may produce (max_tokens, else the model's output limit), over the models it may use."""
    models = {model.slug: model for model, _ in planned}
    return request.prompt_tokens_estimate + max(
        (_completion_limit(model, request) for model in models.values()), default=0
    )


def _rate_limited(message: str, limit: int, retry_after_seconds: float) -> AppError:
    retry = max(1, math.ceil(retry_after_seconds))
    return AppError(
        429,
        f"{message}; retry after {retry} s",
        metadata={"error_type": "rate_limit_exceeded", "limit": limit},
        headers={
            "Retry-After": str(retry),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil((time.time() + retry_after_seconds) * 1000)),
        },
    )


def _key_limit_reached(needed_nanos: int) -> AppError:
    return AppError(
        402,
        "Key limit reached: this API key's credit limit does not cover this request (it can cost up to "
        f"${nanos_to_usd_str(needed_nanos)}); raise the key's limit, wait for it to reset, or lower "
        "max_tokens",
        metadata={"error_type": "payment_required"},
    )


def _completion_limit(model: ModelInfo, request: RelayRequest) -> int:
    if request.surface is Surface.EMBEDDINGS:
        return 0
    return (
        request.max_output_tokens
        or model.max_completion_tokens
        or (max(model.context_length - request.prompt_tokens_estimate, 1) if model.context_length else None)
        or DEFAULT_COMPLETION_RESERVE_TOKENS
    )


def _error_event(call: _Call, status: int, message: str, metadata: dict[str, Any]) -> bytes:
    chunk = {
        "id": call.generation_id,
        "object": "chat.completion.chunk",
        "created": call.created,
        "model": call.model.slug,
        "provider": call.route.channel_name if call.route else None,
        "error": {"code": status, "message": message, "metadata": metadata},
        "choices": [
            {"index": 0, "delta": {"content": ""}, "finish_reason": "error", "native_finish_reason": None}
        ],
    }
    return sse.encode_data(orjson.dumps(chunk))


class _ClientGone(Exception):
    pass


async def _unless_client_leaves(work: Coroutine[Any, Any, Response], receive: Receive) -> Response:
    """Runs `work`, cancelling it (and so its upstream request) if the client disconnects first."""
    task = asyncio.ensure_future(work)
    watcher: asyncio.Future[None] | None = None
    try:
        done, _ = await asyncio.wait((task,), timeout=_WATCH_DISCONNECT_AFTER_SECONDS)
        if not done:
            watcher = asyncio.ensure_future(_disconnected(receive))
            await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        raise _ClientGone
    finally:
        if watcher is not None:
            watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _RelayStream(StreamingResponse):
    """Makes sure the relay's generator always finishes, so its reservation is settled and its upstream
    connection closed even when the client disconnects between two chunks or before the first."""

    def __init__(self, content: AsyncIterator[bytes], on_abandon: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._content = content
        self._on_abandon = on_abandon

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self._content, "aclose", None)
            if aclose is not None:
                await aclose()
            self._on_abandon()


def _usage_document(upstream: Any, usage: Usage, cost: int, surface: Surface) -> dict[str, Any]:
    """The upstream's usage object (keeping details such as cached tokens) with our counts and the cost."""
    document: dict[str, Any] = dict(upstream) if isinstance(upstream, dict) else {}
    prompt = usage.prompt_tokens or 0
    completion = usage.completion_tokens or 0
    document["prompt_tokens"] = prompt
    if surface is not Surface.EMBEDDINGS:
        document["completion_tokens"] = completion
        if usage.reasoning_tokens is not None:
            details = document.get("completion_tokens_details")
            details = dict(details) if isinstance(details, dict) else {}
            details["reasoning_tokens"] = usage.reasoning_tokens
            document["completion_tokens_details"] = details
        if usage.cached_tokens is not None or usage.cache_write_tokens is not None:
            details = document.get("prompt_tokens_details")
            details = dict(details) if isinstance(details, dict) else {}
            details["cached_tokens"] = usage.cached_tokens or 0
            if usage.cache_write_tokens is not None:
                details["cache_write_tokens"] = usage.cache_write_tokens
            document["prompt_tokens_details"] = details
    document["total_tokens"] = prompt + (0 if surface is Surface.EMBEDDINGS else completion)
    document["cost"] = nanos_to_usd_number(cost)
    return document


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
