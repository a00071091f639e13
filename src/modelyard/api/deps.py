"""Dependencies of the account APIs: the shared gateway state and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelyard.errors import AppError
from modelyard.relay.cache import KeyPrincipal
from modelyard.state import Gateway


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def api_key_principal(request: Request, gateway: GatewayDep) -> KeyPrincipal:
    """The owner of the API key in `Authorization: Bearer`. (Web sessions come with the accounts issue.)"""
    return await gateway.chat.authenticate(request)


ApiKeyPrincipal = Annotated[KeyPrincipal, Depends(api_key_principal)]


async def admin_principal(principal: ApiKeyPrincipal) -> KeyPrincipal:
    if not principal.is_admin:
        raise AppError(403, "Only administrators can do this", metadata={"error_type": "permission_denied"})
    return principal


AdminPrincipal = Annotated[KeyPrincipal, Depends(admin_principal)]
