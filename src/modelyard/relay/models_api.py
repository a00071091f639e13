"""The model catalogue in OpenRouter's shapes (`/api/v1/models`, detail, endpoints, count, providers), and the
OpenAI list at `/v1/models`, all served from the in-process catalogue cache."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from modelyard.errors import AppError, bad_request
from modelyard.kit.clock import utcnow
from modelyard.models import ModelStats
from modelyard.relay.cache import GatewayCache, pricing_document
from modelyard.routing.health import HealthBook
from modelyard.routing.planner import tag

_OUTPUT_MODALITIES = {"text", "image", "audio", "embeddings", "video", "rerank", "speech", "transcription"}
_INPUT_MODALITIES = {"text", "image", "file", "audio", "video"}
_SORTS = {
    "pricing-low-to-high",
    "pricing-high-to-low",
    "context-high-to-low",
    "throughput-high-to-low",
    "latency-low-to-high",
    "most-popular",
    "top-weekly",
    "newest",
}
_USAGE_TTL_SECONDS = 60.0
MAX_PAGE = 1000
DEFAULT_PAGE = 500


class ModelsApi:
    def __init__(
        self,
        cache: GatewayCache,
        health: HealthBook | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._cache = cache
        self._health = health or HealthBook()
        self._sessions = sessions
        # slug -> (requests, tokens) over the last 7 days, and when it was read.
        self._usage: tuple[float, dict[str, tuple[int, int]]] = (0.0, {})
        self._default: tuple[tuple[int, int], bytes] | None = None

    def _available(self, include_unavailable: bool) -> list[dict[str, Any]]:
        """Catalogue documents, newest first; by default only models an enabled channel serves."""
        documents = self._cache.catalog.documents
        if include_unavailable:
            return documents
        routes = self._cache.routes
        return [d for d in documents if d["id"] in routes]

    async def list_models(self, request: Request) -> Response:
        params = request.query_params
        if not params:
            # The most common call, answered from bytes built once per catalogue or channel change.
            key = (id(self._cache.catalog), id(self._cache.routes))
            if self._default is None or self._default[0] != key:
                documents = [d for d in self._available(False) if _outputs(d) & {"text"}]
                self._default = (key, _list_body(documents, len(documents), None))
            return Response(self._default[1], media_type="application/json")
        documents = self._filtered(params, await self._weekly_usage(params.get("sort")))
        total = len(documents)
        next_link = None
        if "offset" in params or "limit" in params:
            offset = _int_param(params.get("offset"), "offset", 0, None) or 0
            limit = _int_param(params.get("limit"), "limit", 1, MAX_PAGE) or DEFAULT_PAGE
            documents = documents[offset : offset + limit]
            if offset + limit < total:
                next_link = f"/api/v1/models?offset={offset + limit}&limit={limit}"
        return Response(_list_body(documents, total, next_link), media_type="application/json")

    async def count_models(self, request: Request) -> Response:
        body = {"data": {"count": len(self._filtered(request.query_params, {}))}}
        return Response(orjson.dumps(body), media_type="application/json")

    async def facets(self, request: Request) -> Response:
        """For each filter dimension, how many models each value would leave given the other filters (the
        dimension's own filter left out, so a chosen value never hides its alternatives)."""
        params = {k: v for k, v in request.query_params.items() if k not in ("sort", "offset", "limit")}
        result: dict[str, Any] = {}
        for name in _FACETS:
            others = {k: v for k, v in params.items() if k != name}
            if name == "output_modalities":
                others[name] = "all"
            counts: dict[str, int] = {}
            for document in self._filtered(others, {}):
                for value in self._facet_values(document, name):
                    counts[value] = counts.get(value, 0) + 1
            result[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        matching = self._filtered(params, {})
        result["total"] = len(matching)
        unpriced = {k: v for k, v in params.items() if k not in ("min_price", "max_price")}
        result["free"] = sum(1 for d in self._filtered(unpriced, {}) if _is_free(d))
        return Response(orjson.dumps({"data": result}), media_type="application/json")

    def _facet_values(self, document: dict[str, Any], name: str) -> set[str]:
        if name == "input_modalities":
            return set(document["architecture"].get("input_modalities") or [])
        if name == "output_modalities":
            return _outputs(document)
        if name == "supported_parameters":
            return set(document["supported_parameters"])
        if name == "model_authors":
            return {document["id"].split("/", 1)[0]}
        return {r.provider_slug or r.channel_name for r in self._cache.routes.get(document["id"], [])}

    async def _weekly_usage(self, sort: str | None) -> dict[str, tuple[int, int]]:
        """Requests and tokens per model over the last 7 days, for the popularity sorts; read from the
        site-wide hourly rollups at most once a minute."""
        if sort not in ("most-popular", "top-weekly") or self._sessions is None:
            return {}
        read_at, usage = self._usage
        if time.monotonic() - read_at < _USAGE_TTL_SECONDS:
            return usage
        since = utcnow() - timedelta(days=7)
        tokens = func.sum(ModelStats.prompt_tokens + ModelStats.completion_tokens)
        async with self._sessions() as session:
            rows = await session.execute(
                select(ModelStats.model_slug, func.sum(ModelStats.requests - ModelStats.errors), tokens)
                .where(ModelStats.hour >= since)
                .group_by(ModelStats.model_slug)
            )
            usage = {slug: (int(count or 0), int(total or 0)) for slug, count, total in rows}
        self._usage = (time.monotonic(), usage)
        return usage

    def _filtered(self, params: Any, usage: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
        include_unavailable = str(params.get("include_unavailable", "")).lower() in ("1", "true", "yes")
        documents = self._available(include_unavailable)
        outputs = _parse_set(params.get("output_modalities"), "output_modalities", _OUTPUT_MODALITIES)
        documents = [d for d in documents if _outputs(d) & (outputs if outputs is not None else {"text"})]
        inputs = _parse_set(params.get("input_modalities"), "input_modalities", _INPUT_MODALITIES)
        if inputs is not None:
            documents = [
                d for d in documents if inputs <= set(d["architecture"].get("input_modalities") or [])
            ]
        required = _csv(params.get("supported_parameters"))
        if required:
            documents = [d for d in documents if all(p in d["supported_parameters"] for p in required)]
        authors = {a.lower() for a in _csv(params.get("model_authors"))}
        if authors:
            documents = [d for d in documents if d["id"].split("/", 1)[0].lower() in authors]
        providers = {p.lower() for p in _csv(params.get("providers"))}
        if providers:
            routes = self._cache.routes
            documents = [
                d
                for d in documents
                if any(
                    r.channel_name.lower() in providers
                    or r.provider in providers
                    or r.provider_slug in providers
                    for r in routes.get(d["id"], [])
                )
            ]
        context = _int_param(params.get("context"), "context", 0, None)
        if context:
            documents = [d for d in documents if (d.get("context_length") or 0) >= context]
        low = _price_param(params.get("min_price"), "min_price")
        high = _price_param(params.get("max_price"), "max_price")
        if low is not None or high is not None:
            documents = [d for d in documents if _price_within(_prompt_per_mtok(d), low, high)]
        query = (params.get("q") or "").strip().lower()
        if query:
            documents = _search(documents, query)
        sort = params.get("sort")
        if sort is not None:
            if sort not in _SORTS:
                raise bad_request(f"`sort` must be one of {', '.join(sorted(_SORTS))}", field="sort")
            documents = self._sorted(documents, sort, usage)
        return documents

    def _sorted(
        self, documents: list[dict[str, Any]], sort: str, usage: dict[str, tuple[int, int]]
    ) -> list[dict[str, Any]]:
        if sort in ("most-popular", "top-weekly"):
            index = 0 if sort == "most-popular" else 1
            # Stable: models nobody used keep the catalogue's order (newest first) after the used ones.
            return sorted(documents, key=lambda d: -usage.get(d["id"], (0, 0))[index])
        if sort in ("latency-low-to-high", "throughput-high-to-low"):
            figures = {d["id"]: self._best(d["id"], sort) for d in documents}
            known = [d for d in documents if figures[d["id"]] is not None]
            known.sort(key=lambda d: figures[d["id"]] or 0.0)
            return known + [d for d in documents if figures[d["id"]] is None]
        return _sorted(documents, sort)

    def _best(self, slug: str, sort: str) -> float | None:
        """The model's best endpoint over the last 30 minutes: lowest p50 latency, or highest p50
        throughput (negated, so both sort ascending); None without traffic."""
        best: float | None = None
        for route in self._cache.routes.get(slug, []):
            health = self._health.health(route.channel_id, slug)
            if sort == "latency-low-to-high":
                value = health.latency_30m.p50 if health.latency_30m else None
            else:
                value = -health.throughput_30m.p50 if health.throughput_30m else None
            if value is not None and (best is None or value < best):
                best = value
        return best

    async def get_model(self, request: Request) -> Response:
        """`/v1/models/{id}`: the bare model, as the `openai` SDK's `models.retrieve` reads it."""
        return Response(
            orjson.dumps(self._lookup(request.path_params["slug"])), media_type="application/json"
        )

    async def get_model_data(self, request: Request) -> Response:
        """`/api/v1/model/{author}/{slug}` and `/api/v1/models/{author}/{slug}`: `{"data": model}`."""
        slug = f"{request.path_params['author']}/{request.path_params['slug']}"
        return Response(orjson.dumps({"data": self._lookup(slug)}), media_type="application/json")

    async def get_endpoints(self, request: Request) -> Response:
        slug = f"{request.path_params['author']}/{request.path_params['slug']}"
        model = self._lookup(slug)
        endpoints = [
            {
                "name": f"{route.provider_name or route.channel_name}: {model['name']}",
                "model_id": model["canonical_slug"],
                "model_name": model["name"],
                "provider_name": route.provider_name or route.channel_name,
                "tag": tag(route),
                "context_length": route.context_length or model.get("context_length"),
                "max_completion_tokens": route.max_completion_tokens
                or (model.get("top_provider") or {}).get("max_completion_tokens"),
                "max_prompt_tokens": None,
                "pricing": pricing_document(route.price, model["pricing"])
                if route.price
                else model["pricing"],
                "quantization": route.options.get("quantization"),
                "supported_parameters": model["supported_parameters"],
                "supports_implicit_caching": False,
                "supports_tool_choice": {
                    mode: "tool_choice" in model["supported_parameters"]
                    for mode in ("auto", "function", "none", "required")
                },
                "supports_diarization": False,
                "native_tools": {},
                "service_tier": None,
                "status": 0 if health.is_routable else -1,
                # Figures from this gateway's own traffic (null until it has some).
                "uptime_last_5m": health.uptime_5m,
                "uptime_last_30m": health.uptime_30m,
                "uptime_last_1d": health.uptime_1d,
                "latency_last_30m": health.latency_30m.as_dict() if health.latency_30m else None,
                "throughput_last_30m": health.throughput_30m.as_dict() if health.throughput_30m else None,
            }
            for route in self._cache.routes.get(model["id"], [])
            for health in (self._health.health(route.channel_id, model["id"]),)
        ]
        body = {
            "data": {
                "id": model["id"],
                "name": model["name"],
                "created": model["created"],
                "description": model["description"],
                "architecture": model["architecture"],
                "endpoints": endpoints,
            }
        }
        return Response(orjson.dumps(body), media_type="application/json")

    async def list_providers(self, request: Request) -> Response:
        """The catalogue's providers, and channels that name none (listed under their own name)."""
        seen: dict[str, dict[str, Any]] = dict(self._cache.providers)
        for routes in self._cache.routes.values():
            for route in routes:
                if route.provider_slug is None:
                    seen.setdefault(
                        route.channel_name,
                        {"name": route.channel_name, "slug": route.channel_name, "privacy_policy_url": None,
                         "terms_of_service_url": None, "status_page_url": None, "headquarters": None},
                    )  # fmt: skip
        body = {"data": sorted(seen.values(), key=lambda p: p["slug"])}
        return Response(orjson.dumps(body), media_type="application/json")

    def _lookup(self, slug: str) -> dict[str, Any]:
        by_slug = self._cache.catalog.by_slug
        document = by_slug.get(slug)
        if document is None and ":" in slug:
            # Variant suffixes (`:free`, `:thinking`, ...) resolve to the variant when it is catalogued,
            # otherwise to the base model.
            document = by_slug.get(slug.split(":", 1)[0])
        if document is None:
            raise AppError(404, f"Model {slug} does not exist", metadata={"error_type": "not_found"})
        return document


_FACETS = ("input_modalities", "output_modalities", "supported_parameters", "model_authors", "providers")


def _is_free(document: dict[str, Any]) -> bool:
    """What `max_price=0` keeps: a prompt price of 0 (the catalogue's free models are free both ways)."""
    return _prompt_per_mtok(document) == 0


def _list_body(documents: list[dict[str, Any]], total: int, next_link: str | None) -> bytes:
    return orjson.dumps(
        {"object": "list", "data": documents, "total_count": total, "links": {"next": next_link}}
    )


def _outputs(document: dict[str, Any]) -> set[str]:
    return set(document["architecture"].get("output_modalities") or [])


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _parse_set(value: str | None, name: str, allowed: set[str]) -> set[str] | None:
    if value is None:
        return None
    parts = set(_csv(value))
    if "all" in parts:
        return set(allowed)
    if not parts or parts - allowed:
        raise bad_request(f"`{name}` must be `all` or a list of {', '.join(sorted(allowed))}", field=name)
    return parts


def _int_param(value: Any, name: str, low: int, high: int | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"`{name}` must be an integer", field=name) from None
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"`{name}` must be {bound}", field=name)
    return number


def _price_param(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        price = Decimal(value)
    except ArithmeticError:
        raise bad_request(f"`{name}` must be a price in USD per million tokens", field=name) from None
    if not price.is_finite() or price < 0:
        raise bad_request(f"`{name}` must be a price in USD per million tokens", field=name)
    return price


def _prompt_per_mtok(document: dict[str, Any]) -> Decimal | None:
    price = Decimal(str(document["pricing"].get("prompt", "0")))
    return None if price < 0 else price * 1_000_000


def _price_within(price: Decimal | None, low: Decimal | None, high: Decimal | None) -> bool:
    if price is None:
        return False
    return (low is None or price >= low) and (high is None or price <= high)


def _weighted_price(document: dict[str, Any]) -> Decimal | None:
    pricing = document["pricing"]
    prompt, completion = (
        Decimal(str(pricing.get("prompt", "0"))),
        Decimal(str(pricing.get("completion", "0"))),
    )
    if prompt < 0 or completion < 0:
        return None  # unpriced routers sort last
    return prompt + completion


def _sorted(documents: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort in ("pricing-low-to-high", "pricing-high-to-low"):
        priced = [d for d in documents if _weighted_price(d) is not None]
        unpriced = [d for d in documents if _weighted_price(d) is None]
        priced.sort(key=lambda d: _weighted_price(d) or Decimal(0), reverse=sort == "pricing-high-to-low")
        return priced + unpriced
    if sort == "context-high-to-low":
        return sorted(documents, key=lambda d: -(d.get("context_length") or 0))
    if sort == "newest":
        return sorted(documents, key=lambda d: -(d.get("created") or 0))
    return documents


def _search(documents: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Case-insensitive match on slug, name, author and description, best matches first: exact slug or name,
    then prefixes, then words inside the slug or name, then the description."""
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for position, document in enumerate(documents):
        slug = document["id"].lower()
        name = (document.get("name") or "").lower()
        short = slug.split("/", 1)[-1]
        author = slug.split("/", 1)[0]
        if query in (slug, name, short):
            rank = 0
        elif slug.startswith(query) or short.startswith(query) or name.startswith(query):
            rank = 1
        elif query in slug or query in name:
            rank = 2
        elif query == author:
            rank = 3
        elif query in (document.get("description") or "").lower():
            rank = 4
        else:
            continue
        ranked.append((rank, position, document))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [document for _, _, document in ranked]
