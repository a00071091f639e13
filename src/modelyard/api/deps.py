"""Dependencies of the account APIs: the shared gateway state and who is calling.

A caller is an API key (`Authorization: Bearer sk-my-v1-…`), an access token (`Authorization: Bearer <JWT>`)
or the browser's session cookie; a cookie-authenticated change must carry the CSRF header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from modelyard.audit.trail import STATE_ACTOR
from modelyard.auth import cookies
from modelyard.auth.sessions import SessionError
from modelyard.auth.tokens import TokenError
from modelyard.errors import AppError
from modelyard.kit.secrets import looks_like_api_key
from modelyard.models import UserRole
from modelyard.state import Gateway


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    role: str
    key_id: int | None = None  # signed in with an API key
    session_id: str | None = None  # signed in with a session (token or cookie)
    token_id: str | None = None
    is_management_key: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role in (UserRole.ADMIN, UserRole.ROOT)

    @property
    def is_root(self) -> bool:
        return self.role == UserRole.ROOT


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def caller(request: Request, gateway: GatewayDep) -> Caller:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and looks_like_api_key(token):
            principal = await gateway.chat.authenticate(request)
            return Caller(
                user_id=principal.user_id,
                role=principal.role,
                key_id=principal.key_id,
                is_management_key=principal.is_management,
            )
        if scheme.lower() != "bearer" or not token:
            raise AppError(401, "Authorization header must be `Bearer <API key or access token>`")
        return await _session_caller(gateway, token)
    cookie = request.cookies.get(cookies.ACCESS)
    if cookie is None:
        raise AppError(
            401,
            "Sign in, or send `Authorization: Bearer <API key or access token>`",
            metadata={"error_type": "authentication"},
        )
    if request.method in cookies.UNSAFE_METHODS:
        cookies.require_csrf(request)
    return await _session_caller(gateway, cookie)


async def _session_caller(gateway: Gateway, token: str) -> Caller:
    auth = gateway.auth
    try:
        claims = auth.sessions.signer.verify(token)
        async with gateway.sessions() as db:
            await auth.sessions.check(db, claims)
    except (TokenError, SessionError) as exc:
        raise AppError(401, str(exc), metadata={"error_type": "authentication"}) from None
    principal_role = claims.role
    return Caller(
        user_id=claims.user_id, role=principal_role, session_id=claims.session_id, token_id=claims.token_id
    )


CallerDep = Annotated[Caller, Depends(caller)]
# The older name the account APIs use: any signed-in caller, by key or by session.
ApiKeyPrincipal = CallerDep


async def admin_principal(principal: CallerDep, request: Request) -> Caller:
    if not principal.is_admin:
        raise AppError(403, "Only administrators can do this", metadata={"error_type": "permission_denied"})
    # The audit trail (audit/trail.py) records admin changes by whoever this dependency accepted.
    setattr(request.state, STATE_ACTOR, principal.user_id)
    return principal


AdminPrincipal = Annotated[Caller, Depends(admin_principal)]
