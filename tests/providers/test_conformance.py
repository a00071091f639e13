"""One set of scenarios run against every upstream protocol: the official `openai` SDK -> `modelyard serve`
-> a fake server that speaks that provider's wire protocol. What the user sees must not depend on which
provider serves the model; what the provider receives must be in its own native shape."""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.azure_upstream import FakeAzureOpenAIUpstream
from tests.fakes.gemini_upstream import FakeGeminiUpstream
from tests.fakes.openai_upstream import FakeOpenAIUpstream, completion_text, expected_embedding
from tests.fakes.server import FakeServer

# Wire shapes, routing and the catalogue do not depend on the database's kind: one run, on SQLite, keeps
# the suite short (Redis, when the run has it, is still used).
SQLITE_ONLY = True

PROVIDERS = ["openai", "azure", "anthropic", "gemini"]
# Upstream model names: the fakes read their behaviour from them.
SCENARIOS = {
    "plain": "m-chunks-5",
    "ttft": "m-chunks-3-ttft-900ms",
    "tools2": "m-tools-2",
    "fail400": "m-fail-400",
    "fail401": "m-fail-401",
    "fail429": "m-fail-429",
    "fail500": "m-fail-500",
    "hang": "m-hang",
    "drop": "m-chunks-10-delay-30ms-drop-mid-stream",
    "slow": "m-chunks-40-delay-100ms",
}
CATALOG = Path(__file__).resolve().parents[2] / "src" / "modelyard" / "data" / "openrouter-models.json"
KEY = "sk-upstream-conformance"
WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _priced_text_models() -> dict[str, tuple[Decimal, Decimal]]:
    """Text models priced by prompt and completion alone (no cache or tier prices), from our catalogue."""
    models = json.loads(CATALOG.read_text())["data"]
    chosen = {}
    for m in sorted(models, key=lambda m: m["id"]):
        pricing = m["pricing"]
        if (
            m["architecture"]["output_modalities"] == ["text"]
            and Decimal(pricing["prompt"]) > 0
            and Decimal(pricing["completion"]) > 0
            and set(pricing) <= {"prompt", "completion"}
            and m["top_provider"].get("max_completion_tokens")
        ):
            chosen[m["id"]] = (Decimal(pricing["prompt"]), Decimal(pricing["completion"]))
    return chosen


PRICES = _priced_text_models()
_SLUGS = iter(PRICES)
# provider -> scenario -> catalogue slug routed to that provider's fake with the scenario's upstream name
ROUTES = {provider: {scenario: next(_SLUGS) for scenario in SCENARIOS} for provider in PROVIDERS}
SAFETY_SLUG = next(_SLUGS)  # gemini, blocked by its safety filter
CACHE_SLUG = "anthropic/claude-sonnet-5"  # anthropic, with cache read and write prices
EMBED_SLUGS = {
    "openai": "openai/text-embedding-3-small",
    "azure": "openai/text-embedding-3-large",
    "gemini": "google/gemini-embedding-001",
    "anthropic": "openai/text-embedding-ada-002",
}


def expected_cost_nanos(slug: str, prompt_tokens: int, completion_tokens: int) -> int:
    prompt_price, completion_price = PRICES[slug]
    usd = prompt_tokens * prompt_price + completion_tokens * completion_price
    return int((usd * 10**9).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Conformance:
    server: Server
    key: str
    env: Env
    fakes: dict[str, FakeServer]

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.server.url}/v1", api_key=self.key, max_retries=0, timeout=30)

    def native(self, provider: str) -> dict[str, Any]:
        """The body the provider's fake received last."""
        body: dict[str, Any] = self.fakes[provider].requests[-1].body
        return body

    def reported_usage(self, provider: str) -> tuple[int, int]:
        usages: list[tuple[int, int]] = self.fakes[provider].usages  # type: ignore[attr-defined]
        return usages[-1]

    def log(self, generation_id: str) -> tuple[Any, ...]:
        sql = (
            "SELECT status, cost_nanos, prompt_tokens, completion_tokens, is_usage_estimated, http_status "
            "FROM request_logs WHERE generation_id = :g"
        )
        wait_until(lambda: bool(query(self.env.database_url, sql, g=generation_id)), what="the request log")
        return query(self.env.database_url, sql, g=generation_id)[0]

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.server.url}/v1/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )


