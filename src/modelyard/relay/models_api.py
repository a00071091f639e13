"""The model catalogue in OpenRouter's shapes (`/api/v1/models`, detail, endpoints, count, providers), and the
OpenAI list at `/v1/models`, all served from the in-process catalogue cache."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelyard.errors import AppError, bad_request
from modelyard.relay.cache import GatewayCache, pricing_document

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
MAX_PAGE = 1000
DEFAULT_PAGE = 500


class ModelsApi:
    def __init__(self, cache: GatewayCache) -> None:
        self._cache = cache
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
        documents = self._filtered(params)
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
        body = {"data": {"count": len(self._filtered(request.query_params))}}
        return Response(orjson.dumps(body), media_type="application/json")

    def _filtered(self, params: Any) -> list[dict[str, Any]]:
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
                    r.channel_name.lower() in providers or r.provider in providers
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
            documents = _sorted(documents, sort)
        return documents

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
                "name": f"{route.channel_name}: {model['name']}",
                "model_id": model["canonical_slug"],
                "model_name": model["name"],
                "provider_name": route.channel_name,
                "tag": route.channel_name,
                "context_length": model.get("context_length"),
                "max_completion_tokens": (model.get("top_provider") or {}).get("max_completion_tokens"),
                "max_prompt_tokens": None,
                "pricing": pricing_document(route.price, model["pricing"])
                if route.price
                else model["pricing"],
                "quantization": None,
                "supported_parameters": model["supported_parameters"],
                "supports_implicit_caching": False,
                "supports_tool_choice": {
                    mode: "tool_choice" in model["supported_parameters"]
                    for mode in ("auto", "function", "none", "required")
                },
                "supports_diarization": False,
                "native_tools": {},
                "service_tier": None,
                "status": 0,
                # Figures from Modelyard's own traffic arrive with the routing issue; until then, unknown.
                "uptime_last_5m": None,
                "uptime_last_30m": None,
                "uptime_last_1d": None,
                "latency_last_30m": None,
                "throughput_last_30m": None,
            }
            for route in self._cache.routes.get(model["id"], [])
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
        seen: dict[str, dict[str, Any]] = {}
        for routes in self._cache.routes.values():
            for route in routes:
                seen.setdefault(
                    route.channel_name,
                    {"name": route.channel_name, "slug": route.channel_name, "privacy_policy_url": None,
                     "terms_of_service_url": None, "status_page_url": None},
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
    # Throughput, latency and popularity need Modelyard's own traffic statistics (the activity issue);
    # models with no data sort last, so for now the default order stands.
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
