"""The audit trail of administrators' changes. An ASGI middleware watches every changing request (POST, PUT,
PATCH, DELETE) under /api/admin/: when the administrator dependency accepted the caller and the answer was a
success, it appends who did it, the operation's route, the path and the body with every secret removed.

A middleware rather than a call in each endpoint, so a new admin endpoint is audited without anyone having to
remember it. The row is written after the change committed, in its own transaction: if the database fails
between the two, the change stands unaudited and the failure is logged (the change is never undone for it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelyard.kit.clock import utcnow
from modelyard.models import AdminAudit

log = logging.getLogger(__name__)

PREFIX = "/api/admin/"
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_BODY = 64 * 1024
# Field names whose values never reach the trail (matched as substrings, case-insensitively).
SECRET_WORDS = ("key", "password", "secret", "token", "authorization", "header", "credential")
REDACTED = "[redacted]"
STATE_ACTOR = "audit_actor"  # request.state attribute the admin dependency sets


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: REDACTED if any(word in name.lower() for word in SECRET_WORDS) else redact(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


class AuditTrail:
    def __init__(self, app: ASGIApp, sessions: Callable[[], async_sessionmaker[AsyncSession] | None]) -> None:
        self.app = app
        self._sessions = sessions  # read late: the database exists only once the lifespan has started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        status = 0

        async def recording_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size <= MAX_BODY:
                body = message.get("body", b"")
                size += len(body)
                chunks.append(body)
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, recording_receive, recording_send)
        actor = scope.get("state", {}).get(STATE_ACTOR)
        if actor is None or not 200 <= status < 300:
            return
        template: str = getattr(scope.get("route"), "path", None) or scope["path"]
        await self._write(
            {
                "actor_user_id": actor,
                "method": scope["method"],
                "route": template[:200],
                "path": scope["path"][:500],
                "body": _body(b"".join(chunks), size),
                "status": status,
                "created_at": utcnow(),
            }
        )

    async def _write(self, row: dict[str, Any]) -> None:
        sessions = self._sessions()
        if sessions is None:
            return
        try:
            async with sessions() as session, session.begin():
                await session.execute(insert(AdminAudit), [row])
        except Exception:
            log.exception("could not write the audit row of %s %s", row["method"], row["path"])


def _body(raw: bytes, size: int) -> Any:
    if not raw:
        return None
    if size > MAX_BODY:
        return {"note": f"body of {size} bytes not kept"}
    try:
        return redact(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return {"note": "body was not JSON"}
