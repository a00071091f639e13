"""How one request wants to be routed: OpenRouter's `provider` object, model suffixes (`:floor`, `:nitro`),
the user's preference and the deployment's default, merged into one RoutingPolicy. Bad values are refused
with the field named."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation
from typing import Any

from modelyard.errors import AppError, bad_request

STRATEGIES = ("default", "price", "latency", "throughput", "weighted")
# OpenRouter's `sort` values, mapped onto ours (`exacto` = tool-calling quality, which we do not measure).
_SORTS = {"price": "price", "throughput": "throughput", "latency": "latency"}
SUFFIX_STRATEGIES = {"floor": "price", "nitro": "throughput"}
QUANTIZATIONS = frozenset(
    {"int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"}
)
PERCENTILES = ("p50", "p75", "p90", "p99")
_PROVIDER_FIELDS = frozenset(
    {
        "order", "allow_fallbacks", "only", "ignore", "sort", "require_parameters", "max_price",
        "preferred_min_throughput", "preferred_max_latency", "quantizations", "data_collection", "zdr",
        "enforce_distillable_text", "experimental",
    }
)  # fmt: skip
_NANOS_PER_USD = Decimal(10**9)
_MAX_PRICE_USD = Decimal(10**9)  # far above any real price; keeps the arithmetic small
_EXACT = Context(prec=60)


@dataclass(frozen=True, slots=True)
class MaxPrice:
    """Ceilings in nano-USD: per million tokens for prompt and completion, per unit for the rest."""

    prompt_per_mtok_nanos: int | None = None
    completion_per_mtok_nanos: int | None = None
    request_nanos: int | None = None


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    strategy: str = "default"
    order: tuple[str, ...] = ()
    allow_fallbacks: bool = True
    only: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    require_parameters: bool = False
    max_price: MaxPrice | None = None
    # percentile -> floor (tokens/s) or ceiling (ms); endpoints that miss are tried after those that meet.
    min_throughput: dict[str, float] = field(default_factory=dict)
    max_latency_ms: dict[str, float] = field(default_factory=dict)
    quantizations: frozenset[str] | None = None
    deny_data_collection: bool = False  # only endpoints known not to train on or keep prompts
    zdr: bool = False  # only endpoints known to retain nothing


def split_suffix(model: str) -> tuple[str, str | None]:
    """`openai/gpt-4o:nitro` -> (`openai/gpt-4o`, `throughput`); other suffixes stay part of the slug."""
    base, sep, suffix = model.rpartition(":")
    if sep and suffix in SUFFIX_STRATEGIES:
        return base, SUFFIX_STRATEGIES[suffix]
    return model, None


def check_strategy(value: str, name: str) -> str:
    if value not in STRATEGIES:
        raise bad_request(f"`{name}` must be one of {', '.join(STRATEGIES)}", field=name)
    return value


def parse_policy(
    provider: Any, *, fallback_strategy: str, suffix_strategy: str | None = None
) -> RoutingPolicy:
    """The request's `provider` object (may be None) over the suffix's, the user's or the deployment's
    strategy. Unknown fields are refused: a typo must not silently route somewhere the user did not want."""
    strategy = suffix_strategy or fallback_strategy
    if provider is None:
        return RoutingPolicy(strategy=strategy)
    if not isinstance(provider, dict):
        raise bad_request("`provider` must be an object", field="provider")
    unknown = set(provider) - _PROVIDER_FIELDS
    if unknown:
        raise bad_request(
            f"unknown `provider` field(s): {', '.join(sorted(unknown))}",
            field=f"provider.{sorted(unknown)[0]}",
        )
    sort = provider.get("sort")
    if sort is not None:
        by = sort.get("by") if isinstance(sort, dict) else sort
        if not isinstance(by, str) or by not in _SORTS:
            raise bad_request(
                "`provider.sort` must be price, throughput or latency, or {by, partition}",
                field="provider.sort",
            )
        if isinstance(sort, dict) and sort.get("partition") not in (None, "model", "none"):
            raise bad_request("`provider.sort.partition` must be model or none", field="provider.sort")
        strategy = _SORTS[by]
    allow = provider.get("allow_fallbacks")
    if allow is not None and not isinstance(allow, bool):
        raise bad_request("`provider.allow_fallbacks` must be a boolean", field="provider.allow_fallbacks")
    require = provider.get("require_parameters")
    if require is not None and not isinstance(require, bool):
        raise bad_request(
            "`provider.require_parameters` must be a boolean", field="provider.require_parameters"
        )
    quantizations = None
    if provider.get("quantizations"):  # an empty list filters nothing, like empty only/ignore/order
        quantizations = frozenset(_slugs(provider, "quantizations"))
        if quantizations - QUANTIZATIONS:
            raise bad_request(
                f"`provider.quantizations` values must be among {', '.join(sorted(QUANTIZATIONS))}",
                field="provider.quantizations",
            )
    collection = provider.get("data_collection")
    if collection not in (None, "allow", "deny"):
        raise bad_request(
            "`provider.data_collection` must be allow or deny", field="provider.data_collection"
        )
    for flag in ("zdr", "enforce_distillable_text"):
        if provider.get(flag) is not None and not isinstance(provider[flag], bool):
            raise bad_request(f"`provider.{flag}` must be a boolean", field=f"provider.{flag}")
    return RoutingPolicy(
        strategy=strategy,
        deny_data_collection=collection == "deny",
        zdr=bool(provider.get("zdr")),
        order=tuple(_slugs(provider, "order")),
        allow_fallbacks=True if allow is None else allow,
        only=frozenset(_slugs(provider, "only")),
        ignore=frozenset(_slugs(provider, "ignore")),
        require_parameters=bool(require),
        max_price=_max_price(provider.get("max_price")),
        min_throughput=_preference(provider.get("preferred_min_throughput"), "preferred_min_throughput", 1.0),
        max_latency_ms=_preference(provider.get("preferred_max_latency"), "preferred_max_latency", 1000.0),
        quantizations=quantizations,
    )


def _slugs(provider: dict[str, Any], name: str) -> list[str]:
    value = provider.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise bad_request(f"`provider.{name}` must be an array of strings", field=f"provider.{name}")
    return [v.strip().lower() for v in value]


def _max_price(value: Any) -> MaxPrice | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("`provider.max_price` must be an object", field="provider.max_price")
    allowed = {"prompt", "completion", "request", "image", "audio"}
    unknown = set(value) - allowed
    if unknown:
        raise bad_request(
            f"`provider.max_price` knows {', '.join(sorted(allowed))}", field="provider.max_price"
        )
    nanos = {name: _usd_nanos(value.get(name), f"provider.max_price.{name}") for name in allowed}
    # Modelyard bills no image or audio units, so ceilings on them hold for every endpoint (checked only
    # for their shape).
    return MaxPrice(
        prompt_per_mtok_nanos=nanos["prompt"],
        completion_per_mtok_nanos=nanos["completion"],
        request_nanos=nanos["request"],
    )


def _usd_nanos(value: Any, name: str) -> int | None:
    """USD (per million tokens for prompt/completion, per unit otherwise) as nano-USD, rounded down: a
    ceiling must never admit an endpoint above it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad_request(f"`{name}` must be a number of USD", field=name)
    try:
        usd = Decimal(str(value))
    except InvalidOperation:
        raise bad_request(f"`{name}` must be a number of USD", field=name) from None
    if not usd.is_finite() or usd < 0:
        raise bad_request(f"`{name}` must be a non-negative number of USD", field=name)
    if usd > _MAX_PRICE_USD:
        raise bad_request(f"`{name}` must be at most {_MAX_PRICE_USD} USD", field=name)
    # Exact, then floored: a ceiling must never round up past what the user wrote.
    return int(_EXACT.multiply(usd, _NANOS_PER_USD).to_integral_value(rounding=ROUND_FLOOR, context=_EXACT))


