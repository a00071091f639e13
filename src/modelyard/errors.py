"""Errors users see, in OpenRouter's shape: {"error": {"code": <HTTP status>, "message", "metadata"}}."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException


class AppError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        metadata: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.metadata = metadata
        self.headers = headers or {}


def bad_request(message: str, **metadata: Any) -> AppError:
    return AppError(400, message, metadata=metadata or None)


def error_body(status: int, message: str, metadata: dict[str, Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": status, "message": message}
    if metadata:
        error["metadata"] = metadata
    return orjson.dumps({"error": error})


def error_response(error: AppError) -> Response:
    return Response(
        error_body(error.status, error.message, error.metadata),
        status_code=error.status,
        media_type="application/json",
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        return error_response(exc)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        return error_response(AppError(exc.status_code, message, headers=dict(exc.headers or {})))

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors():
            location = ".".join(str(part) for part in err.get("loc", ()) if part not in ("body", "query"))
            problems.append(f"{location}: {err.get('msg')}" if location else str(err.get("msg")))
        return error_response(AppError(400, "Invalid request: " + "; ".join(problems)))

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        # Masked on purpose: internals (and any secret in them) never reach the client.
        return error_response(AppError(500, "Internal server error"))

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
