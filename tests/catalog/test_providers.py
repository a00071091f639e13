"""Catalogue providers: seeded with the package, administered over the API, named by channels, shown in
`/api/v1/providers` and each model's endpoints, together with an endpoint's own limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from modelyard.catalog.providers import bundled_providers
from tests.conftest import Cli, Env, Server
from tests.fakes.openai_upstream import FakeOpenAIUpstream


@dataclass
class Admin:
    url: str
    key: str
    upstream_url: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def admin(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Admin]:
    server = server_factory(env)  # the first start seeds the catalogue and its providers
    cli("users", "create", "providers-admin@example.com", "--password", "correct-horse-battery", "--admin")
    key = cli("keys", "create", "providers-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    yield Admin(server.url, key, upstream.base_url)


def public_providers(admin: Admin) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{admin.url}/api/v1/providers", timeout=30)
    assert response.status_code == 200
    return {p["slug"]: p for p in response.json()["data"]}


def test_shipped_providers_are_listed_with_their_links(admin: Admin) -> None:
    listed = public_providers(admin)
    shipped = bundled_providers()
    assert len(shipped) >= 10
    for entry in shipped:
        assert listed[entry["slug"]]["name"] == entry["name"]
        assert listed[entry["slug"]]["privacy_policy_url"] == entry["privacy_policy_url"]
        assert listed[entry["slug"]]["status_page_url"] == entry["status_page_url"]


def test_a_channel_named_after_a_provider_shows_it_on_endpoints_with_its_limits(admin: Admin) -> None:
    created = admin.call(
        "POST",
        "/api/admin/providers",
        json={"slug": "acme-gpu", "name": "Acme GPU Cloud", "headquarters": "DE",
              "privacy_policy_url": "https://acme.example/privacy"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert public_providers(admin)["acme-gpu"]["privacy_policy_url"] == "https://acme.example/privacy"

    channel = admin.call(
        "POST",
        "/api/admin/channels",
        json={"name": "acme-eu", "provider": "openai", "base_url": admin.upstream_url, "api_key": "sk-x",
              "models": [{"slug": "openai/gpt-4o"}], "provider_slug": "acme-gpu"},
    )  # fmt: skip
    assert channel.status_code == 201, channel.text
    assert channel.json()["provider_slug"] == "acme-gpu"
    limits = admin.call(
        "PATCH",
        f"/api/admin/models/openai/gpt-4o/endpoints/{channel.json()['id']}",
        json={"limits": {"context_length": 32_000, "max_completion_tokens": 4_000}},
    )
    assert limits.status_code == 200, limits.text
    assert limits.json()["limits"] == {"context_length": 32_000, "max_completion_tokens": 4_000}

    endpoints = httpx.get(f"{admin.url}/api/v1/models/openai/gpt-4o/endpoints", timeout=30).json()["data"]
    (endpoint,) = endpoints["endpoints"]
    assert endpoint["provider_name"] == "Acme GPU Cloud"
    assert endpoint["tag"] == "acme-gpu/acme-eu"
    assert endpoint["context_length"] == 32_000 and endpoint["max_completion_tokens"] == 4_000
    served = httpx.get(f"{admin.url}/api/v1/models", params={"providers": "acme-gpu"}, timeout=30)
    assert [m["id"] for m in served.json()["data"]] == ["openai/gpt-4o"]

    renamed = admin.call("PATCH", "/api/admin/providers/acme-gpu", json={"name": "Acme Cloud"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Acme Cloud"
    endpoints = httpx.get(f"{admin.url}/api/v1/models/openai/gpt-4o/endpoints", timeout=30).json()["data"]
    assert endpoints["endpoints"][0]["provider_name"] == "Acme Cloud"

    in_use = admin.call("DELETE", "/api/admin/providers/acme-gpu")
    assert in_use.status_code == 409 and "acme-eu" in in_use.json()["error"]["message"]
    cleared = admin.call("PATCH", f"/api/admin/channels/{channel.json()['id']}", json={"provider_slug": None})
    assert cleared.status_code == 200 and cleared.json()["provider_slug"] is None
    assert admin.call("DELETE", "/api/admin/providers/acme-gpu").status_code == 204
    listed = public_providers(admin)
    assert "acme-gpu" not in listed
    assert listed["acme-eu"]["name"] == "acme-eu"  # a channel naming no provider stands for itself


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("POST", "/api/admin/providers", {"slug": "Bad Slug", "name": "x"}, 400, "slug"),
        ("POST", "/api/admin/providers", {"slug": "openai", "name": "again"}, 409, "already exists"),
        (
            "POST",
            "/api/admin/providers",
            {"slug": "ok", "name": "x", "status_page_url": "ftp://x"},
            400,
            "URL",
        ),
        ("POST", "/api/admin/providers", {"slug": "ok", "name": "x", "headquarters": "Germany"}, 400, "ISO"),
        ("PATCH", "/api/admin/providers/nobody", {"name": "x"}, 404, "no provider"),
        ("DELETE", "/api/admin/providers/nobody", None, 404, "no provider"),
    ],
)
def test_bad_provider_changes_are_refused(
    admin: Admin, method: str, path: str, body: dict[str, Any] | None, status: int, words: str
) -> None:
    response = admin.call(method, path, json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


def test_a_channel_cannot_name_an_unknown_provider_nor_an_endpoint_a_bad_limit(admin: Admin) -> None:
    channel = admin.call(
        "POST",
        "/api/admin/channels",
        json={"name": "ghost", "provider": "openai", "base_url": admin.upstream_url, "api_key": "sk-x",
              "models": [{"slug": "openai/gpt-4o-mini"}], "provider_slug": "nobody-here"},
    )  # fmt: skip
    assert channel.status_code == 400 and "unknown provider" in channel.json()["error"]["message"]
    listed = admin.call("GET", "/api/admin/channels").json()
    assert "ghost" not in [c["name"] for c in listed]
    real = next(c for c in listed if c["name"] == "acme-eu")
    bad = admin.call(
        "PATCH",
        f"/api/admin/models/openai/gpt-4o/endpoints/{real['id']}",
        json={"limits": {"context_length": 0}},
    )
    assert bad.status_code == 400 and "context_length" in bad.json()["error"]["message"]
    non_admin = httpx.get(f"{admin.url}/api/admin/providers", timeout=30)
    assert non_admin.status_code == 401
