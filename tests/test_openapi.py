"""The API reference (/openapi.json, browsable at /docs) is complete: every route the app mounts, FastAPI's
and the plain Starlette ones alike, is described under exactly one group, with the schema of its answer, its
errors in the API's own error shape, who may call it, and for the relay examples the relay itself accepts;
and the relay's real answers fit what it describes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, get_args

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from openrouter import OpenRouter
from openrouter.utils import BackoffStrategy, RetryConfig
from pydantic import BaseModel, SecretStr

from modelyard.activity import records, rollups
from modelyard.api import activity_schemas, catalog_docs, relay_docs
from modelyard.api.openapi import ErrorResponse
from modelyard.app import create_app
from modelyard.config import Settings
from modelyard.db.engine import create_engine
from modelyard.kit.clock import utcnow
from modelyard.relay.request import parse_chat_request, parse_completions_request, parse_embeddings_request
from modelyard.routing.policy import parse_policy
from tests.conftest import Cli, Env, Server, query, run_async, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

SQLITE_ONLY = True  # the live check below needs a server; what it checks does not depend on the database

GROUPS = {"OpenAI-compatible", "OpenRouter-compatible", "account", "admin", "operations"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
ERROR_REF = "#/components/schemas/ErrorResponse"
RELAY = {
    "chat/completions": parse_chat_request,
    "completions": parse_completions_request,
    "embeddings": parse_embeddings_request,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), secret_key=SecretStr("openapi-" + "k" * 40))
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    # No lifespan: the document and /docs need neither the database nor the gateway.
    yield TestClient(app)


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def mounted(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, except the documentation's own pages."""
    found = set()
    for route in iter_route_contexts(app.routes):
        if not route.include_in_schema or route.path_format is None:
            continue  # /docs, /redoc, /openapi.json, and OpenRouter's legacy alias /api/v1/auth/key
        for method in (route.methods or set()) & METHODS:
            found.add((method, route.path_format))
    return found


def test_every_mounted_route_is_described_and_nothing_else(app: FastAPI, document: dict[str, Any]) -> None:
    described = {(method, path) for method, path, _ in operations(document)}
    routes = mounted(app)
    # The plain Starlette routes (the relay, the catalogue, the probes) are among them.
    plain = {"POST /v1/chat/completions", "POST /api/v1/embeddings", "GET /v1/models/{slug}",
             "GET /api/v1/model/{author}/{slug}", "GET /healthz", "GET /readyz", "GET /metrics"}  # fmt: skip
    assert plain <= {f"{method} {path}" for method, path in routes}
    assert sorted(routes - described) == [], "mounted but not described"
    assert sorted(described - routes) == [], "described but not mounted"


def test_every_operation_has_one_group_an_answer_and_its_errors(document: dict[str, Any]) -> None:
    assert {tag["name"] for tag in document["tags"]} == GROUPS
    assert all(tag["description"] for tag in document["tags"])
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        assert len(operation.get("tags", [])) == 1 and operation["tags"][0] in GROUPS, where
        responses = operation["responses"]
        assert "422" not in responses, f"{where}: validation errors answer 400 here"
        ok = [status for status in responses if status.startswith(("2", "3"))]
        assert ok, f"{where}: no answer documented"
        for status in ok:
            if status == "204" or status.startswith("3"):
                continue
            content = responses[status].get("content")
            assert content and all(media.get("schema") for media in content.values()), f"{where} {status}"
        failures = {status: r for status, r in responses.items() if int(status) >= 400}
        assert failures, f"{where}: no error documented"
        for status, response in failures.items():
            schema = response["content"]["application/json"]["schema"]
            if (method, path, status) != ("GET", "/readyz", "503"):  # the readiness report, as on 200
                assert schema == {"$ref": ERROR_REF}, f"{where} {status}"
        if operation.get("parameters") or operation.get("requestBody"):
            assert "400" in failures, f"{where}: bad input answers 400"
        if any(operation.get("security", [])):
            assert "401" in failures, f"{where}: needs a credential, so answers 401 without one"


