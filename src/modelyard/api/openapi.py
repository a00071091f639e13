"""The OpenAPI document behind `/openapi.json` and `/docs`.

FastAPI describes the routers; the relay, catalogue and operations endpoints are plain Starlette routes, so
never-mounted stand-ins describe them (catalog_docs.py, relay_docs.py). Then `finish` adds what FastAPI cannot
infer from this code base:

- who may call each operation, read from the route's own dependencies (`deps.caller`, `deps.admin_principal`),
  so a route added later is described correctly without anyone remembering to;
- the errors, in the API's one shape (errors.py). A request that fails validation answers 400 here, not
  FastAPI's 422 (`install_error_handlers`), so the 422 FastAPI documents is replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, routing
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from modelyard.api import deps
from modelyard.auth import cookies

OPENAI = "OpenAI-compatible"
OPENROUTER = "OpenRouter-compatible"
ACCOUNT = "account"
ADMIN = "admin"
OPERATIONS = "operations"

TAGS: list[dict[str, Any]] = [
    {
        "name": OPENAI,
        "description": "The OpenAI API under `/v1`: point an OpenAI SDK at `https://<host>/v1` with a "
        "Modelyard API key. Chat completions, legacy completions, embeddings and the model list; "
        "OpenRouter's request extensions (`models`, `provider`, `reasoning`, ...) are accepted here too.",
    },
    {
        "name": OPENROUTER,
        "description": "OpenRouter's API under `/api/v1`: the same relay as `/v1`, the model catalogue "
        "(public), generations, credits, activity and key management with management keys.",
    },
    {
        "name": ACCOUNT,
        "description": "Your account, as the web app uses it: sign-up and sign-in, sessions, profile, "
        "balance and transactions, alerts, API keys, activity, routing preference, the playground. Call it "
        "with an API key, an access token, or the session cookie (changes then need the `X-CSRF-Token` "
        "header).",
    },
    {
        "name": ADMIN,
        "description": "Administration, for administrators only: users, credits, redemption codes, "
        "invites, channels and providers, prices and markups, catalogue sync, site settings, audit log.",
    },
    {
        "name": OPERATIONS,
        "description": "Probes and metrics for orchestrators and Prometheus: liveness, readiness "
        "(database and Redis), metrics.",
    },
]
TAG_NAMES = frozenset(tag["name"] for tag in TAGS)

KEY_SCHEME = "apiKey"
ACCESS_SCHEME = "accessToken"
COOKIE_SCHEME = "sessionCookie"
CSRF_SCHEME = "csrfToken"
METRICS_SCHEME = "metricsToken"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    KEY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sk-my-v1-…",
        "description": "An API key (`Authorization: Bearer sk-my-v1-…`), made on the web app's Keys page, "
        "with `POST /api/keys` or `modelyard keys create`. The only credential the relay accepts. A "
        "management key administers keys (`/api/v1/keys`) and cannot call models.",
    },
    ACCESS_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /api/auth/login` (or `/signup`, `/refresh`): valid 15 "
        "minutes; renew it with the refresh token at `POST /api/auth/refresh`.",
    },
    COOKIE_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": cookies.ACCESS,
        "description": "The web app's session: the httpOnly cookie sign-in sets. POST, PUT, PATCH and DELETE "
        "made with it also need the CSRF header.",
    },
    CSRF_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": f"The value of the readable `{cookies.CSRF}` cookie, echoed on every change made with "
        "the session cookie (double submit).",
    },
    METRICS_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "`MODELYARD_METRICS_TOKEN`, when the deployment sets one.",
    },
}

Security = list[dict[str, list[str]]]
KEY_ONLY: Security = [{KEY_SCHEME: []}]
SESSION_ONLY: Security = [{ACCESS_SCHEME: []}, {COOKIE_SCHEME: [], CSRF_SCHEME: []}]


def any_caller(method: str) -> Security:
    """What `deps.caller` accepts: an API key, an access token, or the session cookie (+ CSRF on changes)."""
    cookie: dict[str, list[str]] = {COOKIE_SCHEME: []}
    if method.upper() in cookies.UNSAFE_METHODS:
        cookie[CSRF_SCHEME] = []
    return [{KEY_SCHEME: []}, {ACCESS_SCHEME: []}, cookie]


class ErrorDetail(BaseModel):
    code: int = Field(description="The HTTP status, as an integer")
    message: str = Field(description="What went wrong, for people; names the field at fault where one is")
    metadata: dict[str, Any] | None = Field(
        default=None,
        description="Present when there is more to say: `error_type` (OpenRouter's vocabulary, e.g. "
        "`invalid_request`, `authentication`, `payment_required`, `permission_denied`, `not_found`, "
        "`rate_limit_exceeded`, `provider_unavailable`), `field`, `model`, `provider_name`, "
        "`previous_errors`, `availability`.",
    )


class ErrorResponse(BaseModel):
    """Every error this API answers, whatever the endpoint: the HTTP status is `error.code`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": 402,
                        "message": "Insufficient credits. This request can cost up to $0.012 and $0.003 is "
                        "available; add credits or lower max_tokens.",
                        "metadata": {"error_type": "payment_required"},
                    }
                }
            ]
        }
    )
    error: ErrorDetail


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request is not valid: the message (and `metadata.field`, where there is one) names the field",
    401: "No credential, or one that is unknown, disabled, expired or revoked",
    402: "Not enough credit for the most this request can cost (or the key's credit limit is reached)",
    403: "Not allowed for this caller",
    404: "No such resource",
    409: "Conflicts with the current state (already exists, already used)",
    413: "The request body is too large",
    429: "Too many requests; `Retry-After` says when to try again",
    500: "Internal server error (the message is masked)",
    502: "The upstream provider failed or answered something unusable",
    503: "Temporarily unavailable; `Retry-After` says when to try again where known",
    504: "The upstream provider did not answer in time",
}
_VALIDATION = "The request is not valid: the message names each field at fault"
_NOT_ADMIN = "The caller is not an administrator"
_NO_CSRF = "Made with the session cookie but without the matching `X-CSRF-Token` header"
_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these statuses in the API's error shape; `described` overrides a description by
    status (`s404="No such key"`)."""
    return {
        status: {
            "model": ErrorResponse,
            "description": described.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
        }
        for status in statuses
    }


def build(
    app: FastAPI, stand_ins: Iterable[BaseRoute], extra_models: Iterable[type[BaseModel]] = ()
) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=[*app.routes, *stand_ins],
        tags=app.openapi_tags,
    )
    finish(document, app.routes, extra_models)
    return document


def finish(
    document: dict[str, Any], routes: Sequence[BaseRoute], extra_models: Iterable[type[BaseModel]] = ()
) -> None:
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    add_schema(document, ErrorResponse)
    for model in extra_models:
        add_schema(document, model)
    guards = _guards(routes)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            guard = guards.get((method.upper(), path))
            if guard is not None and "security" not in operation:
                operation["security"] = any_caller(method)
            _describe_errors(operation, method.upper(), is_admin=guard == ADMIN)
    schemas = components.get("schemas", {})
    text = repr(document["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas and f"/{name}'" not in text:
            del schemas[name]


def add_schema(document: dict[str, Any], model: type[BaseModel]) -> None:
    """Puts a model (and the models it uses) in components.schemas, for what only a description refers to."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    schemas = document["components"].setdefault("schemas", {})
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, schema)


