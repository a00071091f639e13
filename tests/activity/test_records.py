"""Generation records over HTTP: OpenRouter's /generation, the web app's log with filters and cursor, the
streamed export; each record agrees with the ledger, and nobody reads another user's records."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

MESSAGES = [{"role": "user", "content": "log me"}]


@dataclass
class Site:
    server: Server
    env: Env
    alice: str
    bob: str
    admin: str
    generations: list[str]

    def get(self, key: str, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.get(f"{self.server.url}{path}", params=params, headers=headers, timeout=30)


def chat(server: Server, key: str, model: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"model": model, "messages": MESSAGES, **body},
        headers={"Authorization": f"Bearer {key}", "HTTP-Referer": "https://app.example", "X-Title": "Logs"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def site(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Site]:
    cli(
        "channels", "add", "logs-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models",
        "openai/gpt-4o-mini=mini-chunks-4,openai/gpt-4o=big-fail-500", "--no-probe",
    )  # fmt: skip
    alice = cli.create_user_with_key("alice-logs@example.com", "5")
    bob = cli.create_user_with_key("bob-logs@example.com", "5")
    cli("users", "create", "admin-logs@example.com", "--password", "correct-horse-battery", "--admin")
    admin = cli("keys", "create", "admin-logs@example.com", "--name", "a").stdout.strip().splitlines()[-1]
    server = server_factory(env)
    generations = []
    plans: list[tuple[str, dict[str, Any]]] = [
        ("openai/gpt-4o-mini", {}),
        ("openai/gpt-4o-mini", {"stream": True}),
        ("openai/gpt-4o", {"models": ["openai/gpt-4o-mini"]}),
    ]
    for model, body in plans:
        response = chat(server, alice, model, **body)
        assert response.status_code == 200, response.text
        generations.append(response.headers["x-generation-id"])
    failed = chat(server, alice, "openai/gpt-4o")
    assert failed.status_code == 502
    generations.append(failed.headers["x-generation-id"])
    bob_answer = chat(server, bob, "openai/gpt-4o-mini")
    generations.append(bob_answer.headers["x-generation-id"])
    wait_until(lambda: len(query(env.database_url, "SELECT id FROM request_logs")) == 5, what="the records")
    yield Site(server, env, alice, bob, admin, generations)


def ledger_cost(site: Site, generation: str) -> int:
    rows = query(
        site.env.database_url,
        "SELECT amount_nanos FROM ledger_entries WHERE idempotency_key = :k",
        k=f"usage:{generation}",
    )
    return -int(rows[0][0]) if rows else 0


def test_generation_matches_the_ledger_and_lists_every_attempt(site: Site) -> None:
    plain, streamed, fallback, failed, _ = site.generations
    for generation in (plain, streamed, fallback, failed):
        document = site.get(site.alice, "/api/v1/generation", id=generation).json()["data"]
        assert document["id"] == generation
        assert round(Decimal(str(document["total_cost"])) * 10**9) == ledger_cost(site, generation)
        assert document["http_referer"] == "https://app.example"
    streamed_doc = site.get(site.alice, "/api/v1/generation", id=streamed).json()["data"]
    assert streamed_doc["streamed"] is True and streamed_doc["tokens_completion"] == 4
    fallback_doc = site.get(site.alice, "/api/v1/generation", id=fallback).json()["data"]
    assert fallback_doc["model"] == "openai/gpt-4o-mini" and fallback_doc["api_type"] == "completions"
    logged = site.get(site.alice, "/api/activity/logs", model="openai/gpt-4o-mini").json()["data"]
    requested = {r["id"]: (r["requested_model"], r["api_type"]) for r in logged}
    assert requested[fallback] == ("openai/gpt-4o", "chat")
    assert [r["status"] for r in fallback_doc["provider_responses"]] == [500, 200]
    assert [r["model_permaslug"] for r in fallback_doc["provider_responses"]] == [
        "openai/gpt-4o", "openai/gpt-4o-mini",
    ]  # fmt: skip
    failed_doc = site.get(site.alice, "/api/v1/generation", id=failed).json()["data"]
    assert failed_doc["total_cost"] == 0 and failed_doc["tokens_completion"] is None


def test_nobody_reads_another_users_records(site: Site) -> None:
    alices = site.generations[0]
    assert site.get(site.bob, "/api/v1/generation", id=alices).status_code == 404
    assert site.get(site.admin, "/api/v1/generation", id=alices).status_code == 200
    bobs_log = site.get(site.bob, "/api/activity/logs").json()["data"]
    assert [r["id"] for r in bobs_log] == [site.generations[4]]
    refused = site.get(site.bob, "/api/activity/logs", all="true")
    assert refused.status_code == 403
    assert site.get(site.bob, "/api/activity/export", user_id=1).status_code == 403
    everyone = site.get(site.admin, "/api/activity/logs", all="true").json()["data"]
    assert len(everyone) == 5


def test_log_filters_and_cursor(site: Site) -> None:
    first = site.get(site.alice, "/api/activity/logs", limit=3).json()
    assert [r["id"] for r in first["data"]] == list(reversed(site.generations[:4]))[:3]
    rest = site.get(site.alice, "/api/activity/logs", limit=3, cursor=first["next_cursor"]).json()
    assert [r["id"] for r in rest["data"]] == [site.generations[0]] and rest["next_cursor"] is None
    errors = site.get(site.alice, "/api/activity/logs", status="error").json()["data"]
    assert [r["id"] for r in errors] == [site.generations[3]]
    assert errors[0]["error_type"] == "provider_unavailable" and errors[0]["cost"] == "0"
    by_model = site.get(site.alice, "/api/activity/logs", model="openai/gpt-4o-mini").json()["data"]
    assert len(by_model) == 3
    assert site.get(site.alice, "/api/activity/logs", app="Logs").json()["data"]
    assert site.get(site.alice, "/api/activity/logs", since="2099-01-01T00:00:00Z").json()["data"] == []
    for params, field in (({"status": "weird"}, "status"), ({"since": "2026-01-01T00:00:00"}, "since")):
        bad = site.get(site.alice, "/api/activity/logs", **params)
        assert bad.status_code == 400 and field in bad.json()["error"]["message"]


def test_export_streams_csv_and_json_lines(site: Site) -> None:
    as_csv = site.get(site.alice, "/api/activity/export", format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["id"] for r in rows] == list(reversed(site.generations[:4]))
    assert sum(Decimal(r["cost"]) for r in rows) * 10**9 == sum(
        ledger_cost(site, g) for g in site.generations[:4]
    )
    as_lines = site.get(site.alice, "/api/activity/export", format="jsonl", status="success")
    documents = [json.loads(line) for line in as_lines.text.splitlines()]
    assert len(documents) == 3 and all(d["status"] == "success" for d in documents)


def test_one_log_row_by_generation_with_its_attempts(site: Site) -> None:
    plain, _, fallback, failed, bobs = site.generations
    row = site.get(site.alice, f"/api/activity/logs/{fallback}").json()["data"]
    listed = site.get(site.alice, "/api/activity/logs", model="openai/gpt-4o-mini").json()["data"]
    assert row == next(r for r in listed if r["id"] == fallback)
    assert [(a["model"], a["status"]) for a in row["attempts"]] == [
        ("openai/gpt-4o", 500), ("openai/gpt-4o-mini", 200),
    ]  # fmt: skip
    assert row["attempts"][0]["error"] and row["requested_model"] == "openai/gpt-4o"
    failed_row = site.get(site.alice, f"/api/activity/logs/{failed}").json()["data"]
    assert failed_row["status"] == "error" and failed_row["error_message"]
    # Someone else's record is not found (not forbidden: its existence is not revealed); an admin reads it.
    for missing in (bobs, "gen-nothing", "x" * 65):
        response = site.get(site.alice, f"/api/activity/logs/{missing}")
        assert response.status_code == 404 and response.json()["error"]["code"] == 404
    assert site.get(site.admin, f"/api/activity/logs/{plain}").json()["data"]["id"] == plain
