"""Channel administration, complete: several write-only keys used in turn, every field editable (served models
replaced without losing their endpoint prices), validated options with masked header values, probes against
each protocol's fake, and the same through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from modelyard.kit.money import usd_to_nanos
from tests.conftest import Cli, Env, Server, free_port, query
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.azure_upstream import FakeAzureOpenAIUpstream
from tests.fakes.gemini_upstream import FakeGeminiUpstream
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.fakes.server import FakeServer

UPSTREAM_KEY = "sk-upstream-test"  # what the conftest `upstream` fake accepts
ROTATED = ("sk-rotate-first-0123456789abcdef", "sk-rotate-second-0123456789abcdef")
HEADER_SECRET = "hdr-secret-value-0123456789"
WRONG_KEY = "sk-wrong-key-0123456789abcdef"


@dataclass
class Admin:
    server: Server
    admin: str
    user: str
    env: Env
    upstream: FakeOpenAIUpstream  # checks the key: UPSTREAM_KEY
    open_upstream: FakeOpenAIUpstream  # accepts any key, so a rotation through several can be watched

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin}"}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def create(self, name: str, **fields: Any) -> dict[str, Any]:
        body = {
            "name": name,
            "provider": "openai",
            "base_url": self.upstream.base_url,
            "api_key": UPSTREAM_KEY,
            "models": [{"slug": "openai/gpt-4.1"}],
            **fields,
        }
        created = self.call("POST", "/api/admin/channels", json=body)
        assert created.status_code == 201, created.text
        channel: dict[str, Any] = created.json()
        return channel

    def patch(self, channel_id: int, **fields: Any) -> httpx.Response:
        return self.call("PATCH", f"/api/admin/channels/{channel_id}", json=fields)

    def probe(self, channel_id: int, **body: Any) -> httpx.Response:
        return self.call("POST", f"/api/admin/channels/{channel_id}/test", json=body or None)


@pytest.fixture(scope="module")
def admin(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Admin]:
    cli("users", "create", "channels-admin@example.com", "--password", "correct-horse-battery", "--admin")
    key = cli("keys", "create", "channels-admin@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    user = cli.create_user_with_key("channels-user@example.com", "10")
    with FakeOpenAIUpstream(api_key=None) as open_upstream:
        yield Admin(server_factory(env), key, user, env, upstream, open_upstream)


def assert_no_secret(admin: Admin, *texts: str) -> None:
    log = admin.server.log()
    for secret in (*ROTATED, UPSTREAM_KEY, HEADER_SECRET, WRONG_KEY):
        assert secret not in log, f"{secret} in the server log"
        for text in texts:
            assert secret not in text


def test_several_keys_are_write_only_and_used_in_turn(admin: Admin) -> None:
    created = admin.call(
        "POST",
        "/api/admin/channels",
        json={"name": "rotating", "provider": "openai", "base_url": admin.open_upstream.base_url,
              "api_keys": list(ROTATED),
              "models": [{"slug": "openai/gpt-4o-mini", "upstream_name": "gpt-4o-mini"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["key_count"] == 2 and "api_key" not in channel and "api_keys" not in channel
    listed = admin.call("GET", "/api/admin/channels")
    one = admin.call("GET", f"/api/admin/channels/{channel['id']}")
    assert one.json()["key_count"] == 2

    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(4):
        reply = httpx.post(
            f"{admin.server.url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {admin.user}"},
            json=body,
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
    sent = [
        r.headers["authorization"] for r in admin.open_upstream.requests if r.path == "/v1/chat/completions"
    ]
    assert sorted(sent) == sorted([f"Bearer {ROTATED[0]}", f"Bearer {ROTATED[1]}"] * 2)

    probed = admin.probe(channel["id"])
    assert probed.json()["ok"] is True
    assert admin.open_upstream.requests[-1].headers["authorization"] == f"Bearer {ROTATED[0]}"
    assert_no_secret(admin, created.text, listed.text, one.text, probed.text)
    assert admin.call("DELETE", f"/api/admin/channels/{channel['id']}").status_code == 204


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"api_key": "sk-a", "api_keys": ["sk-b"]}, "exactly one of api_key"),
        ({}, "exactly one of api_key"),
        ({"api_keys": []}, "api_keys"),
        ({"api_keys": ["sk-a", "has space"]}, "no spaces"),
        ({"api_keys": [f"sk-{i}" for i in range(33)]}, "api_keys"),
    ],
)
def test_bad_key_lists_are_refused(admin: Admin, keys: dict[str, Any], words: str) -> None:
    body = {"name": "refused", "provider": "openai", "base_url": admin.upstream.base_url,
            "models": [{"slug": "openai/gpt-4.1"}], **keys}  # fmt: skip
    response = admin.call("POST", "/api/admin/channels", json=body)
    assert response.status_code == 400 and words in response.json()["error"]["message"], response.text


def test_every_field_can_be_edited_and_served_models_keep_their_prices(admin: Admin) -> None:
    channel = admin.create(
        "editable",
        models=[{"slug": "openai/gpt-4.1"}, {"slug": "openai/gpt-4.1-mini"}],
        options={"quantization": "fp8"},
    )
    cid = channel["id"]
    priced = admin.call(
        "PATCH", f"/api/admin/models/openai/gpt-4.1/endpoints/{cid}", json={"prices": {"prompt": "7"}}
    )
    assert priced.status_code == 200, priced.text
    (kept_row,) = query(
        admin.env.database_url,
        "SELECT id FROM channel_models WHERE channel_id = :c AND model_slug = 'openai/gpt-4.1'",
        c=cid,
    )

    changes: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        ({"name": "edited"}, lambda c: c["name"] == "edited"),
        ({"base_url": admin.open_upstream.base_url + "/"},
         lambda c: c["base_url"] == admin.open_upstream.base_url),
        ({"priority": 7}, lambda c: c["priority"] == 7),
        ({"weight": 3}, lambda c: c["weight"] == 3),
        ({"is_enabled": False}, lambda c: c["is_enabled"] is False),
        ({"is_enabled": True}, lambda c: c["is_enabled"] is True),
        ({"provider_slug": "deepinfra"}, lambda c: c["provider_slug"] == "deepinfra"),
        ({"provider_slug": None}, lambda c: c["provider_slug"] is None),
        ({"api_keys": list(ROTATED)}, lambda c: c["key_count"] == 2),
        ({"options": {"timeout_seconds": 30, "max_concurrency": 4}},
         lambda c: c["options"] == {"quantization": "fp8", "timeout_seconds": 30, "max_concurrency": 4}),
        ({"options": {"timeout_seconds": None, "quantization": "bf16"}},
         lambda c: c["options"] == {"quantization": "bf16", "max_concurrency": 4}),
        ({"base_url": admin.upstream.base_url, "api_keys": [UPSTREAM_KEY]},
         lambda c: c["key_count"] == 1 and c["base_url"] == admin.upstream.base_url),
        ({}, lambda c: c["name"] == "edited"),
    ]  # fmt: skip
    for change, holds in changes:
        response = admin.patch(cid, **change)
        assert response.status_code == 200, (change, response.text)
        assert holds(response.json()), (change, response.json())
        assert holds(admin.call("GET", f"/api/admin/channels/{cid}").json()), change
    assert admin.probe(cid).json()["ok"] is True  # the replaced key is the one used

    replaced = admin.patch(
        cid,
        models=[
            {"slug": "openai/gpt-4.1", "upstream_name": "gpt-4.1-2025-04-14"},
            {"slug": "openai/gpt-4.1-nano"},
        ],
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["models"] == [
        {"slug": "openai/gpt-4.1", "upstream_name": "gpt-4.1-2025-04-14"},
        {"slug": "openai/gpt-4.1-nano", "upstream_name": "gpt-4.1-nano"},
    ]
    rows = query(
        admin.env.database_url,
        "SELECT id, model_slug, prompt_per_mtok_nanos FROM channel_models WHERE channel_id = :c ORDER BY id",
        c=cid,
    )
    assert [(r[1], r[2]) for r in rows] == [
        ("openai/gpt-4.1", usd_to_nanos("7")),
        ("openai/gpt-4.1-nano", None),
    ]
    assert rows[0][0] == kept_row[0]  # the same row, so its endpoint price and limits survive
    assert_no_secret(admin, replaced.text)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"models": [{"slug": "openai/gpt-4.1"}, {"slug": "nobody/nothing"}]}, 400, "not in the catalogue"),
        ({"models": []}, 400, "models"),
        ({"models": [{"slug": "openai/gpt-4.1"}, {"slug": "openai/gpt-4.1"}]}, 400, "listed twice"),
        ({"weight": 0}, 400, "weight"),
        ({"name": ""}, 400, "name"),
        ({"name": None}, 400, "name: null"),
        ({"name": "taken"}, 409, "already exists"),
        ({"base_url": "ftp://example.com"}, 400, "base URL"),
        ({"api_keys": []}, 400, "api_keys"),
        ({"api_keys": ["two words"]}, 400, "no spaces"),
        ({"provider_slug": "nobody-here"}, 400, "unknown provider"),
        ({"api_key": "sk-x"}, 400, "api_key"),
        ({"options": {"max_concurrency": 0}}, 400, "max_concurrency"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(
    admin: Admin, change: dict[str, Any], status: int, words: str
) -> None:
    channels = {c["name"]: c for c in admin.call("GET", "/api/admin/channels").json()}
    if "taken" not in channels:
        admin.create("taken")
    target = channels.get("bad-edit-target") or admin.create("bad-edit-target")
    response = admin.patch(target["id"], **change)
    assert response.status_code == status and words in response.json()["error"]["message"], response.text
    assert admin.call("GET", f"/api/admin/channels/{target['id']}").json() == target


def test_unknown_channels_are_404(admin: Admin) -> None:
    for method, path, body in [
        ("GET", "/api/admin/channels/999999", None),
        ("PATCH", "/api/admin/channels/999999", {"priority": 1}),
        ("POST", "/api/admin/channels/999999/test", None),
        ("DELETE", "/api/admin/channels/999999", None),
    ]:
        response = admin.call(method, path, json=body)
        assert (
            response.status_code == 404 and "no channel with id 999999" in response.json()["error"]["message"]
        )


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"headers": {"bad name": "x"}}, "headers"),
        ({"headers": {"X-A": 1}}, "headers"),
        ({"headers": ["X-A: 1"]}, "headers"),
        ({"stream_options": "yes"}, "stream_options"),
        ({"api_version": ""}, "api_version"),
        ({"api_version": 2024}, "api_version"),
        ({"anthropic_version": "  "}, "anthropic_version"),
        ({"quantization": "fp12"}, "quantization"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 2.5}, "max_concurrency"),
        ({"max_concurrency": True}, "max_concurrency"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": -1.5}, "timeout_seconds"),
        ({"timeout_seconds": "30"}, "timeout_seconds"),
        ({"first_byte_timeout_seconds": 0}, "first_byte_timeout_seconds"),
        ({"probe_enabled": 1}, "probe_enabled"),
        ({"probe_interval_seconds": 4.9}, "probe_interval_seconds"),
        ({"probe_timeout_seconds": 0}, "probe_timeout_seconds"),
        ({"no_such_option": 1}, "no_such_option"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    admin: Admin, options: dict[str, Any], option: str
) -> None:
    body = {"name": "bad-options", "provider": "openai", "base_url": admin.upstream.base_url,
            "api_key": UPSTREAM_KEY, "models": [{"slug": "openai/gpt-4.1"}], "options": options}  # fmt: skip
    created = admin.call("POST", "/api/admin/channels", json=body)
    assert created.status_code == 400 and option in created.json()["error"]["message"], created.text
    assert "bad-options" not in [c["name"] for c in admin.call("GET", "/api/admin/channels").json()]


def test_every_option_is_stored_under_its_name_and_header_values_are_masked(admin: Admin) -> None:
    options = {
        "headers": {"X-Secret": HEADER_SECRET, "X-Team": "research"},
        "stream_options": False,
        "api_version": "2024-10-21",
        "anthropic_version": "2023-06-01",
        "quantization": "int4",
        "max_concurrency": 8,
        "timeout_seconds": 120,
        "first_byte_timeout_seconds": 12.5,
        "probe_enabled": False,
        "probe_interval_seconds": 5,
        "probe_timeout_seconds": 3,
    }
    channel = admin.create("with-options", options=options)
    shown = {**options, "headers": {"X-Secret": "***", "X-Team": "***"}}
    assert channel["options"] == shown
    (stored,) = query(admin.env.database_url, "SELECT options FROM channels WHERE id = :i", i=channel["id"])
    assert (json.loads(stored[0]) if isinstance(stored[0], str) else stored[0]) == options

    # The upstream gets the real value.
    assert admin.probe(channel["id"]).json()["ok"] is True
    assert admin.upstream.requests[-1].headers["x-secret"] == HEADER_SECRET
    replaced = admin.patch(channel["id"], options={"headers": {"X-Other": HEADER_SECRET}})
    assert replaced.json()["options"]["headers"] == {"X-Other": "***"}
    listed = admin.call("GET", "/api/admin/channels")
    assert_no_secret(admin, str(channel), replaced.text, listed.text)


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, tuple[FakeServer, str]]]:
    """One fake per protocol with the key it accepts."""
    with (
        FakeAnthropicUpstream(api_key="sk-ant-probe-key-0123") as anthropic,
        FakeGeminiUpstream(api_key="gemini-probe-key-0123") as gemini,
        FakeAzureOpenAIUpstream(api_key="azure-probe-key-0123") as azure,
    ):
        yield {
            "anthropic": (anthropic, "sk-ant-probe-key-0123"),
            "gemini": (gemini, "gemini-probe-key-0123"),
            "azure": (azure, "azure-probe-key-0123"),
        }


@pytest.mark.parametrize(
    ("provider", "slug", "wrong_status"),
    [
        ("openai", "openai/gpt-4.1", 401),
        ("anthropic", "anthropic/claude-sonnet-5", 401),
        # Gemini answers a bad key with 400 API_KEY_INVALID.
        ("gemini", "google/gemini-3.7-flash", 400),
        ("azure", "openai/gpt-4.1", 401),
    ],
)
def test_probes_pass_with_the_right_key_and_fail_with_a_wrong_one(
    admin: Admin, fakes: dict[str, tuple[FakeServer, str]], provider: str, slug: str, wrong_status: int
) -> None:
    fake, key = fakes.get(provider, (admin.upstream, UPSTREAM_KEY))
    channel = admin.create(
        f"probe-{provider}",
        provider=provider,
        base_url=fake.base_url,
        api_key=key,
        models=[{"slug": slug, "upstream_name": "probe-model"}],
    )
    passed = admin.probe(channel["id"])
    assert passed.status_code == 200, passed.text
    result = passed.json()
    assert result["ok"] is True and result["status"] == 200 and result["model"] == slug, result
    assert result["latency_ms"] >= 0 and result["message"] == "OK"
    assert key in fake.requests[-1].headers.values() or f"Bearer {key}" in fake.requests[-1].headers.values()

    assert admin.patch(channel["id"], api_keys=[WRONG_KEY]).status_code == 200
    failed = admin.probe(channel["id"])
    assert failed.status_code == 200, failed.text
    result = failed.json()
    assert result["ok"] is False and result["status"] == wrong_status and result["message"], result
    assert_no_secret(admin, failed.text)


def test_probe_choices_and_unreachable_upstreams(admin: Admin) -> None:
    channel = admin.create(
        "probe-choices", models=[{"slug": "openai/gpt-4.1"}, {"slug": "openai/gpt-4.1-mini"}]
    )
    assert admin.probe(channel["id"]).json()["model"] == "openai/gpt-4.1"
    chosen = admin.probe(channel["id"], model="openai/gpt-4.1-mini")
    assert chosen.status_code == 200 and chosen.json()["model"] == "openai/gpt-4.1-mini"
    unserved = admin.probe(channel["id"], model="openai/gpt-4o")
    assert (
        unserved.status_code == 400 and "does not serve openai/gpt-4o" in unserved.json()["error"]["message"]
    )
    assert admin.probe(channel["id"], model=5).status_code == 400

    closed = admin.patch(channel["id"], base_url=f"http://127.0.0.1:{free_port()}/v1")
    assert closed.status_code == 200
    result = admin.probe(channel["id"]).json()
    assert result["ok"] is False and result["status"] is None, result
    assert "cannot reach the upstream" in result["message"]


def test_channels_from_the_cli(admin: Admin, cli: Cli) -> None:
    added = cli(
        "channels", "add", "cli-channel", "--provider", "openai", "--base-url", admin.upstream.base_url,
        "--api-key", UPSTREAM_KEY, "--api-key", ROTATED[0], "--models", "openai/gpt-4.1",
        "--quantization", "fp16", "--timeout-seconds", "60", "--header", f"X-Secret: {HEADER_SECRET}",
    )  # fmt: skip
    assert "2 key(s)" in added.stdout
    (line,) = [line for line in cli("channels", "list").stdout.splitlines() if "\tcli-channel\t" in line]
    fields = line.split("\t")
    cid = fields[0]
    assert fields[4] == "enabled" and fields[-2:] == ["keys=2", "provider_slug=-"]

    edited = cli(
        "channels", "edit", cid, "--name", "cli-renamed", "--priority", "4", "--weight", "9",
        "--api-key", UPSTREAM_KEY, "--models", "openai/gpt-4.1,openai/gpt-4.1-mini=mini",
        "--provider-slug", "openai", "--max-concurrency", "2", "--no-probe",
        "--unset-option", "timeout_seconds",
    )  # fmt: skip
    assert "updated channel cli-renamed" in edited.stdout and "1 key(s)" in edited.stdout
    shown = admin.call("GET", f"/api/admin/channels/{cid}").json()
    assert (shown["name"], shown["priority"], shown["weight"], shown["key_count"]) == ("cli-renamed", 4, 9, 1)
    assert shown["provider_slug"] == "openai"
    assert shown["models"] == [
        {"slug": "openai/gpt-4.1", "upstream_name": "gpt-4.1"},
        {"slug": "openai/gpt-4.1-mini", "upstream_name": "mini"},
    ]
    assert shown["options"] == {
        "quantization": "fp16", "headers": {"X-Secret": "***"}, "max_concurrency": 2, "probe_enabled": False,
    }  # fmt: skip
    refused = cli("channels", "edit", cid, "--quantization", "fp3", expect=1)
    assert "quantization" in refused.stderr
    assert (
        "no channel with id 999999" in cli("channels", "edit", "999999", "--priority", "1", expect=1).stderr
    )

    cli("channels", "disable", cid)
    assert admin.call("GET", f"/api/admin/channels/{cid}").json()["is_enabled"] is False
    assert "\tdisabled\t" in cli("channels", "list").stdout
    cli("channels", "enable", cid)
    assert admin.call("GET", f"/api/admin/channels/{cid}").json()["is_enabled"] is True

    tested = cli("channels", "test", cid, "--model", "openai/gpt-4.1-mini")
    assert tested.stdout.startswith("ok: ") and "HTTP 200" in tested.stdout
    cli("channels", "edit", cid, "--api-key", WRONG_KEY)
    failed = cli("channels", "test", cid, expect=1)
    assert failed.stdout.startswith("failed: ") and "HTTP 401" in failed.stdout
    assert "does not serve" in cli("channels", "test", cid, "--model", "openai/gpt-4o", expect=1).stderr

    kept = cli("channels", "delete", cid, expect=1)
    assert "--yes" in kept.stderr
    assert admin.call("GET", f"/api/admin/channels/{cid}").status_code == 200
    assert "deleted channel" in cli("channels", "delete", cid, "--yes").stdout
    assert admin.call("GET", f"/api/admin/channels/{cid}").status_code == 404
    assert "no channel with id" in cli("channels", "delete", cid, "--yes", expect=1).stderr
    for result in (added, edited, tested, failed):
        assert_no_secret(admin, result.stdout, result.stderr)
