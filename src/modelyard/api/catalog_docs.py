"""OpenAPI descriptions of the catalogue endpoints. They are plain Starlette routes for speed (app.py), which
FastAPI cannot describe; these stand-in routes are never mounted, only read when the document is built, so
the reference and the web app's generated types cover them too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

router = APIRouter(tags=["OpenRouter-compatible"])

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


@router.get("/api/v1/models", response_model=ModelList, summary="The model catalogue, filtered and sorted")
def list_models(
    filters: Filters,
    sort: SortName | None = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> None:
    """Models an enabled channel serves, newest first unless sorted. Without `offset`/`limit` every match is
    returned; with them, a page and `links.next`."""


@router.get("/api/v1/models/count", response_model=ModelCount, summary="How many models match")
def count_models(filters: Filters) -> None:
    """Takes the same filters as the list."""


@router.get("/api/v1/models/facets", response_model=FacetsOut, summary="Counts per filter value")
def model_facets(filters: Filters) -> None:
    """Takes the same filters as the list; each dimension is counted without its own filter. `free` counts
    the models whose prompt price is 0 (what `max_price=0` keeps)."""


@router.get("/api/v1/models/{author}/{slug}", response_model=ModelOut, summary="One model")
def get_model(author: str, slug: str) -> None:
    """Also at `/api/v1/model/{author}/{slug}`; 404 when the catalogue has no such model."""


@router.get(
    "/api/v1/models/{author}/{slug}/endpoints",
    response_model=ModelEndpointsOut,
    summary="A model's endpoints: each channel's price, limits, status and recent speed",
)
def get_endpoints(author: str, slug: str) -> None:
    """Uptime, latency and throughput come from this gateway's own traffic over the windows named."""


@router.get("/api/v1/providers", response_model=ProvidersOut, summary="The providers channels name")
def list_providers() -> None:
    """The catalogue's providers, and channels that name none (listed under their own name)."""
