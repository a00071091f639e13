"""GET /models in OpenRouter's shape (which the `openai` SDK also reads), served from the catalogue cache."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelyard.errors import AppError, bad_request
from modelyard.relay.cache import GatewayCache

_OUTPUT_MODALITIES = {"text", "image", "audio", "embeddings", "video", "rerank", "speech", "transcription"}
MAX_PAGE = 1000
DEFAULT_PAGE = 500


class ModelsApi:
    def __init__(self, cache: GatewayCache) -> None:
        self._cache = cache

    async def list_models(self, request: Request) -> Response:
        params = request.query_params
        if not params:
            return Response(self._cache.catalog.list_document, media_type="application/json")
        documents = self._cache.catalog.documents
        wanted = _parse_modalities(params.get("output_modalities"))
        if wanted is not None:
            documents = [
                d for d in documents if wanted & set(d["architecture"].get("output_modalities") or [])
            ]
        elif "output_modalities" not in params:
            documents = [d for d in documents if "text" in (d["architecture"].get("output_modalities") or [])]
        required = [p.strip() for p in params.get("supported_parameters", "").split(",") if p.strip()]
        if required:
            documents = [d for d in documents if all(p in d["supported_parameters"] for p in required)]
        total = len(documents)
        next_link = None
        if "offset" in params or "limit" in params:
            offset = _int_param(params.get("offset"), "offset", 0, None) or 0
            limit = _int_param(params.get("limit"), "limit", 1, MAX_PAGE) or DEFAULT_PAGE
            documents = documents[offset : offset + limit]
            if offset + limit < total:
                next_link = f"/api/v1/models?offset={offset + limit}&limit={limit}"
        body = {"object": "list", "data": documents, "total_count": total, "links": {"next": next_link}}
        return Response(orjson.dumps(body), media_type="application/json")

    async def get_model(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        document = self._cache.catalog.by_slug.get(slug)
        if document is None:
            raise AppError(404, f"Model {slug} does not exist", metadata={"error_type": "not_found"})
        return Response(orjson.dumps(document), media_type="application/json")


def _parse_modalities(value: str | None) -> set[str] | None:
    if value is None:
        return None
    parts = {p.strip() for p in value.split(",") if p.strip()}
    if "all" in parts:
        return set(_OUTPUT_MODALITIES)
    unknown = parts - _OUTPUT_MODALITIES
    if unknown or not parts:
        raise bad_request(
            f"`output_modalities` must be `all` or a list of {', '.join(sorted(_OUTPUT_MODALITIES))}",
            field="output_modalities",
        )
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
