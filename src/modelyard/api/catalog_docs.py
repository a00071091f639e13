"""OpenAPI descriptions of the catalogue endpoints. They are plain Starlette routes for speed (app.py), which
FastAPI cannot describe; these stand-in routes are never mounted, only read when the document is built, so
the reference and the web app's generated types cover them too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict

from modelyard.api.openapi import OPENAI, OPENROUTER, errors

SortName = Literal[
    "pricing-low-to-high",
    "pricing-high-to-low",
    "context-high-to-low",
    "throughput-high-to-low",
    "latency-low-to-high",
    "most-popular",
    "top-weekly",
    "newest",
]


class Architecture(BaseModel):
    model_config = ConfigDict(extra="allow")
    modality: str | None = None
    input_modalities: list[str] = []
    output_modalities: list[str] = []
    tokenizer: str | None = None
    instruct_type: str | None = None


class Pricing(BaseModel):
    """USD per token (per request, per image) as decimal strings; "-1" when the model has no price."""

    model_config = ConfigDict(extra="allow")
    prompt: str
    completion: str
    request: str | None = None
    image: str | None = None
    web_search: str | None = None
    internal_reasoning: str | None = None
    input_cache_read: str | None = None
    input_cache_write: str | None = None


class TopProvider(BaseModel):
    context_length: int | None = None
    max_completion_tokens: int | None = None
    is_moderated: bool | None = None


class Model(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    object: Literal["model"] = "model"
    owned_by: str
    canonical_slug: str
    hugging_face_id: str | None = None
    name: str
    created: int
    description: str | None = None
    context_length: int | None = None
    architecture: Architecture
    pricing: Pricing
    top_provider: TopProvider
    per_request_limits: dict[str, Any] | None = None
    supported_parameters: list[str]
    default_parameters: dict[str, Any] | None = None
    supported_voices: list[str] | None = None
    knowledge_cutoff: str | None = None
    expiration_date: str | None = None
    links: dict[str, str]


class Links(BaseModel):
    next: str | None = None


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]
    total_count: int
    links: Links


class ModelCount(BaseModel):
    class Count(BaseModel):
        count: int

    data: Count


class Facets(BaseModel):
    """How many models each filter value would leave, given every other filter of the query."""

    input_modalities: dict[str, int]
    output_modalities: dict[str, int]
    supported_parameters: dict[str, int]
    model_authors: dict[str, int]
    providers: dict[str, int]
    free: int
    total: int


class FacetsOut(BaseModel):
    data: Facets


class ModelOut(BaseModel):
    data: Model


class Percentiles(BaseModel):
    p50: float
    p75: float
    p90: float
    p99: float


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    model_id: str
    model_name: str
    provider_name: str
    tag: str
    context_length: int | None = None
    max_completion_tokens: int | None = None
    max_prompt_tokens: int | None = None
    pricing: Pricing
    quantization: str | None = None
    supported_parameters: list[str]
    status: int
    uptime_last_5m: float | None = None
    uptime_last_30m: float | None = None
    uptime_last_1d: float | None = None
    latency_last_30m: Percentiles | None = None
    throughput_last_30m: Percentiles | None = None


class ModelEndpoints(BaseModel):
    id: str
    name: str
    created: int
    description: str | None = None
    architecture: Architecture
    endpoints: list[Endpoint]


class ModelEndpointsOut(BaseModel):
    data: ModelEndpoints


class Provider(BaseModel):
    name: str
    slug: str
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None
    status_page_url: str | None = None
    headquarters: str | None = None


class ProvidersOut(BaseModel):
    data: list[Provider]


CsvQuery = Annotated[str | None, Query(description="Comma-separated values")]


def model_filters(
    q: Annotated[str | None, Query(description="Search slug, name, author and description")] = None,
    input_modalities: CsvQuery = None,
    output_modalities: Annotated[
        str | None, Query(description="Comma-separated; `all`; default text")
    ] = None,
    supported_parameters: CsvQuery = None,
    model_authors: CsvQuery = None,
    providers: CsvQuery = None,
    context: Annotated[int | None, Query(ge=0, description="Minimum context length")] = None,
    min_price: Annotated[str | None, Query(description="USD per million prompt tokens")] = None,
    max_price: Annotated[
        str | None, Query(description="USD per million prompt tokens; 0: free models")
    ] = None,
    include_unavailable: bool = False,
) -> None:
    """The filters the list, the count and the facets share."""


Filters = Annotated[None, Depends(model_filters)]


def list_models(
    filters: Filters,
    sort: SortName | None = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> None:
    """Models an enabled channel serves, newest first unless sorted. Without `offset`/`limit` every match is
    returned; with them, a page and `links.next`."""


def count_models(filters: Filters) -> None:
    """Takes the same filters as the list."""


def model_facets(filters: Filters) -> None:
    """Takes the same filters as the list; each dimension is counted without its own filter. `free` counts
    the models whose prompt price is 0 (what `max_price=0` keeps)."""


def get_model(author: str, slug: str) -> None:
    """`{"data": model}`; the same at `/api/v1/model/{author}/{slug}` and `/api/v1/models/{author}/{slug}`."""


def retrieve_model(
    slug: Annotated[str, Path(description="The model's id, slash included: `/v1/models/openai/gpt-4o`")],
) -> None:
    """The bare model object, as the `openai` SDK's `models.retrieve` reads it."""


def get_endpoints(author: str, slug: str) -> None:
    """Uptime, latency and throughput come from this gateway's own traffic over the windows named."""


def list_providers() -> None:
    """The catalogue's providers, and channels that name none (listed under their own name)."""


_NO_MODEL = errors(404, s404="The catalogue has no such model")


def catalogue_router(prefix: str, tag: str) -> APIRouter:
    """The list, the count and the facets: the same handlers answer under `/v1` and `/api/v1`."""
    router = APIRouter(tags=[tag])
    router.add_api_route(
        f"{prefix}/models",
        list_models,
        methods=["GET"],
        response_model=ModelList,
        summary="The model catalogue, filtered and sorted",
    )
    router.add_api_route(
        f"{prefix}/models/count", count_models, methods=["GET"], response_model=ModelCount,
        summary="How many models match",
    )  # fmt: skip
    router.add_api_route(
        f"{prefix}/models/facets", model_facets, methods=["GET"], response_model=FacetsOut,
        summary="Counts per filter value",
    )  # fmt: skip
    return router


openai_router = catalogue_router("/v1", OPENAI)
openai_router.add_api_route(
    "/v1/models/{slug}", retrieve_model, methods=["GET"], response_model=Model, summary="One model",
    responses=_NO_MODEL,
)  # fmt: skip

router = catalogue_router("/api/v1", OPENROUTER)
for _path in ("/api/v1/models/{author}/{slug}", "/api/v1/model/{author}/{slug}"):
    router.add_api_route(
        _path, get_model, methods=["GET"], response_model=ModelOut, summary="One model", responses=_NO_MODEL
    )
router.add_api_route(
    "/api/v1/models/{author}/{slug}/endpoints",
    get_endpoints,
    methods=["GET"],
    response_model=ModelEndpointsOut,
    summary="A model's endpoints: each channel's price, limits, status and recent speed",
    responses=_NO_MODEL,
)
router.add_api_route(
    "/api/v1/providers", list_providers, methods=["GET"], response_model=ProvidersOut,
    summary="The providers channels name",
)  # fmt: skip

ROUTERS = (openai_router, router)
