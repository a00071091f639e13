"""What the security tests share: accounts made with the CLI and signed in over HTTP, and the routes of the
live OpenAPI document with request bodies that pass validation."""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Cli, query

PASSWORD = "correct-horse-battery"
TIMEOUT = 30.0
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Operations anyone may call: they are how one signs up or in. Sign-in through an external identity
# provider (the redirect to it and its callback) is public too, whatever its exact paths.
PUBLIC = frozenset(
    {
        ("POST", "/api/auth/signup"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("GET", "/api/auth/options"),  # how one signs in here (sign-up mode, Google on or off): no one's data
        ("GET", "/api/v1/rankings"),  # OpenRouter's public rankings: totals over everyone, no one's data
        ("GET", "/api/v1/models/{author}/{slug}/stats"),  # a model's public page: everyone's totals too
        # The catalogue, as OpenRouter serves it: public.
        ("GET", "/api/v1/models"),
        ("GET", "/api/v1/models/count"),
        ("GET", "/api/v1/models/facets"),
        ("GET", "/api/v1/models/{author}/{slug}"),
        ("GET", "/api/v1/model/{author}/{slug}"),
        ("GET", "/api/v1/models/{author}/{slug}/endpoints"),
        ("GET", "/api/v1/providers"),
    }
)
PUBLIC_GET_PATTERN = re.compile(r"^/api/auth/(oidc|google|sso)(/[a-z0-9_-]+)?/?(callback)?$")


# For modules that need no model catalogue: servers and the CLI start faster without importing it.
NO_CATALOG = {"MODELYARD_AUTO_IMPORT_CATALOG": "false"}


def api_client() -> httpx.Client:
    """A program's HTTP client: it keeps no cookies, so every request carries only what it is given."""
    client = httpx.Client(timeout=TIMEOUT)
    client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return client


def unique_email(tag: str) -> str:
    """Emails differ between runs: sign-in failures are counted per email, in Redis when it is shared."""
    return f"{tag}-{secrets.token_hex(4)}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Account:
    email: str
    user_id: int
    access_token: str
    refresh_token: str
    session_id: str
    api_key: str
    password: str = PASSWORD

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.access_token)


def login(url: str, email: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/login", json={"email": email, "password": password}, headers=headers, timeout=TIMEOUT
    )


def make_account(cli: Cli, url: str, tag: str, *flags: str, key_name: str | None = None) -> Account:
    email = unique_email(tag)
    cli("users", "create", email, "--password", PASSWORD, *flags)
    key = cli("keys", "create", email, "--name", key_name or f"{tag}-key").stdout.strip().splitlines()[-1]
    signed_in = login(url, email)
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    return Account(
        email=email,
        user_id=body["user"]["id"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        session_id=body["session_id"],
        api_key=key,
    )


def sign_up(http: httpx.Client, url: str, tag: str) -> Account:
    """A user who signed up over HTTP (the server's sign-up must be open); no API key."""
    email = unique_email(tag)
    response = http.post(f"{url}/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        email=email,
        user_id=body["user"]["id"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        session_id=body["session_id"],
        api_key="",
    )


@contextlib.contextmanager
def cookie_client(url: str, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A browser: signed in, holding the session cookies, sending no CSRF header unless told to."""
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        yield client


def csrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["my_csrf"]}


# --- the live OpenAPI document


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any] = field(hash=False, compare=False)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}:]+)(?::[^}]*)?}", self.path)

    def path_param_type(self, name: str) -> str | None:
        for param in self.spec.get("parameters", []):
            if param.get("in") == "path" and param.get("name") == name:
                kind: str | None = param.get("schema", {}).get("type")
                return kind
        return None

    @property
    def query_params(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == "query"]

    @property
    def is_public(self) -> bool:
        if (self.method, self.path) in PUBLIC:
            return True
        return self.method == "GET" and bool(PUBLIC_GET_PATTERN.match(self.path)) and "link" not in self.path

    @property
    def is_documented_public(self) -> bool:
        """The document names no credential for it (its `security`, read from the route's dependencies)."""
        return not any(self.spec.get("security", []))

    @property
    def takes_session_cookie(self) -> bool:
        return any("sessionCookie" in option for option in self.spec.get("security", []))

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/api/admin/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Api:
    document: dict[str, Any]

    @classmethod
    def load(cls, url: str) -> Api:
        response = httpx.get(f"{url}/openapi.json", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return cls(response.json())

    def operations(self) -> list[Operation]:
        found = []
        for path, item in self.document["paths"].items():
            if not path.startswith("/api/"):
                continue
            for method, spec in item.items():
                if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    found.append(Operation(method.upper(), path, spec))
        return sorted(found, key=lambda op: (op.path, op.method))

    def body_for(self, op: Operation) -> Any:
        """A body that passes the schema's validation (required fields only), or None for no body."""
        content = op.spec.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return None if schema is None else self.sample(schema)

    def sample(self, schema: dict[str, Any], depth: int = 0) -> Any:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return self.sample(self.document["components"]["schemas"][name], depth)
        if depth > 6:
            return None
        for combined in ("anyOf", "oneOf", "allOf"):
            if combined in schema:
                options = [s for s in schema[combined] if s.get("type") != "null"] or schema[combined]
                return self.sample(options[0], depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            properties = schema.get("properties", {})
            return {
                name: self.sample(properties[name], depth + 1)
                for name in schema.get("required", [])
                if name in properties
            }
        if kind == "array":
            return []
        if kind == "boolean":
            return False
        if kind == "integer":
            return max(1, int(schema.get("minimum", 1)))
        if kind == "number":
            return max(1, schema.get("minimum", 1))
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return datetime.now(UTC).isoformat()
            if fmt == "email" or "email" in str(schema.get("title", "")).lower():
                return "someone@example.com"
            return "x" * max(1, int(schema.get("minLength", 1)))
        return None


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: values[m.group(1)], path)


def call(
    http: httpx.Client,
    url: str,
    op: Operation,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    params: Any = None,
) -> httpx.Response:
    return http.request(
        op.method,
        f"{url}{path}",
        headers=headers,
        json=body if op.method in UNSAFE else None,
        params=params,
        timeout=TIMEOUT,
    )


def user_rows(database_url: str, user_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """What a user owns in the database, minus what merely using it changes (last use times)."""
    sessions = query(
        database_url,
        "SELECT id, generation, refresh_hash, revoked_at, expires_at FROM auth_sessions"
        " WHERE user_id = :u ORDER BY id",
        u=user_id,
    )
    user = query(
        database_url,
        "SELECT email, password_hash, display_name, avatar_url, preferences, role, is_active, balance_nanos,"
        " held_nanos, low_balance_threshold_nanos, alert_email, alert_webhook_url, routing_strategy"
        " FROM users WHERE id = :u",
        u=user_id,
    )
    keys = query(
        database_url,
        "SELECT id, name, key_hash, label, is_enabled, expires_at, is_management, limit_nanos,"
        " allowed_models, allowed_ips FROM api_keys WHERE user_id = :u ORDER BY id",
        u=user_id,
    )
    ledger = query(database_url, "SELECT count(*) FROM ledger_entries WHERE user_id = :u", u=user_id)
    return {"user": user, "sessions": sessions, "keys": keys, "ledger": ledger}
