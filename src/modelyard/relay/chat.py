"""POST /v1/chat/completions: authenticate, validate, price, reserve, call, stream, settle, log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from modelyard.billing.balances import BalanceBook
from modelyard.billing.pricing import Price, cost_nanos, max_cost_nanos
from modelyard.errors import AppError
from modelyard.kit.clock import utcnow
from modelyard.kit.ids import new_generation_id
from modelyard.kit.money import nanos_to_usd_number
from modelyard.kit.secrets import hash_api_key
from modelyard.llm import sse
from modelyard.llm.usage import Usage
from modelyard.providers.errors import FailureKind, UpstreamFailure
from modelyard.providers.openai_compat import adapter
from modelyard.relay.cache import GatewayCache, KeyPrincipal, ModelInfo
from modelyard.relay.request import (
    ChatRequest,
    estimate_text_tokens,
    parse_chat_request,
    payment_required,
)
from modelyard.relay.settlement import Settlement, SettlementWriter
from modelyard.routing.planner import Route, plan_attempts

log = logging.getLogger(__name__)

# When neither the request nor the catalogue bounds the answer, reserve for this many output tokens.
DEFAULT_COMPLETION_RESERVE_TOKENS = 4096


@dataclass
class _Call:
    """One request's bookkeeping, from reservation to the settlement record."""

    principal: KeyPrincipal
    chat: ChatRequest
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
    attempts: list[dict[str, Any]] = field(default_factory=list)


