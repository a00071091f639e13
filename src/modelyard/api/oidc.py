"""Sign-in with Google (or the OpenID Connect provider MODELYARD_OIDC_* names), and linking it to an account.

`GET /api/auth/google` sends the browser to the provider; the provider sends it back to
`GET /api/auth/google/callback`, which signs in (the same cookies as a password sign-in) and redirects to the
`next` path the flow started with. A signed-in user links the provider's account to theirs with
`POST /api/auth/google/link` (answers the URL to send the browser to; the flow is bound to the session that
asked, through the flow cookie set on that same response) and unlinks it with `DELETE /api/auth/google/link`.
Everything answers 404 while the client id and secret are unset; `GET /api/auth/options` (public) tells the
web app whether to offer the button, and how sign-up works here.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from modelyard.accounts import service as accounts
from modelyard.api.deps import Caller, CallerDep, GatewayDep, client_ip
from modelyard.auth import cookies, passwords
from modelyard.auth.oidc import (
    FLOW_TTL_SECONDS,
    Flow,
    OidcClient,
    link_for_session,
    safe_error_code,
    sign_in_user,
)
from modelyard.config import Settings
from modelyard.errors import AppError
from modelyard.kit.secrets import constant_time_equals
from modelyard.models import User
from modelyard.state import Gateway

FLOW_COOKIE = "my_oidc"
FLOW_PATH = "/api/auth/google"  # the cookie goes to the callback only (and to a new start, which replaces it)
CALLBACK_PATH = "/api/auth/google/callback"
OPTIONS_PATH = "/api/auth/options"
_MAX_NEXT = 2000


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    next: str | None = Field(default=None, description="Where to go once linked: a path on this site")


class LinkStartOut(BaseModel):
    url: str = Field(description="The provider's sign-in page: send the browser there")


class SignInOptionsOut(BaseModel):
    """What the sign-in and sign-up pages offer; nothing in it is secret."""

    signup_mode: Literal["open", "invite", "closed"] = Field(
        description="open: anyone may sign up; invite: sign-up needs an invite code; closed: no sign-up"
    )
    password_min_length: int
    oidc_enabled: bool = Field(description="Whether `GET /api/auth/google` starts a sign-in")
    oidc_provider_name: str = Field(description="The name to show on its button, such as Google")


def build_router(settings: Settings) -> APIRouter:
    """The provider's routes. The client (with its copy of the provider's documents) is the gateway's
    (`Gateway.oidc`): the site settings may turn sign-in on or off, or change the provider, at runtime.
    `settings` only names the provider in the API's description."""
    if settings.secret_key is None:
        raise ValueError("settings need a secret key: build them with config.load_settings()")
    name = settings.oidc_provider_name
    router = APIRouter(tags=["account"])

    def current(gateway: Gateway) -> tuple[OidcClient | None, str]:
        slot = gateway.oidc
        return (slot.client, slot.provider_name) if slot is not None else (None, name)

    def enabled(gateway: Gateway) -> OidcClient:
        client, provider = current(gateway)
        if client is None:
            raise AppError(
                404,
                f"{provider} sign-in is not enabled on this server (its operator has set no client id and "
                "secret, in the site settings or as MODELYARD_OIDC_CLIENT_ID and "
                "MODELYARD_OIDC_CLIENT_SECRET)",
                metadata={"error_type": "not_enabled"},
            )
        return client

    def redirect_uri(request: Request) -> str:
        if settings.public_url is not None:
            return settings.public_url + CALLBACK_PATH
        return str(request.url_for("oidc_callback"))

    def set_flow_cookie(request: Request, response: Response, oidc: OidcClient, flow: Flow) -> None:
        response.set_cookie(
            FLOW_COOKIE,
            oidc.sealer.seal(flow),
            max_age=FLOW_TTL_SECONDS,
            httponly=True,
            # Lax: the provider's redirect back is a top-level GET from another site, which must carry it.
            samesite="lax",
            secure=_secure(request),
            path=FLOW_PATH,
        )
        response.headers["Cache-Control"] = "no-store"

    @router.get(
        OPTIONS_PATH,
        response_model=SignInOptionsOut,
        summary="How one can sign in and sign up here (public)",
    )
    async def options(gateway: GatewayDep) -> SignInOptionsOut:
        client, provider = current(gateway)
        return SignInOptionsOut(
            signup_mode=gateway.auth.signup_mode,
            password_min_length=passwords.MIN_LENGTH,
            oidc_enabled=client is not None,
            oidc_provider_name=provider,
        )

    @router.get(
        "/api/auth/google",
        status_code=302,
        response_class=RedirectResponse,
        summary=f"Sign in with {name}: redirects to the provider",
    )
    async def start(
        request: Request,
        gateway: GatewayDep,
        next_path: str | None = Query(default=None, alias="next", description="A path on this site"),
    ) -> Response:
        oidc = enabled(gateway)
        url, flow = await oidc.begin(
            gateway.http, redirect_uri=redirect_uri(request), next_path=safe_next(next_path)
        )
        response = RedirectResponse(url, status_code=302)
        set_flow_cookie(request, response, oidc, flow)
        return response

    @router.get(
        CALLBACK_PATH,
        name="oidc_callback",
        status_code=303,
        response_class=RedirectResponse,
        summary=f"Where {name} sends the browser back: signs in (or links) and redirects to `next`",
    )
    async def callback(
        request: Request,
        gateway: GatewayDep,
        code: str | None = Query(default=None, max_length=4096),
        state: str | None = Query(default=None, max_length=512),
        error: str | None = Query(default=None, max_length=512),
    ) -> Response:
        oidc = enabled(gateway)
        try:
            return await _finish(request, gateway, oidc, code=code, state=state, error=error)
        except AppError as exc:
            # A flow is used once, whatever the outcome: the browser starts again with a fresh one.
            exc.headers = {**exc.headers, "set-cookie": _expired_flow_cookie(), "cache-control": "no-store"}
            raise

    async def _finish(
        request: Request,
        gateway: Gateway,
        oidc: OidcClient,
        *,
        code: str | None,
        state: str | None,
        error: str | None,
    ) -> Response:
        sealed = request.cookies.get(FLOW_COOKIE)
        flow = None
        if sealed:
            try:
                flow = oidc.sealer.open(sealed)
            except ValueError:
                flow = None
        if flow is None:
            raise AppError(
                400,
                f"This {oidc.name} sign-in has expired or was started in another browser; start it again",
                metadata={"error_type": "invalid_state"},
            )
        # An error answer should name the state too, but some providers leave it out; without it, it can
        # only end this browser's flow (cleared below), which anyone could do anyway.
        if not (error is not None and state is None) and (
            not state or not constant_time_equals(state, flow.state)
        ):
            raise AppError(
                400,
                f"This {oidc.name} sign-in does not match the one this browser started (wrong state); "
                "start again",
                metadata={"error_type": "invalid_state"},
            )
        if error is not None:
            reason = safe_error_code(error)
            raise AppError(
                401 if reason == "access_denied" else 400,
                f"{oidc.name} sign-in did not complete ({reason})",
                metadata={"error_type": "authentication", "provider_error": reason},
            )
        if not code:
            raise AppError(
                400, f"{oidc.name} sent no authorization code back", metadata={"error_type": "authentication"}
            )
        identity = await oidc.finish(gateway.http, flow, code)
        auth = gateway.auth
        issued = None
        try:
            async with gateway.sessions() as db, db.begin():
                if flow.link_user_id is not None and flow.link_session_id is not None:
                    await link_for_session(
                        db,
                        identity,
                        user_id=flow.link_user_id,
                        session_id=flow.link_session_id,
                        provider_name=oidc.name,
                    )
                else:
                    user, _ = await sign_in_user(
                        db, identity, config=oidc.config, signup_mode=auth.signup_mode
                    )
                    issued = await auth.sessions.start(
                        db,
                        user,
                        method="google",
                        user_agent=request.headers.get("user-agent"),
                        ip=client_ip(request),
                    )
        except IntegrityError:  # two callbacks for the same new account at once
            raise AppError(
                409, f"This {oidc.name} account was just linked or created; sign in again"
            ) from None
        response = RedirectResponse(flow.next_path, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
        if issued is not None:
            cookies.set_session(request, response, issued)
        return response

    @router.post(
        "/api/auth/google/link",
        response_model=LinkStartOut,
        summary=f"Start linking a {name} account to this one: answers the URL to open",
    )
    async def start_link(
        request: Request,
        response: Response,
        caller: CallerDep,
        gateway: GatewayDep,
        body: LinkIn | None = None,
    ) -> LinkStartOut:
        oidc = enabled(gateway)
        session_id = _session_of(caller)
        async with gateway.sessions() as db:
            user = await db.get(User, caller.user_id)
        if user is None:
            raise AppError(401, "This account no longer exists", metadata={"error_type": "authentication"})
        if user.google_id is not None:
            raise AppError(
                409,
                f"A {oidc.name} account is already linked to this account; unlink it first",
                metadata={"error_type": "conflict"},
            )
        url, flow = await oidc.begin(
            gateway.http,
            redirect_uri=redirect_uri(request),
            next_path=safe_next(body.next if body is not None else None),
            link_user_id=caller.user_id,
            link_session_id=session_id,
        )
        set_flow_cookie(request, response, oidc, flow)
        return LinkStartOut(url=url)

    @router.delete("/api/auth/google/link", status_code=204, summary=f"Unlink the {name} account")
    async def unlink(caller: CallerDep, gateway: GatewayDep) -> Response:
        oidc = enabled(gateway)
        _session_of(caller)
        try:
            async with gateway.sessions() as db, db.begin():
                user = await db.get(User, caller.user_id, with_for_update=True)
                if user is None:
                    raise AppError(
                        401, "This account no longer exists", metadata={"error_type": "authentication"}
                    )
                await accounts.unlink_google(db, user)
        except accounts.GoogleNotLinked:
            raise AppError(404, f"No {oidc.name} account is linked to this account") from None
        except accounts.AccountError as exc:
            raise AppError(400, str(exc), metadata={"field": exc.field}) from None
        return Response(status_code=204)

    return router


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site (an open redirect)."""
    if value is None or value == "":
        return "/"
    if (
        len(value) > _MAX_NEXT
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value)
    ):
        raise AppError(400, "next must be a path on this site, such as /settings", metadata={"field": "next"})
    return value


def _session_of(caller: Caller) -> str:
    # An API key can call the model APIs; it must not be enough to attach someone's sign-in to the account.
    if caller.session_id is None:
        raise AppError(
            403,
            "Signed in with an API key: linking sign-in accounts needs a signed-in session",
            metadata={"error_type": "permission_denied"},
        )
    return caller.session_id


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto")
    return (forwarded or request.url.scheme) == "https"


def _expired_flow_cookie() -> str:
    response = Response()
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response.headers["set-cookie"]