def test_the_error_schema_is_what_errors_answer(client: TestClient, document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["ErrorResponse"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert schema["required"] == ["error"] and set(detail["required"]) == {"code", "message"}
    for response in (client.get("/api/no-such-thing"), client.delete("/v1/models")):
        answer = response.json()
        assert set(answer) == {"error"} and set(answer["error"]) <= set(detail["properties"])
        assert answer["error"]["code"] == response.status_code >= 400


def test_security_schemes_say_who_may_call_what(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == schemes["apiKey"] | {"type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["sessionCookie"]["name"] == "my_access"
    assert schemes["csrfToken"]["in"] == "header" and schemes["csrfToken"]["name"] == "X-CSRF-Token"
    paths = document["paths"]
    for prefix in ("/v1", "/api/v1"):
        for name in RELAY:
            assert paths[f"{prefix}/{name}"]["post"]["security"] == [{"apiKey": []}]
    # The account APIs take a key, a token or the cookie, and the cookie only with the CSRF header on changes.
    assert {"sessionCookie": []} in paths["/api/balance"]["get"]["security"]
    assert {"sessionCookie": [], "csrfToken": []} in paths["/api/keys"]["post"]["security"]
    assert "403" in paths["/api/keys"]["post"]["responses"]
    assert "403" in paths["/api/admin/users"]["get"]["responses"]  # not an administrator
    assert "security" not in paths["/api/v1/models"]["get"]  # the catalogue is public


@pytest.mark.parametrize("prefix,tag", [("/v1", "OpenAI-compatible"), ("/api/v1", "OpenRouter-compatible")])
def test_relay_examples_are_requests_the_relay_accepts(
    document: dict[str, Any], prefix: str, tag: str
) -> None:
    for name, parse in RELAY.items():
        operation = document["paths"][f"{prefix}/{name}"]["post"]
        assert operation["tags"] == [tag]
        media = operation["requestBody"]["content"]["application/json"]
        assert media["examples"], name
        for example in media["examples"].values():
            body = example["value"]
            request = parse(orjson.dumps(body))  # raises the relay's own 400 if the reference is wrong
            assert request.model == body["model"]
            parse_policy(body.get("provider"), fallback_strategy="default")
        statuses = set(operation["responses"])
        assert {"200", "400", "401", "402", "404", "429", "502", "503"} <= statuses, name
        if name != "embeddings":
            stream = operation["responses"]["200"]["content"]["text/event-stream"]
            assert "[DONE]" in stream["example"]


def test_relay_answer_examples_fit_their_schemas() -> None:
    for model in (relay_docs.ChatCompletion, relay_docs.Completion, relay_docs.Embeddings):
        (example,) = model.model_json_schema()["examples"]
        model.model_validate(example)
    chunks = [line.removeprefix("data: ") for line in relay_docs.CHAT_STREAM_EXAMPLE.splitlines()]
    events = [orjson.loads(c) for c in chunks if c.startswith("{")]
    for event in events:
        relay_docs.ChatCompletionChunk.model_validate(event)
    assert events[-1]["choices"] == [] and events[-1]["usage"]["cost"] > 0


def test_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text.lower() and "/openapi.json" in response.text


# --- the real answers fit the reference: what a client generated from it relies on


@pytest.fixture(scope="module")
def live(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[tuple[str, dict[str, str], str]]:
    cli("catalog", "import")
    models = ("openai/gpt-4o-mini=gpt-4o-mini-chunks-3,openai/text-embedding-3-small=text-embedding-3-small,"
              "openai/gpt-4o=gpt-4o-fail-500")  # fmt: skip
    cli("channels", "add", "docs", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", models)  # fmt: skip
    email = f"docs-{secrets.token_hex(4)}@example.com"
    cli("users", "create", email, "--password", "correct-horse-battery")
    key = cli("keys", "create", email, "--name", "docs").stdout.strip().splitlines()[-1]
    cli("credits", "grant", email, "5")
    server = server_factory(env)
    yield server.url, {"Authorization": f"Bearer {key}"}, email


def test_the_relay_answers_what_the_reference_describes(live: tuple[str, dict[str, str], str]) -> None:
    url, auth, _ = live
    chat = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as http:
        for prefix in ("/v1", "/api/v1"):
            answer = http.post(f"{prefix}/chat/completions", json=chat)
            assert answer.status_code == 200, answer.text
            completion = relay_docs.ChatCompletion.model_validate(answer.json())
            assert answer.headers["X-Generation-Id"] == completion.id
            assert completion.usage.cost > 0
        with http.stream("POST", "/v1/chat/completions", json={**chat, "stream": True}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            data = [line.removeprefix("data: ") for line in stream.iter_lines() if line.startswith("data: ")]
        assert data[-1] == "[DONE]"
        chunks = [relay_docs.ChatCompletionChunk.model_validate_json(event) for event in data[:-1]]
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        text = http.post("/v1/completions", json={"model": "openai/gpt-4o-mini", "prompt": "The sky is"})
        assert text.status_code == 200, text.text
        relay_docs.Completion.model_validate(text.json())
        vectors = http.post("/v1/embeddings", json={"model": "openai/text-embedding-3-small", "input": "hi"})
        assert vectors.status_code == 200, vectors.text
        relay_docs.Embeddings.model_validate(vectors.json())
        listed = catalog_docs.ModelList.model_validate(http.get("/v1/models").json())
        assert "openai/gpt-4o-mini" in {model.id for model in listed.data}
        catalog_docs.Model.model_validate(http.get("/v1/models/openai/gpt-4o-mini").json())
        relay_docs.HealthOut.model_validate(http.get("/healthz").json())
        relay_docs.ReadinessOut.model_validate(http.get("/readyz").json())
        for response, status in (
            (http.post("/v1/chat/completions", json=chat, headers={"Authorization": ""}), 401),
            (http.post("/v1/chat/completions", json={"model": "openai/gpt-4o-mini"}), 400),
            (http.post("/api/v1/chat/completions", json={**chat, "model": "nobody/nothing"}), 404),
        ):
            assert response.status_code == status, response.text
            assert ErrorResponse.model_validate(response.json()).error.code == status


def same_json(model: type[BaseModel], answer: httpx.Response) -> None:
    """The answer validates against its model and goes back through it to the same JSON: keys, their order,
    values, integers staying integers (the models describe the builders' dicts and must not reshape them)."""
    assert answer.status_code == 200, answer.text
    again = model.model_validate_json(answer.content).model_dump(mode="json", exclude_unset=True)
    assert orjson.dumps(again) == orjson.dumps(orjson.loads(answer.content)), answer.url


def test_activity_answers_are_what_their_schemas_describe(
    live: tuple[str, dict[str, str], str], env: Env, cli: Cli
) -> None:
    url, auth, email = live
    (user_id,) = query(env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0]
    # Yesterday's usage, for OpenRouter's /activity (which lists completed days only).
    yesterday = utcnow().replace(hour=5, minute=0, second=0, microsecond=0) - timedelta(days=1)
    record = {"created_at": yesterday, "user_id": user_id, "api_key_id": 1,
              "model_slug": "openai/gpt-4o-mini", "provider": "docs", "status": "success",
              "prompt_tokens": 10, "completion_tokens": 5, "reasoning_tokens": None, "cached_tokens": 1,
              "cost_nanos": 1_500_000, "latency_ms": 10, "ttft_ms": None}  # fmt: skip
    run_async(write_rollups(env.database_url, [record]))
    management = cli("keys", "create", email, "--name", "m", "--management").stdout.strip().splitlines()[-1]
    hello = [{"role": "user", "content": "Hi"}]
    chat = {"model": "openai/gpt-4o", "models": ["openai/gpt-4o-mini"], "messages": hello, "stream": True}
    headers = {**auth, "HTTP-Referer": "https://app.example"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        plain = http.post("/v1/chat/completions", json={"model": "openai/gpt-4o-mini", "messages": hello})
        assert plain.status_code == 200, plain.text
        answer = http.post("/api/v1/chat/completions", json=chat)  # the fallback: two attempts
        assert answer.status_code == 200, answer.text
        generation = answer.headers["X-Generation-Id"]
        # Records are written in batches shortly after their answers (relay/settlement.py).
        wait_until(
            lambda: http.get("/api/v1/generation", params={"id": generation}).status_code == 200,
            what="the generation's record",
        )
        same_json(activity_schemas.GenerationOut, http.get("/api/v1/generation", params={"id": generation}))
        same_json(activity_schemas.LogRowOut, http.get(f"/api/activity/logs/{generation}"))
        page = http.get("/api/activity/logs", params={"limit": 1})
        same_json(activity_schemas.LogPage, page)
        assert page.json()["next_cursor"] is not None and len(page.json()["data"][0]["attempts"]) == 2
        assert get_args(activity_schemas.LogRow.model_fields["status"].annotation) == records.STATUSES
        same_json(activity_schemas.ActivityStats, http.get("/api/activity/stats"))
        for group_by in ("model", "provider", "key"):
            for bucket in ("hour", "day"):
                params = {"group_by": group_by, "bucket": bucket}
                same_json(activity_schemas.ActivityStats, http.get("/api/activity/stats", params=params))
        for metric in ("tokens", "spend", "requests"):
            answer = http.get("/api/activity/analysis", params={"metric": metric})
            same_json(activity_schemas.ActivityAnalysis, answer)
            assert answer.json()["groups"]
        rows = http.get("/api/v1/activity", headers={"Authorization": f"Bearer {management}"})
        same_json(activity_schemas.ActivityOut, rows)
        assert rows.json()["data"][0]["usage"] == 0.0015
    # OpenRouter's SDK validates the generation and the activity strictly.
    retries = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
    with OpenRouter(
        api_key=auth["Authorization"][7:], server_url=f"{url}/api/v1", retry_config=retries
    ) as sdk:
        document = sdk.generations.get_generation(id=generation).data
        assert document.id == generation and len(document.provider_responses or []) == 2
    with OpenRouter(api_key=management, server_url=f"{url}/api/v1", retry_config=retries) as sdk:
        (day,) = sdk.analytics.get_user_activity().data
        assert (day.provider_name, day.endpoint_id, day.requests) == ("docs", "docs", 1)


async def write_rollups(database_url: str, records: list[dict[str, Any]]) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: rollups.apply_sync(c, rollups.aggregate(records)))
    await engine.dispose()


def test_no_json_answer_is_a_free_form_object(document: dict[str, Any]) -> None:
    """A 2xx JSON answer names its properties (a client's generated types depend on it), unless listed here
    with the reason it cannot."""
    exceptions: dict[tuple[str, str], str] = {}
    schemas = document["components"]["schemas"]
    free_form = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            for media, content in response.get("content", {}).items():
                schema = content["schema"]
                while "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
                shaped = any(key in schema for key in ("properties", "items", "anyOf", "oneOf", "allOf"))
                # A map whose values have a schema (`dict[str, int]`) is typed; `additionalProperties: true`
                # is not.
                shaped = shaped or bool(
                    isinstance(values := schema.get("additionalProperties"), dict) and values
                )
                if "json" in media and schema.get("type", "object") == "object" and not shaped:
                    free_form.append((method, path))
    assert sorted(set(free_form) - set(exceptions)) == []
    assert all(exceptions.values()), "every exception says why"
