"""Sign-up, sign-in with a password, token refresh, sign-out, and the caller's sessions.

Browsers get the tokens as httpOnly cookies (plus a readable CSRF cookie whose value must come back in the
`X-CSRF-Token` header of every cookie-authenticated change); programs read them from the JSON body and send
the access token as `Authorization: Bearer`.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from modelyard.accounts import service as accounts
from modelyard.api.deps import CallerDep, GatewayDep, client_ip
from modelyard.api.openapi import errors
from modelyard.auth import cookies
from modelyard.auth.sessions import Issued, SessionError
from modelyard.errors import AppError, error_response
from modelyard.models import User

router = APIRouter(tags=["account"])


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "ada@example.com", "password": "correct-horse-battery"}]},
    )
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class SignupIn(LoginIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "ada@example.com", "password": "correct-horse-battery", "display_name": "Ada"},
                {"email": "ada@example.com", "password": "correct-horse-battery", "invite_code": "A1B2C3D4"},
            ]
        }
    )
    invite_code: str | None = Field(default=None, description="Required when sign-up is invite-only")
    display_name: str | None = Field(default=None, max_length=200)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str | None = Field(default=None, description="Omit to use the refresh cookie")


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str | None
    role: str
    has_password: bool
    google_linked: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            has_password=bool(user.password_hash),
            google_linked=user.google_id is not None,
        )


class TokensOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
                    "token_type": "Bearer",
                    "expires_at": "2026-06-01T12:15:00Z",
                    "refresh_token": "myr_3f9c2a.1.Qm9vdHN0cmFwU2VjcmV0",
                    "refresh_expires_at": "2026-07-01T12:00:00Z",
                    "session_id": "3f9c2a",
                    "user": {
                        "id": 42,
                        "email": "ada@example.com",
                        "display_name": "Ada",
                        "role": "user",
                        "has_password": True,
                        "google_linked": False,
                    },
                }
            ]
        }
    )
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str
    user: UserOut


class SessionOut(BaseModel):
    id: str
    method: str
    user_agent: str | None
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


def _tokens(request: Request, response: Response, issued: Issued, user: User) -> TokensOut:
    cookies.set_session(request, response, issued)
    return TokensOut(
        access_token=issued.access_token,
        expires_at=issued.access.expires_at,
        refresh_token=issued.refresh_token,
        refresh_expires_at=issued.refresh_expires_at,
        session_id=issued.session.id,
        user=UserOut.of(user),
    )


@router.post(
    "/api/auth/signup",
    response_model=TokensOut,
    status_code=201,
    summary="Create an account",
    responses=errors(
        403,
        409,
        s403="Sign-up is closed, or needs a valid invite code",
        s409="An account with this email already exists",
    ),
)
async def signup(body: SignupIn, request: Request, response: Response, gateway: GatewayDep) -> TokensOut:
    auth = gateway.auth
    try:
        async with gateway.sessions() as db, db.begin():
            user = await accounts.sign_up(
                db,
                body.email,
                body.password,
                mode=auth.signup_mode,
                invite_code=body.invite_code,
                display_name=body.display_name,
            )
            issued = await auth.sessions.start(
                db,
                user,
                method="password",
                user_agent=request.headers.get("user-agent"),
                ip=client_ip(request),
            )
    except accounts.SignupClosed as exc:
        raise AppError(403, str(exc), metadata={"error_type": "permission_denied"}) from None
    except accounts.AccountError as exc:
        raise AppError(
            409 if "already" in str(exc) else 400, str(exc), metadata={"field": exc.field}
        ) from None
    return _tokens(request, response, issued, user)


@router.post(
    "/api/auth/login",
    response_model=TokensOut,
    summary="Sign in with email and password",
    responses=errors(
        401,
        429,
        s401="Wrong email or password",
        s429="Too many failed sign-ins for this account or address; `Retry-After` says when to try again",
    ),
)
async def login(body: LoginIn, request: Request, response: Response, gateway: GatewayDep) -> TokensOut:
    auth = gateway.auth
    ip = client_ip(request)
    email = body.email.strip().lower()
    # Counted before the password is checked, so parallel guesses cannot slip past the limit.
    await auth.login_attempt(email, ip)
    async with gateway.sessions() as db, db.begin():
        user = await accounts.authenticate(db, email, body.password)
        if user is None:
            raise AppError(401, "Wrong email or password", metadata={"error_type": "authentication"})
        issued = await auth.sessions.start(
            db, user, method="password", user_agent=request.headers.get("user-agent"), ip=ip
        )
    await auth.login_succeeded(email, ip)
    return _tokens(request, response, issued, user)


@router.post(
    "/api/auth/refresh",
    response_model=TokensOut,
    summary="A new token pair for a refresh token",
    responses=errors(
        401,
        403,
        s401="Refused; the session cookies are cleared",
        s403="The refresh cookie was sent without the matching `X-CSRF-Token` header",
    ),
)
async def refresh(
    body: RefreshIn, request: Request, response: Response, gateway: GatewayDep
) -> TokensOut | Response:
    token = body.refresh_token
    if token is None:
        token = request.cookies.get(cookies.REFRESH)
        if token is None:
            raise AppError(401, "No refresh token: send refresh_token or the refresh cookie")
        cookies.require_csrf(request)
    failure: SessionError | None = None
    async with gateway.sessions() as db, db.begin():
        try:
            issued, user = await gateway.auth.sessions.refresh(db, token)
        except SessionError as exc:
            failure = exc  # leave the block normally: a reuse's revocation must be committed
    if failure is not None:
        refused = error_response(AppError(401, str(failure), metadata={"error_type": "authentication"}))
        cookies.clear_session(refused)
        return refused
    return _tokens(request, response, issued, user)


@router.post("/api/auth/logout", status_code=204, summary="End this session")
async def logout(caller: CallerDep, response: Response, gateway: GatewayDep) -> Response:
    if caller.session_id is None:
        raise AppError(400, "Signed in with an API key: there is no session to end")
    async with gateway.sessions() as db, db.begin():
        await gateway.auth.sessions.revoke(db, caller.user_id, caller.session_id)
    response.status_code = 204
    cookies.clear_session(response)
    return response


@router.post("/api/auth/logout-all", summary="End every session of this account")
async def logout_all(caller: CallerDep, response: Response, gateway: GatewayDep) -> dict[str, int]:
    async with gateway.sessions() as db, db.begin():
        ended = await gateway.auth.sessions.revoke_all(db, caller.user_id)
    cookies.clear_session(response)
    return {"ended": ended}


@router.get("/api/auth/sessions", response_model=list[SessionOut], summary="This account's active sessions")
async def list_sessions(caller: CallerDep, gateway: GatewayDep) -> list[SessionOut]:
    async with gateway.sessions() as db:
        rows = await gateway.auth.sessions.list_for(db, caller.user_id)
    return [
        SessionOut(
            id=row.id,
            method=row.method,
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            current=row.id == caller.session_id,
        )
        for row in rows
    ]


@router.delete("/api/auth/sessions/{session_id}", status_code=204, summary="End one session")
async def revoke_session(session_id: str, caller: CallerDep, gateway: GatewayDep) -> Response:
    async with gateway.sessions() as db, db.begin():
        ended = await gateway.auth.sessions.revoke(db, caller.user_id, session_id)
    if not ended:
        raise AppError(404, "No such active session of yours")
    return Response(status_code=204)


@router.get("/api/auth/me", response_model=UserOut, summary="Who is signed in")
async def me(caller: CallerDep, gateway: GatewayDep) -> UserOut:
    async with gateway.sessions() as db:
        user = await db.get(User, caller.user_id)
    if user is None:
        raise AppError(401, "This account no longer exists")
    return UserOut.of(user)
