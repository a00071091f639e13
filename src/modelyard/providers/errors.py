"""How an upstream failure is described to the relay, whatever the provider's wire protocol."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FailureKind(StrEnum):
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    AUTH = "auth"
    BAD_REQUEST = "bad_request"
    CONTEXT_LENGTH = "context_length"
    UPSTREAM_5XX = "upstream_5xx"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    BAD_RESPONSE = "bad_response"


# What the user sees for each kind: (HTTP status, OpenRouter error_type).
_USER_FACING: dict[FailureKind, tuple[int, str]] = {
    FailureKind.RATE_LIMITED: (429, "rate_limit_exceeded"),
    FailureKind.OVERLOADED: (503, "provider_overloaded"),
    # The operator's credential is wrong, not the user's request: the gateway's upstream is failing.
    FailureKind.AUTH: (502, "provider_unavailable"),
    FailureKind.BAD_REQUEST: (400, "invalid_request"),
    FailureKind.CONTEXT_LENGTH: (400, "context_length_exceeded"),
    FailureKind.UPSTREAM_5XX: (502, "provider_unavailable"),
    FailureKind.TIMEOUT: (504, "timeout"),
    FailureKind.UNAVAILABLE: (503, "provider_unavailable"),
    FailureKind.BAD_RESPONSE: (502, "provider_unavailable"),
}


@dataclass(frozen=True)
class UpstreamFailure(Exception):
    kind: FailureKind
    message: str
    upstream_status: int | None = None
    retry_after_seconds: float | None = None

    @property
    def is_retryable(self) -> bool:
        """Worth trying on another channel: the fault is the upstream's, not the request's."""
        return self.kind not in {FailureKind.BAD_REQUEST, FailureKind.CONTEXT_LENGTH}

    @property
    def http_status(self) -> int:
        return _USER_FACING[self.kind][0]

    @property
    def error_type(self) -> str:
        return _USER_FACING[self.kind][1]


def retry_after_seconds(headers: Any) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare from LLM APIs and is ignored)."""
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
