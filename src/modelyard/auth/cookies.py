"""The browser's side of a session: httpOnly cookies for the tokens, and a double-submit CSRF token."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from modelyard.auth.sessions import Issued
from modelyard.errors import AppError
from modelyard.kit.clock import utcnow
from modelyard.kit.secrets import constant_time_equals

ACCESS = "my_access"
REFRESH = "my_refresh"
CSRF = "my_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto")
    return (forwarded or request.url.scheme) == "https"


def set_session(request: Request, response: Response, issued: Issued) -> None:
    now = utcnow()
    secure = _secure(request)
    access_age = max(1, int((issued.access.expires_at - now).total_seconds()))
    refresh_age = max(1, int((issued.refresh_expires_at - now).total_seconds()))
    response.set_cookie(
        ACCESS,
        issued.access_token,
        max_age=access_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    # The refresh token only ever travels to the refresh endpoint.
    response.set_cookie(
        REFRESH,
        issued.refresh_token,
        max_age=refresh_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/api/auth",
    )
    response.set_cookie(
        CSRF,
        secrets.token_urlsafe(24),
        max_age=refresh_age,
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(ACCESS, path="/")
    response.delete_cookie(REFRESH, path="/api/auth")
    response.delete_cookie(CSRF, path="/")


def require_csrf(request: Request) -> None:
    """A cookie-authenticated change must echo the CSRF cookie in a header another site cannot set."""
    cookie = request.cookies.get(CSRF)
    header = request.headers.get(CSRF_HEADER)
    if not cookie or not header or not constant_time_equals(cookie, header):
        raise AppError(
            403,
            "Missing or wrong X-CSRF-Token header (it must equal the my_csrf cookie)",
            metadata={"error_type": "permission_denied"},
        )
