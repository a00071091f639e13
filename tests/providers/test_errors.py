"""Each protocol's error bodies become the same failure kinds, which decide failover and what users see."""

from __future__ import annotations

import json

import pytest

from modelyard.providers.errors import FailureKind
from modelyard.providers.registry import ADAPTERS


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def openai_error(message: str, kind: str = "invalid_request_error", code: str | None = None) -> bytes:
    return body({"error": {"message": message, "type": kind, "param": None, "code": code}})


def anthropic_error(kind: str, message: str) -> bytes:
    return body({"type": "error", "error": {"type": kind, "message": message}})


def gemini_error(code: int, status: str, message: str, reason: str | None = None) -> bytes:
    error: dict[str, object] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return body({"error": error})


@pytest.mark.parametrize(
    ("provider", "status", "raw", "headers", "kind", "message"),
    [
        ("openai", 429, openai_error("Rate limit reached", "requests"), {"retry-after": "7"}, FailureKind.RATE_LIMITED, "Rate limit reached"),
        ("openai", 400, openai_error("This model's maximum context length is 8192 tokens", code="context_length_exceeded"), {}, FailureKind.CONTEXT_LENGTH, "maximum context length"),
        ("openai", 400, openai_error("Invalid value for 'temperature'"), {}, FailureKind.BAD_REQUEST, "temperature"),
        ("openai", 401, openai_error("Incorrect API key provided", code="invalid_api_key"), {}, FailureKind.AUTH, "Incorrect API key"),
        ("openai", 500, openai_error("The server had an error", "server_error"), {}, FailureKind.UPSTREAM_5XX, "server had an error"),
        ("openai", 503, b"<html>Service Unavailable</html>", {}, FailureKind.OVERLOADED, "Service Unavailable"),
        ("openai", 504, b"", {}, FailureKind.TIMEOUT, "no error body"),
        ("azure", 401, body({"error": {"code": "401", "message": "Access denied due to invalid subscription key"}}), {}, FailureKind.AUTH, "Access denied"),
        ("anthropic", 529, anthropic_error("overloaded_error", "Overloaded"), {}, FailureKind.OVERLOADED, "Overloaded"),
        ("anthropic", 429, anthropic_error("rate_limit_error", "Number of requests has exceeded your rate limit"), {"retry-after": "3"}, FailureKind.RATE_LIMITED, "rate limit"),
        ("anthropic", 400, anthropic_error("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), {}, FailureKind.CONTEXT_LENGTH, "prompt is too long"),
        ("anthropic", 400, anthropic_error("invalid_request_error", "messages: roles must alternate"), {}, FailureKind.BAD_REQUEST, "roles must alternate"),
        ("anthropic", 401, anthropic_error("authentication_error", "invalid x-api-key"), {}, FailureKind.AUTH, "invalid x-api-key"),
        ("anthropic", 500, anthropic_error("api_error", "Internal server error"), {}, FailureKind.UPSTREAM_5XX, "Internal server error"),
        ("gemini", 400, gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"), {}, FailureKind.AUTH, "API key not valid"),
        ("gemini", 400, gemini_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."), {}, FailureKind.BAD_REQUEST, "Invalid JSON payload"),
        ("gemini", 429, gemini_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted"), {"retry-after": "1"}, FailureKind.RATE_LIMITED, "exhausted"),
        ("gemini", 503, gemini_error(503, "UNAVAILABLE", "The model is overloaded."), {}, FailureKind.OVERLOADED, "overloaded"),
        ("gemini", 500, body([{"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}]), {}, FailureKind.UPSTREAM_5XX, "Internal error"),
    ],
)  # fmt: skip
def test_error_bodies_are_classified(
    provider: str, status: int, raw: bytes, headers: dict[str, str], kind: FailureKind, message: str
) -> None:
    failure = ADAPTERS[provider].classify_error(status, raw, headers)
    assert failure.kind == kind
    assert message in failure.message
    assert failure.upstream_status == status
    if "retry-after" in headers:
        assert failure.retry_after_seconds == float(headers["retry-after"])


def test_only_request_faults_are_not_retried_elsewhere() -> None:
    adapter = ADAPTERS["openai"]
    assert not adapter.classify_error(400, openai_error("bad"), {}).is_retryable
    assert adapter.classify_error(500, openai_error("boom", "server_error"), {}).is_retryable
    assert adapter.classify_error(429, openai_error("slow down"), {}).is_retryable
    assert adapter.classify_error(
        401, openai_error("key"), {}
    ).is_retryable  # another channel has another key