class ChatRelay:
    def __init__(
        self,
        cache: GatewayCache,
        balances: BalanceBook,
        writer: SettlementWriter,
        http: aiohttp.ClientSession,
        timeout: aiohttp.ClientTimeout,
    ) -> None:
        self._cache = cache
        self._balances = balances
        self._writer = writer
        self._http = http
        self._timeout = timeout
        self._rng = random.Random()  # noqa: S311 - load spreading, not security

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
        if not self._balances.knows(principal.user_id):
            await self._writer.load_user(principal.user_id)
        return principal

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        principal = await self.authenticate(request)
        chat = parse_chat_request(await request.body())
        model = self._cache.catalog.models.get(chat.model)
        if model is None:
            raise AppError(
                404,
                f"Model {chat.model} does not exist",
                metadata={"error_type": "not_found", "model": chat.model},
            )
        if model.price is None:
            raise AppError(
                404,
                f"Model {chat.model} has no price set, so it cannot be used; an operator must price it first",
                metadata={"error_type": "not_found", "model": chat.model},
            )
        routes = self._cache.routes.get(chat.model)
        if not routes:
            raise AppError(
                404,
                f"No enabled channel serves model {chat.model}",
                metadata={"error_type": "not_found", "model": chat.model},
            )
        completion_limit = (
            chat.max_output_tokens
            or model.max_completion_tokens
            or (max(model.context_length - chat.prompt_tokens_estimate, 1) if model.context_length else None)
            or DEFAULT_COMPLETION_RESERVE_TOKENS
        )
        reserve = max_cost_nanos(model.price, chat.prompt_tokens_estimate, completion_limit)
        if not self._balances.reserve(principal.user_id, reserve):
            # Before refusing, read the balance once more: a top-up may have landed since the last refresh.
            await self._writer.load_user(principal.user_id)
            if not self._balances.reserve(principal.user_id, reserve):
                raise payment_required(self._balances.available_nanos(principal.user_id), reserve)
        call = _Call(
            principal=principal,
            chat=chat,
            model=model,
            price=model.price,
            reserved_nanos=reserve,
            generation_id=new_generation_id(),
            created_at=utcnow(),
            started=started,
            app_referer=request.headers.get("http-referer"),
            app_title=request.headers.get("x-openrouter-title") or request.headers.get("x-title"),
        )
        try:
            attempts = self._attempt_routes(call, plan_attempts(routes, self._rng))
            if chat.is_stream:
                return await attempts  # a stream notices a departed client itself, at its next write
            try:
                return await _unless_client_leaves(attempts, request.receive)
            except _ClientGone:
                # The upstream call was cancelled with the request; nothing was delivered, nothing is charged.
                self._settle(call, status="cancelled", http_status=499)
                return Response(status_code=499)
        except BaseException:
            # Anything that escapes before a stream takes over the call (including cancellation) releases
            # the reservation here; once streaming, the stream settles it.
            if not call.is_settled:
                call.is_settled = True
                self._balances.release(principal.user_id, call.reserved_nanos)
            raise

    async def _attempt_routes(self, call: _Call, routes: list[Route]) -> Response:
        failure: UpstreamFailure | None = None
        for route in routes:
            call.route = route
            try:
                if call.chat.is_stream:
                    return await self._start_stream(call, route)
                return await self._complete(call, route)
            except UpstreamFailure as exc:
                failure = exc
                call.attempts.append({"channel": route.channel_name, "status": exc.upstream_status})
                log.warning(
                    "upstream %s failed for %s: %s (%s)",
                    route.channel_name,
                    call.chat.model,
                    exc.kind,
                    exc.message,
                )
                if not exc.is_retryable:
                    break
        assert failure is not None and call.route is not None
        self._settle(call, status="error", http_status=failure.http_status, failure=failure)
        headers = {"X-Generation-Id": call.generation_id}
        if failure.retry_after_seconds is not None:
            headers["Retry-After"] = str(max(1, round(failure.retry_after_seconds)))
        raise AppError(
            failure.http_status,
            f"Provider {call.route.channel_name} returned an error: {failure.message}",
            metadata={
                "error_type": failure.error_type,
                "provider_name": call.route.channel_name,
                "raw": failure.message,
            },
            headers=headers,
        )

    async def _post(self, call: _Call, route: Route) -> aiohttp.ClientResponse:
        url, headers, payload = adapter.build_chat_request(
            route.base_url, route.api_key, call.chat.body, route.upstream_model, is_stream=call.chat.is_stream
        )
        try:
            response = await self._http.post(url, data=payload, headers=headers, timeout=self._timeout)
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

    async def _complete(self, call: _Call, route: Route) -> Response:
        response = await self._post(call, route)
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
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise UpstreamFailure(FailureKind.BAD_RESPONSE, "the provider's answer has no choices")
        call.first_token_at = time.perf_counter()

        usage = Usage.from_openai(data.get("usage"))
        is_estimated = usage is None or not usage.is_reported
        if usage is None or not usage.is_reported:
            usage = self._estimate_usage(call, _completion_bytes(data["choices"]))
        cost = cost_nanos(call.price, usage)
        data["id"] = call.generation_id
        data["model"] = call.model.slug
        data["provider"] = route.channel_name
        data.setdefault("system_fingerprint", None)
        data["usage"] = _usage_document(data.get("usage"), usage, cost)
        finish = data["choices"][0].get("finish_reason") if data["choices"] else None
        self._settle(
            call,
            status="success",
            http_status=200,
            usage=usage,
            cost=cost,
            finish_reason=finish,
            is_usage_estimated=is_estimated,
        )
        return Response(
            orjson.dumps(data),
            media_type="application/json",
            headers={"X-Generation-Id": call.generation_id},
        )

    async def _start_stream(self, call: _Call, route: Route) -> Response:
        response = await self._post(call, route)

        def abandon() -> None:
            # The stream never ran (the client left before the first byte): settle with nothing used.
            response.close()
            self._settle(call, status="cancelled", http_status=499, usage=Usage(0, 0))

        return _RelayStream(
            self._relay_stream(call, route, response),
            abandon,
            media_type="text/event-stream",
            headers={
                "X-Generation-Id": call.generation_id,
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            },
        )

    async def _relay_stream(
        self, call: _Call, route: Route, response: aiohttp.ClientResponse
    ) -> AsyncIterator[bytes]:
        """Passes each upstream event on as it arrives, rewritten to our ids, and ends with one usage chunk
        and [DONE]. A failure after the first byte cannot change the HTTP status any more, so it becomes an
        error chunk (OpenRouter's shape) and the stream ends without [DONE]."""
        usage: Usage | None = None
        upstream_usage: Any = None
        finish_reason: str | None = None
        completion_bytes = 0
        created = int(call.created_at.timestamp())
        outcome = "cancelled"  # until the loop finishes one way or another
        failure: UpstreamFailure | None = None
        try:
            is_done = False
            async for batch in sse.iter_event_batches(response.content.iter_any()):
                out: list[bytes] = []
                for data in batch:
                    if data == sse.DONE:
                        is_done = True
                        break
                    try:
                        chunk = orjson.loads(data)
                    except orjson.JSONDecodeError:
                        raise UpstreamFailure(
                            FailureKind.BAD_RESPONSE, "the provider sent an event that is not JSON"
                        ) from None
                    if not isinstance(chunk, dict):
                        continue
                    if "error" in chunk:
                        error = chunk["error"]
                        message = error.get("message") if isinstance(error, dict) else str(error)
                        raise UpstreamFailure(
                            FailureKind.UPSTREAM_5XX, str(message or "error during the stream")
                        )
                    if chunk.get("usage") is not None:
                        upstream_usage = chunk["usage"]
                        usage = Usage.from_openai(upstream_usage)
                    choices = chunk.get("choices")
                    if not choices:
                        continue  # the upstream's usage-only chunk: ours, with the cost, goes out at the end
                    chunk.pop("usage", None)
                    for choice in choices:
                        if not isinstance(choice, dict):
                            continue
                        if choice.get("finish_reason"):
                            finish_reason = choice["finish_reason"]
                        delta = choice.get("delta")
                        if isinstance(delta, dict):
                            completion_bytes += _delta_bytes(delta)
                    if call.first_token_at is None and completion_bytes:
                        call.first_token_at = time.perf_counter()
                    chunk["id"] = call.generation_id
                    chunk["model"] = call.model.slug
                    chunk["provider"] = route.channel_name
                    out.append(sse.encode_data(orjson.dumps(chunk)))
                if out:
                    # Events that arrived in one read leave in one write: no waiting, just fewer syscalls.
                    yield b"".join(out)
                if is_done:
                    break
            if not is_done:
                # The connection ended without [DONE]: whatever the upstream meant, the answer is incomplete.
                raise UpstreamFailure(FailureKind.UPSTREAM_5XX, "the stream ended before it was complete")
            is_estimated = usage is None or not usage.is_reported
            if usage is None or not usage.is_reported:
                usage = self._estimate_usage(call, completion_bytes)
            cost = cost_nanos(call.price, usage)
            yield sse.encode_data(
                orjson.dumps(
                    {
                        "id": call.generation_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": call.model.slug,
                        "provider": route.channel_name,
                        "system_fingerprint": None,
                        "choices": [],
                        "usage": _usage_document(upstream_usage, usage, cost),
                    }
                )
            )
            yield sse.DONE_EVENT
            outcome = "success"
            self._settle(
                call,
                status="success",
                http_status=200,
                usage=usage,
                cost=cost,
                finish_reason=finish_reason,
                is_usage_estimated=is_estimated,
            )
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
                # is charged (estimated, since the upstream's usage never arrived).
                usage = self._estimate_usage(call, completion_bytes)
                self._settle(
                    call,
                    status="cancelled",
                    http_status=499,
                    usage=usage,
                    cost=cost_nanos(call.price, usage),
                    finish_reason=finish_reason,
                    is_usage_estimated=True,
                )
        if failure is not None:
            self._settle(call, status="error", http_status=failure.http_status, failure=failure)
            yield sse.encode_data(
                orjson.dumps(
                    {
                        "id": call.generation_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": call.model.slug,
                        "provider": route.channel_name,
                        "error": {
                            "code": failure.http_status,
                            "message": f"Provider {route.channel_name} failed mid-stream: {failure.message}",
                            "metadata": {
                                "error_type": failure.error_type,
                                "provider_name": route.channel_name,
                            },
                        },
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"content": ""},
                                "finish_reason": "error",
                                "native_finish_reason": None,
                            }
                        ],
                    }
                )
            )

    def _estimate_usage(self, call: _Call, completion_bytes: int) -> Usage:
        messages_bytes = len(orjson.dumps(call.chat.body.get("messages")))
        return Usage(
            prompt_tokens=estimate_text_tokens(messages_bytes),
            completion_tokens=estimate_text_tokens(completion_bytes),
        )

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
        is_usage_estimated: bool = False,
    ) -> None:
        """Turns the reservation into the real charge and queues the charge with its request log."""
        if call.is_settled:
            return
        call.is_settled = True
        self._balances.settle(call.principal.user_id, call.reserved_nanos, cost)
        call.reserved_nanos = 0
        now = time.perf_counter()
        route = call.route
        self._writer.submit(
            Settlement(
                user_id=call.principal.user_id,
                cost_nanos=cost,
                request_log={
                    "generation_id": call.generation_id,
                    "user_id": call.principal.user_id,
                    "api_key_id": call.principal.key_id,
                    "model_slug": call.model.slug,
                    "channel_id": route.channel_id if route else None,
                    "provider": route.channel_name if route else None,
                    "upstream_model": route.upstream_model if route else None,
                    "is_stream": call.chat.is_stream,
                    "status": status,
                    "http_status": http_status,
                    "error_type": failure.error_type if failure else None,
                    "error_message": failure.message[:1000] if failure else None,
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
                    "app_referer": _clip(call.app_referer, 500),
                    "app_title": _clip(call.app_title, 200),
                    "created_at": call.created_at,
                },
            )
        )


class _ClientGone(Exception):
    pass


# Watching for a disconnect costs a task; answers faster than this never need it.
_WATCH_DISCONNECT_AFTER_SECONDS = 0.5


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


def _usage_document(upstream: Any, usage: Usage, cost: int) -> dict[str, Any]:
    """The upstream's usage object (keeping details such as cached tokens) with our counts and the cost."""
    document: dict[str, Any] = dict(upstream) if isinstance(upstream, dict) else {}
    prompt = usage.prompt_tokens or 0
    completion = usage.completion_tokens or 0
    document["prompt_tokens"] = prompt
    document["completion_tokens"] = completion
    document["total_tokens"] = prompt + completion
    document["cost"] = nanos_to_usd_number(cost)
    return document


def _delta_bytes(delta: dict[str, Any]) -> int:
    size = 0
    for key in ("content", "reasoning", "refusal"):
        value = delta.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    if delta.get("tool_calls"):
        size += len(orjson.dumps(delta["tool_calls"]))
    return size


def _completion_bytes(choices: list[Any]) -> int:
    size = 0
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            size += _delta_bytes(message)
    return size


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