@pytest.fixture(scope="module")
def conformance(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> Iterator[Conformance]:
    fakes: dict[str, FakeServer] = {
        "openai": FakeOpenAIUpstream(api_key=KEY),
        "azure": FakeAzureOpenAIUpstream(api_key=KEY),
        "anthropic": FakeAnthropicUpstream(api_key=KEY),
        "gemini": FakeGeminiUpstream(api_key=KEY),
    }
    for fake in fakes.values():
        fake.start()
    try:
        for provider, fake in fakes.items():
            mapping = ",".join(f"{ROUTES[provider][s]}={name}" for s, name in SCENARIOS.items())
            if provider != "anthropic":
                mapping += f",{EMBED_SLUGS[provider]}=embed-model"
            if provider == "gemini":
                mapping += f",{SAFETY_SLUG}=m-safety-block"
            if provider == "anthropic":
                mapping += f",{CACHE_SLUG}=m-chunks-5-cache-read-100-cache-write-40"
            extra = ["--api-version", "2024-10-21"] if provider == "azure" else []
            cli(
                "channels", "add", f"conf-{provider}", "--provider", provider, "--base-url", fake.base_url,
                "--api-key", KEY, "--models", mapping, *extra,
            )  # fmt: skip
        anthropic_url = fakes["anthropic"].base_url
        cli("channels", "add", "conf-anthropic-embed", "--provider", "anthropic", "--base-url", anthropic_url,
            "--api-key", KEY, "--models", f"{EMBED_SLUGS['anthropic']}=x")  # fmt: skip
        key = cli.create_user_with_key("conformance@example.com", "50")
        env.extra.update(
            {"MODELYARD_UPSTREAM_READ_TIMEOUT_SECONDS": "2", "MODELYARD_STREAM_KEEPALIVE_SECONDS": "0.3"}
        )
        yield Conformance(server_factory(env), key, env, fakes)
    finally:
        for fake in fakes.values():
            fake.stop()


def test_plain_text_answer_usage_and_cost(conformance: Conformance, provider: str) -> None:
    slug = ROUTES[provider]["plain"]
    reply = conformance.client().chat.completions.create(
        model=slug, messages=[{"role": "user", "content": "Hello there friend"}]
    )
    assert reply.choices[0].message.content == completion_text(5)
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == slug and reply.id.startswith("gen-")
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == conformance.reported_usage(provider)
    cost = expected_cost_nanos(slug, reply.usage.prompt_tokens, reply.usage.completion_tokens)
    assert reply.usage.model_extra is not None
    assert round(reply.usage.model_extra["cost"] * 10**9) == cost
    assert conformance.log(reply.id)[:2] == ("success", cost)


def test_system_prompt_and_multi_turn_reach_the_provider_natively(
    conformance: Conformance, provider: str
) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "How are you?"},
    ]
    reply = conformance.client().chat.completions.create(model=ROUTES[provider]["plain"], messages=messages)
    assert reply.choices[0].message.content == completion_text(5)
    native = conformance.native(provider)
    if provider in ("openai", "azure"):
        assert [m["role"] for m in native["messages"]] == ["system", "user", "assistant", "user"]
    elif provider == "anthropic":
        assert native["system"] == [{"type": "text", "text": "You are terse."}]
        assert [m["role"] for m in native["messages"]] == ["user", "assistant", "user"]
    else:
        assert native["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
        assert [c["role"] for c in native["contents"]] == ["user", "model", "user"]


def test_images_reach_the_provider_natively(conformance: Conformance, provider: str) -> None:
    url = "https://example.com/cat.png"
    reply = conformance.client().chat.completions.create(
        model=ROUTES[provider]["plain"],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in these?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    assert reply.choices[0].message.content == completion_text(5)
    native = conformance.native(provider)
    if provider in ("openai", "azure"):
        parts = native["messages"][0]["content"]
        assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    elif provider == "anthropic":
        blocks = native["messages"][0]["content"]
        assert blocks[1] == {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX},
        }
        assert blocks[2] == {"type": "image", "source": {"type": "url", "url": url}}
    else:
        parts = native["contents"][0]["parts"]
        assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": PNG_1PX}}
        assert parts[2] == {"fileData": {"mimeType": "image/png", "fileUri": url}}


def test_tool_call_round_trip(conformance: Conformance, provider: str) -> None:
    client = conformance.client()
    slug = ROUTES[provider]["plain"]
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=slug, messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None and len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id

    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call.function.arguments},
                }
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
    second = client.chat.completions.create(model=slug, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "result: sunny"
    assert second.choices[0].finish_reason == "stop"


def test_forced_tool_choice(conformance: Conformance, provider: str) -> None:
    other: ChatCompletionToolParam = {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    }
    reply = conformance.client().chat.completions.create(
        model=ROUTES[provider]["plain"],
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[other, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    calls = reply.choices[0].message.tool_calls
    assert calls is not None and [c.function.name for c in calls if c.type == "function"] == ["get_weather"]


def test_streamed_parallel_tool_calls_arrive_by_index(conformance: Conformance, provider: str) -> None:
    stream = conformance.client().chat.completions.create(
        model=ROUTES[provider]["tools2"],
        messages=[{"role": "user", "content": "Weather in Paris and Tokyo?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += delta.id or ""
                if delta.function is not None:
                    entry["name"] += delta.function.name or ""
                    entry["arguments"] += delta.function.arguments or ""
            finish = choice.finish_reason or finish
    assert sorted(calls) == [0, 1]
    assert [json.loads(calls[i]["arguments"]) for i in (0, 1)] == [{"city": "Paris"}, {"city": "Tokyo"}]
    assert all(c["name"] == "get_weather" and c["id"] for c in calls.values())
    assert finish == "tool_calls"


def test_json_mode(conformance: Conformance, provider: str) -> None:
    reply = conformance.client().chat.completions.create(
        model=ROUTES[provider]["plain"],
        messages=[{"role": "user", "content": "Answer in json: which city?"}],
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "city",
                "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
    )
    content = reply.choices[0].message.content
    assert content is not None and json.loads(content) == {"city": "Paris"}
    assert reply.choices[0].finish_reason == "stop"


def test_stream_text_usage_and_done(conformance: Conformance, provider: str) -> None:
    slug = ROUTES[provider]["plain"]
    chunks = list(
        conformance.client().chat.completions.create(
            model=slug, messages=[{"role": "user", "content": "Stream please"}], stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == completion_text(5)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    final = chunks[-1]
    assert final.choices == [] and final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == conformance.reported_usage(provider)
    assert len({c.id for c in chunks}) == 1
    cost = expected_cost_nanos(slug, final.usage.prompt_tokens, final.usage.completion_tokens)
    assert conformance.log(final.id)[:2] == ("success", cost)


def test_keepalives_while_the_upstream_is_silent(conformance: Conformance, provider: str) -> None:
    body = {
        "model": ROUTES[provider]["ttft"],
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }
    with httpx.stream(
        "POST", f"{conformance.server.url}/v1/chat/completions", json=body,
        headers={"Authorization": f"Bearer {conformance.key}"}, timeout=30,
    ) as response:  # fmt: skip
        lines = [line for line in response.iter_lines() if line]
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data:"))
    assert ": OPENROUTER PROCESSING" in lines[:first_data]
    assert lines[-1] == "data: [DONE]"


@pytest.mark.parametrize(
    ("scenario", "status"),
    [("fail400", 400), ("fail401", 502), ("fail429", 429), ("fail500", 502), ("hang", 504)],
)
def test_upstream_failures(conformance: Conformance, provider: str, scenario: str, status: int) -> None:
    response = conformance.post(
        "chat/completions",
        {"model": ROUTES[provider][scenario], "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status and f"conf-{provider}" in error["message"]
    if status == 429:
        assert response.headers["retry-after"] == "1"
    assert conformance.log(response.headers["x-generation-id"])[:2] == ("error", 0)


def test_stream_dropped_mid_way(conformance: Conformance, provider: str) -> None:
    body = {
        "model": ROUTES[provider]["drop"],
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }
    with httpx.stream(
        "POST", f"{conformance.server.url}/v1/chat/completions", json=body,
        headers={"Authorization": f"Bearer {conformance.key}"}, timeout=30,
    ) as response:  # fmt: skip
        assert response.status_code == 200
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data:")]
        generation_id = response.headers["x-generation-id"]
    assert "[DONE]" not in events
    last = json.loads(events[-1])
    assert last["error"]["code"] == 502 and last["choices"][0]["finish_reason"] == "error"
    relayed = "".join(
        (json.loads(e)["choices"][0]["delta"].get("content") or "")
        for e in events[:-1]
        if json.loads(e)["choices"]
    )
    status, cost, *_ = conformance.log(generation_id)
    assert status == "error" and (cost > 0) == bool(relayed)


def test_client_disconnect_cancels_the_upstream_and_bills_what_was_produced(
    conformance: Conformance, provider: str
) -> None:
    fake = conformance.fakes[provider]
    body = {
        "model": ROUTES[provider]["slow"],
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }
    started = time.monotonic()
    with httpx.stream(
        "POST", f"{conformance.server.url}/v1/chat/completions", json=body,
        headers={"Authorization": f"Bearer {conformance.key}"}, timeout=30,
    ) as response:  # fmt: skip
        generation_id = response.headers["x-generation-id"]
        seen = 0
        for line in response.iter_lines():
            if line.startswith("data:") and '"content":"tok' in line:
                seen += 1
                if seen == 3:
                    break
    status, cost, _prompt, completion, is_estimated, http_status = conformance.log(generation_id)
    assert (status, http_status) == ("cancelled", 499)
    assert cost > 0 and completion > 0
    # Gemini reports running token counts with every event; the others' counts come at the end, so the
    # tokens relayed before the client left are estimated (and flagged).
    assert is_estimated == (provider != "gemini")
    # The 40-token answer takes 4 s upstream; the gateway let go of it long before.
    assert time.monotonic() - started < 3.5
    assert fake.requests[-1].body is not None


def test_unsupported_feature_is_a_400_naming_it(conformance: Conformance, provider: str) -> None:
    response = conformance.post(
        "chat/completions",
        {
            "model": ROUTES[provider]["plain"],
            "messages": [{"role": "user", "content": "Hi"}],
            "logit_bias": {"50256": -100},
        },
    )
    if provider in ("openai", "azure"):
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "logit_bias" in response.json()["error"]["message"]


def test_openrouter_fields_are_accepted_and_not_forwarded(conformance: Conformance, provider: str) -> None:
    response = conformance.post(
        "chat/completions",
        {
            "model": ROUTES[provider]["plain"],
            "prompt": "Hello from a bare prompt",
            "models": [ROUTES[provider]["plain"]],
            "provider": {"sort": "price", "allow_fallbacks": True},
            "route": "fallback",
            "transforms": [],
            "usage": {"include": True},
            "plugins": [],
            "session_id": "abc",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == completion_text(5)
    native = conformance.native(provider)
    assert not {"models", "provider", "route", "transforms", "usage", "plugins", "session_id"} & set(native)


def test_legacy_completions(conformance: Conformance, provider: str) -> None:
    client = conformance.client()
    slug = ROUTES[provider]["plain"]
    reply = client.completions.create(model=slug, prompt="Once upon a time", max_tokens=50)
    assert reply.object == "text_completion" and reply.choices[0].text == completion_text(5)
    assert reply.usage is not None and reply.usage.completion_tokens == 5
    streamed = list(
        client.completions.create(model=slug, prompt="Once upon a time", max_tokens=50, stream=True)
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == completion_text(5)
    assert streamed[-1].usage is not None and streamed[-1].usage.completion_tokens == 5


def test_embeddings(conformance: Conformance, provider: str) -> None:
    slug = EMBED_SLUGS[provider]
    if provider == "anthropic":
        response = conformance.post("embeddings", {"model": slug, "input": "hello"})
        assert response.status_code == 400 and "embeddings" in response.json()["error"]["message"]
        return
    client = conformance.client()
    # The SDK asks for base64 by default and decodes it; float is checked raw.
    reply = client.embeddings.create(model=slug, input=["hello world", "bye"])
    assert [d.index for d in reply.data] == [0, 1]
    for item, text in zip(reply.data, ["hello world", "bye"], strict=True):
        assert item.embedding == pytest.approx(expected_embedding(text), abs=1e-6)
    assert reply.model == slug and reply.usage.prompt_tokens > 0
    raw = conformance.post(
        "embeddings", {"model": slug, "input": "hello world", "encoding_format": "float"}
    ).json()
    assert raw["data"][0]["embedding"] == pytest.approx(expected_embedding("hello world"), abs=1e-6)
    assert raw["usage"]["cost"] > 0
    encoded = conformance.post(
        "embeddings", {"model": slug, "input": "hi", "encoding_format": "base64"}
    ).json()
    vector = base64.b64decode(encoded["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(vector) // 4}f", vector)) == pytest.approx(
        expected_embedding("hi"), abs=1e-6
    )


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_sampling_fields_reach_the_provider_natively(conformance: Conformance, provider: str) -> None:
    reply = conformance.client().chat.completions.create(
        model=ROUTES[provider]["plain"],
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.5,
        top_p=0.9,
        max_tokens=50,
        stop=["zzz"],
    )
    assert reply.choices[0].message.content == completion_text(5)
    native = conformance.native(provider)
    if provider in ("openai", "azure"):
        assert (native["temperature"], native["top_p"], native["max_tokens"], native["stop"]) == (
            0.5,
            0.9,
            50,
            ["zzz"],
        )
    elif provider == "anthropic":
        assert (native["temperature"], native["top_p"], native["max_tokens"]) == (0.5, 0.9, 50)
        assert native["stop_sequences"] == ["zzz"]
    else:
        config = native["generationConfig"]
        assert (config["temperature"], config["topP"], config["maxOutputTokens"]) == (0.5, 0.9, 50)
        assert config["stopSequences"] == ["zzz"]


@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_reasoning_comes_back_as_reasoning(conformance: Conformance, provider: str) -> None:
    reply = conformance.client().chat.completions.create(
        model=ROUTES[provider]["plain"],
        messages=[{"role": "user", "content": "Think first"}],
        max_tokens=8000,
        extra_body={"reasoning": {"max_tokens": 2000}},
    )
    message = reply.choices[0].message
    assert message.content == completion_text(5)
    assert (message.model_extra or {}).get("reasoning") == "Let me think."
    native = conformance.native(provider)
    if provider == "anthropic":
        assert native["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    else:
        assert native["generationConfig"]["thinkingConfig"] == {
            "thinkingBudget": 2000,
            "includeThoughts": True,
        }
    streamed = list(
        conformance.client().chat.completions.create(
            model=ROUTES[provider]["plain"],
            messages=[{"role": "user", "content": "Think first"}],
            max_tokens=8000,
            extra_body={"reasoning": {"max_tokens": 2000}},
            stream=True,
        )
    )
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning") or "" for c in streamed if c.choices
    )
    assert reasoning == "Let me think."


def test_anthropic_cache_tokens_are_reported_and_priced(conformance: Conformance) -> None:
    reply = conformance.client().chat.completions.create(
        model=CACHE_SLUG, messages=[{"role": "user", "content": "Hello cache"}]
    )
    input_tokens, output_tokens = conformance.reported_usage("anthropic")
    usage = reply.usage
    assert usage is not None and usage.prompt_tokens_details is not None
    # OpenAI's convention: prompt_tokens include cached tokens, which are detailed separately.
    assert usage.prompt_tokens == input_tokens + 100 + 40
    assert usage.prompt_tokens_details.cached_tokens == 100
    # $2/M uncached input, $0.2/M cache read, $2.5/M cache write, $10/M output
    expected_usd = (
        input_tokens * Decimal("0.000002")
        + 100 * Decimal("0.0000002")
        + 40 * Decimal("0.0000025")
        + output_tokens * Decimal("0.00001")
    )
    assert conformance.log(reply.id)[1] == int(
        (expected_usd * 10**9).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )


def test_gemini_safety_block_is_content_filter(conformance: Conformance) -> None:
    reply = conformance.client().chat.completions.create(
        model=SAFETY_SLUG, messages=[{"role": "user", "content": "Something unsafe"}]
    )
    assert reply.choices[0].finish_reason == "content_filter"
    assert not reply.choices[0].message.content
    chunks = list(
        conformance.client().chat.completions.create(
            model=SAFETY_SLUG, messages=[{"role": "user", "content": "Something unsafe"}], stream=True
        )
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "content_filter"
    ]