def _guards(routes: Sequence[BaseRoute]) -> dict[tuple[str, str], str]:
    """(method, path) -> ACCOUNT for the routes that need a caller, ADMIN for those that need an admin."""
    found: dict[tuple[str, str], str] = {}
    for context in routing.iter_route_contexts(routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        calls = set(_dependency_calls(context.original_route.dependant))
        guard = ADMIN if deps.admin_principal in calls else ACCOUNT if deps.caller in calls else None
        if guard is None or context.path_format is None:
            continue
        for method in context.methods or ():
            found[(method, context.path_format)] = guard
    return found


def _dependency_calls(dependant: Any) -> Iterable[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


def _describe_errors(operation: dict[str, Any], method: str, *, is_admin: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
    if responses.pop("422", None) is not None or takes_input:
        responses.setdefault("400", {"description": _VALIDATION})
    security = operation.get("security") or []
    if security:
        responses.setdefault("401", {"description": ERROR_DESCRIPTIONS[401]})
    refusals = []
    if is_admin:
        refusals.append(_NOT_ADMIN)
    if method in cookies.UNSAFE_METHODS and any(CSRF_SCHEME in option for option in security):
        refusals.append(_NO_CSRF)
    if refusals:
        forbidden = responses.setdefault("403", {})
        described = forbidden.get("description") or ""
        added = [refusal for refusal in refusals if refusal not in described]
        forbidden["description"] = "; ".join([described, *added] if described else added)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        responses.setdefault("404", {"description": ERROR_DESCRIPTIONS[404]})
    responses.setdefault("500", {"description": ERROR_DESCRIPTIONS[500]})
    for status, response in responses.items():
        if int(status) < 400:
            continue
        # Errors are JSON whatever the endpoint's own media type (FastAPI copies a route's response class).
        media = response.get("content", {}).get("application/json", {})
        if not media.get("schema"):
            media["schema"] = dict(_ERROR_REF)
        response["content"] = {"application/json": media}
        if not response.get("description"):
            response["description"] = ERROR_DESCRIPTIONS.get(int(status), "Error")
