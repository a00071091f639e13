"""OpenRouter's catalogue API over plain HTTP against the real app: shapes, filters, sorts, search, paging."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Env, Server
from tests.fakes.openai_upstream import FakeOpenAIUpstream

# Wire shapes, routing and the catalogue do not depend on the database's kind: one run, on SQLite, keeps
# the suite short (Redis, when the run has it, is still used).
SQLITE_ONLY = True

CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "src/modelyard/data/openrouter-models.json").read_text()
)
BY_ID = {m["id"]: m for m in CATALOG["data"]}
SERVED = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-5", "openai/text-embedding-3-small"]
REQUIRED = {
    "id", "canonical_slug", "hugging_face_id", "name", "created", "description", "context_length",
    "architecture", "pricing", "top_provider", "per_request_limits", "supported_parameters",
    "default_parameters", "supported_voices", "links",
}  # fmt: skip


@pytest.fixture(scope="module")
def base(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[str]:
    cli(
        "channels", "add", "catalogue-fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", ",".join(SERVED),
    )  # fmt: skip
    yield server_factory(env).url


def get(base: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{base}{path}", params=params, timeout=30)


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


def test_default_list_is_the_served_text_models_in_openrouter_shape(base: str) -> None:
    body = get(base, "/api/v1/models").json()
    assert set(body) >= {"data", "total_count", "links"} and body["links"]["next"] is None
    assert sorted(m["id"] for m in body["data"]) == sorted(s for s in SERVED if "embedding" not in s)
    for model in body["data"]:
        assert set(model) >= REQUIRED
        assert {"modality", "input_modalities", "output_modalities", "tokenizer", "instruct_type"} <= set(
            model["architecture"]
        )
        assert model["pricing"]["prompt"] == BY_ID[model["id"]]["pricing"]["prompt"]
        assert model["links"]["details"].endswith("/endpoints")
    embeddings = ids(get(base, "/api/v1/models", output_modalities="embeddings"))
    assert embeddings == ["openai/text-embedding-3-small"]


def test_whole_catalogue_paging_and_count(base: str) -> None:
    everything = get(base, "/api/v1/models", output_modalities="all", include_unavailable="true").json()
    assert everything["total_count"] == len(CATALOG["data"]) == 549
    text = sum(1 for m in CATALOG["data"] if "text" in m["architecture"]["output_modalities"])
    count = get(base, "/api/v1/models/count", include_unavailable="true").json()
    assert count == {"data": {"count": text}}
    pages: list[str] = []
    offset = 0
    while True:
        page = get(base, "/api/v1/models", include_unavailable="true", offset=offset, limit=150).json()
        pages += [m["id"] for m in page["data"]]
        if page["links"]["next"] is None:
            break
        assert page["links"]["next"] == f"/api/v1/models?offset={offset + 150}&limit=150"
        offset += 150
    assert len(pages) == len(set(pages)) == text


def test_filters(base: str) -> None:
    everything = {"include_unavailable": "true"}
    tools = ids(get(base, "/api/v1/models", supported_parameters="tools,response_format", **everything))
    assert tools and all({"tools", "response_format"} <= set(BY_ID[i]["supported_parameters"]) for i in tools)
    vision = ids(get(base, "/api/v1/models", input_modalities="image", **everything))
    assert vision and all("image" in BY_ID[i]["architecture"]["input_modalities"] for i in vision)
    anthropic = ids(get(base, "/api/v1/models", model_authors="anthropic", **everything))
    assert anthropic and all(i.startswith("anthropic/") for i in anthropic)
    long = ids(get(base, "/api/v1/models", context=1_000_000, **everything))
    assert long and all(BY_ID[i]["context_length"] >= 1_000_000 for i in long)
    cheap = ids(get(base, "/api/v1/models", min_price="0.1", max_price="0.5", **everything))
    assert cheap and all(
        Decimal("0.1") <= Decimal(BY_ID[i]["pricing"]["prompt"]) * 10**6 <= Decimal("0.5") for i in cheap
    )
    served = ids(get(base, "/api/v1/models", providers="catalogue-fake"))
    assert sorted(served) == sorted(s for s in SERVED if "embedding" not in s)
    for params in ({"output_modalities": "smell"}, {"sort": "random"}, {"limit": 0}, {"min_price": "cheap"}):
        response = get(base, "/api/v1/models", **params)
        assert response.status_code == 400 and response.json()["error"]["code"] == 400


def test_facets_count_each_value_under_the_other_filters(base: str) -> None:
    everything = {"include_unavailable": "true"}
    text = [m for m in CATALOG["data"] if "text" in m["architecture"]["output_modalities"]]
    facets = get(base, "/api/v1/models/facets", model_authors="anthropic", **everything).json()["data"]
    anthropic = [m for m in text if m["id"].startswith("anthropic/")]
    assert facets["total"] == len(anthropic)
    # The author dimension ignores its own filter: every author is counted, so the choice can change.
    authors = {m["id"].split("/")[0] for m in text}
    assert set(facets["model_authors"]) == authors
    assert facets["model_authors"]["anthropic"] == len(anthropic)
    # Other dimensions count within Anthropic's models only.
    vision = sum(1 for m in anthropic if "image" in m["architecture"]["input_modalities"])
    assert facets["input_modalities"]["image"] == vision
    assert facets["supported_parameters"]["tools"] == sum(
        1 for m in anthropic if "tools" in m["supported_parameters"]
    )
    free = sum(1 for m in anthropic if Decimal(m["pricing"]["prompt"]) == 0)
    assert facets["free"] == free
    with_free = get(base, "/api/v1/models", model_authors="anthropic", max_price="0", **everything).json()
    assert with_free["total_count"] == free  # the count is what the "free" filter leaves
    served = get(base, "/api/v1/models/facets").json()["data"]
    assert served["providers"] == {"catalogue-fake": served["total"]}
    assert sum(served["output_modalities"].values()) >= served["total"]
    assert served["output_modalities"]["embeddings"] == 1  # counted though the list shows text models
    assert get(base, "/api/v1/models/facets", input_modalities="smell").status_code == 400


def test_sorts(base: str) -> None:
    everything = {"include_unavailable": "true"}

    def weighted(i: str) -> Decimal:
        pricing = BY_ID[i]["pricing"]
        return Decimal(pricing["prompt"]) + Decimal(pricing["completion"])

    low = [
        i
        for i in ids(get(base, "/api/v1/models", sort="pricing-low-to-high", **everything))
        if weighted(i) >= 0
    ]
    assert [weighted(i) for i in low] == sorted(weighted(i) for i in low)
    high = ids(get(base, "/api/v1/models", sort="pricing-high-to-low", **everything))
    assert weighted(high[0]) == max(weighted(i) for i in high)
    context = ids(get(base, "/api/v1/models", sort="context-high-to-low", **everything))
    lengths = [BY_ID[i]["context_length"] or 0 for i in context]
    assert lengths == sorted(lengths, reverse=True)
    newest = ids(get(base, "/api/v1/models", sort="newest", **everything))
    assert [BY_ID[i]["created"] for i in newest] == sorted(
        (BY_ID[i]["created"] for i in newest), reverse=True
    )


def test_search_ranks_exact_matches_first(base: str) -> None:
    found = ids(get(base, "/api/v1/models", q="GPT-4o", include_unavailable="true"))
    assert found[0] == "openai/gpt-4o"
    assert all("gpt-4o" in i or "gpt-4o" in BY_ID[i]["name"].lower() for i in found[:5])
    by_name = ids(
        get(base, "/api/v1/models", q=BY_ID["anthropic/claude-sonnet-5"]["name"], include_unavailable="1")
    )
    assert by_name[0] == "anthropic/claude-sonnet-5"
    assert ids(get(base, "/api/v1/models", q="no-such-model-anywhere", include_unavailable="1")) == []


def test_model_detail_endpoints_and_providers(base: str) -> None:
    detail = get(base, "/api/v1/model/openai/gpt-4o").json()["data"]
    assert detail["id"] == "openai/gpt-4o" and set(detail) >= REQUIRED
    assert get(base, "/api/v1/models/openai/gpt-4o").json()["data"]["id"] == "openai/gpt-4o"
    assert get(base, "/api/v1/model/openai/gpt-4o:free").json()["data"]["id"] == "openai/gpt-4o"
    missing = get(base, "/api/v1/model/nobody/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
    endpoints = get(base, "/api/v1/models/openai/gpt-4o/endpoints").json()["data"]
    assert endpoints["id"] == "openai/gpt-4o" and len(endpoints["endpoints"]) == 1
    endpoint = endpoints["endpoints"][0]
    assert endpoint["provider_name"] == "catalogue-fake"
    assert endpoint["pricing"]["prompt"] == "0.0000025"
    assert endpoint["latency_last_30m"] is None  # no traffic yet
    unserved = get(base, "/api/v1/models/mistralai/mistral-nemo/endpoints").json()["data"]
    assert unserved["endpoints"] == []
    providers = get(base, "/api/v1/providers").json()["data"]
    slugs = [p["slug"] for p in providers]
    assert "catalogue-fake" in slugs and "openai" in slugs and slugs == sorted(slugs)
