"""The web app's playground: chat with any model through the signed-in user's session. The page never holds
an API key; the request is relayed exactly as `/v1/chat/completions` would relay it (streaming, routing,
failover, holds and charges) under the user's playground key, so it shows in activity and keys like any
other."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from modelyard.api import relay_docs
from modelyard.api.deps import CallerDep, GatewayDep
from modelyard.api.openapi import SESSION_ONLY, errors
from modelyard.errors import AppError
from modelyard.keys import service as keys

router = APIRouter(tags=["account"])


@router.post(
    "/api/playground/chat/completions",
    summary="Chat from the web app's playground (session only)",
    responses={
        **relay_docs.answers(relay_docs.ChatCompletion, stream=True),
        **errors(403, s403="Not a browser session (an API key): programs call /v1/chat/completions"),
    },
    openapi_extra={"security": SESSION_ONLY, "requestBody": relay_docs.CHAT_BODY},
)
async def playground_chat(request: Request, caller: CallerDep, gateway: GatewayDep) -> Response:
    """Takes the body of `POST /v1/chat/completions`. Programs call that endpoint with their own key."""
    if caller.session_id is None:
        raise AppError(
            403,
            "The playground is for signed-in browser sessions; programs call /v1/chat/completions with a key",
            metadata={"error_type": "permission_denied"},
        )
    async with gateway.sessions() as session, session.begin():
        key = await keys.playground_key(session, caller.user_id)
        key_hash = key.key_hash
    principal = await gateway.chat.cached_principal(key_hash)
    return await gateway.chat.handle_chat_as(request, principal)
