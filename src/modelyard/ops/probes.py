"""Operations endpoints: `/healthz` (the process answers), `/readyz` (it can serve: the database and, when
configured, Redis answer) and `/metrics` (Prometheus; needs a bearer token when MODELYARD_METRICS_TOKEN is
set)."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable

import orjson
from pydantic import SecretStr
from sqlalchemy import func, select, text
from starlette.requests import Request
from starlette.responses import Response

from modelyard.models import Hold
from modelyard.ops.metrics import CONTENT_TYPE, Metrics
from modelyard.state import Gateway

Endpoint = Callable[[Request], Awaitable[Response]]
CHECK_TIMEOUT_SECONDS = 2.0
GatewayOf = Callable[[Request], Gateway]


def readiness(gateway: GatewayOf) -> Endpoint:
    async def ready(request: Request) -> Response:
        state = gateway(request)
        checks: dict[str, str] = {}

        async def database() -> None:
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        async def redis() -> None:
            if state.redis is not None:
                await state.redis.ping()

        for name, check in (("database", database), ("redis", redis)):
            if name == "redis" and state.redis is None:
                checks[name] = "not configured"
                continue
            try:
                await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
                checks[name] = "ok"
            except Exception as exc:  # any failure means not ready; say which
                checks[name] = f"failed: {type(exc).__name__}"
        ok = all(value in ("ok", "not configured") for value in checks.values())
        body = {"status": "ok" if ok else "unavailable", "checks": checks}
        return Response(orjson.dumps(body), status_code=200 if ok else 503, media_type="application/json")

    return ready


def metrics_endpoint(metrics: Metrics, gateway: GatewayOf, token: SecretStr | None) -> Endpoint:
    expected = f"Bearer {token.get_secret_value()}".encode() if token is not None else None

    async def scrape(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                body = {
                    "error": {"code": 401, "message": "Send the metrics token: Authorization: Bearer <token>"}
                }
                return Response(orjson.dumps(body), status_code=401, media_type="application/json")
        state = gateway(request)

        async def holds() -> tuple[int, int]:
            async with state.sessions() as session:
                count, total = (
                    await session.execute(select(func.count(Hold.id), func.sum(Hold.amount_nanos)))
                ).one()
            return int(count or 0), int(total or 0)

        return Response(await metrics.render(holds), media_type=CONTENT_TYPE)

    return scrape