def _preference(value: Any, name: str, scale: float) -> dict[str, float]:
    """A number (the p50) or {p50?, p75?, p90?, p99?}; latency arrives in seconds and is kept in ms."""
    field_name = f"provider.{name}"
    if value is None:
        return {}
    if isinstance(value, bool):
        raise bad_request(f"`{field_name}` must be a number or an object of percentiles", field=field_name)
    if isinstance(value, int | float):
        items: dict[str, Any] = {"p50": value}
    elif isinstance(value, dict) and value and set(value) <= set(PERCENTILES):
        items = value
    else:
        raise bad_request(
            f"`{field_name}` must be a number or an object with p50, p75, p90 or p99", field=field_name
        )
    result: dict[str, float] = {}
    for percentile, number in items.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise bad_request(f"`{field_name}.{percentile}` must be a non-negative number", field=field_name)
        result[percentile] = float(number) * scale
    return result


def no_route(
    model: str, reasons: dict[str, list[str]], *, status: int = 404, retry_after: float | None = None
) -> AppError:
    """OpenRouter's availability error: which constraint removed which endpoints."""
    excluded_by = sorted(reasons)
    code = "constraint_filtered" if status == 404 else "temporarily_unavailable"
    detail = "; ".join(f"{reason}: {', '.join(tags)}" for reason, tags in sorted(reasons.items()))
    message = (
        f"No endpoint of {model} matches this request's routing constraints ({detail})"
        if status == 404
        else f"Every endpoint of {model} is temporarily unavailable ({detail})"
    )
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return AppError(
        status,
        message,
        metadata={
            "error_type": "not_found" if status == 404 else "provider_unavailable",
            "availability": {
                "code": code,
                "retryable": status != 404,
                "requested_models": [model],
                "excluded_by": excluded_by,
                "affected_providers": sorted({t for tags in reasons.values() for t in tags}),
                "docs_url": "/docs#routing",
                **({"retry_after": round(retry_after, 1)} if retry_after else {}),
            },
        },
        headers=headers,
    )
