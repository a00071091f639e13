"""The contract every upstream protocol implements, over canonical (OpenAI-shaped) requests and chunks.

The relay speaks OpenAI's chat format end to end. An adapter turns a canonical request into the upstream's
HTTP request, the upstream's answer back into a canonical `chat.completion` document, its stream into
canonical `chat.completion.chunk` dicts, and its failures into `UpstreamFailure`. Adapters are pure: no I/O,
no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from modelyard.llm.usage import Usage
from modelyard.providers.errors import UpstreamFailure


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What an adapter needs to know about the channel it calls."""

    base_url: str
    api_key: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def extra_headers(self) -> dict[str, str]:
        headers = self.options.get("headers")
        return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    # Only probes use another method (a cheap authenticated GET where the protocol has one).
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class CallContext:
    """Facts about the request that are not in its body."""

    upstream_model: str
    is_stream: bool
    # The catalogue's output limit, for protocols that require one (Anthropic's max_tokens).
    max_output_tokens: int | None = None


@dataclass
class ChatResult:
    document: dict[str, Any]  # an OpenAI `chat.completion`, before the relay's labels
    usage: Usage | None


@dataclass
class EmbeddingsResult:
    document: dict[str, Any]  # an OpenAI embeddings `list`, before the relay's labels
    usage: Usage | None


class UnsupportedFeature(Exception):
    """The request asks for something this upstream protocol cannot do: a 400, never a silent drop."""

    def __init__(self, feature: str, provider: str) -> None:
        super().__init__(f"`{feature}` is not supported by {provider} upstreams")
        self.feature = feature
        self.provider = provider


class StreamTranslator(Protocol):
    """Turns one upstream stream into canonical chunks. Fed the `data` of each SSE event in order."""

    def feed(self, data: str) -> list[dict[str, Any]]:
        """Canonical chunks for this event (possibly none). Raises UpstreamFailure on an error event."""
        ...

    @property
    def is_complete(self) -> bool:
        """The upstream said the answer is whole (OpenAI's [DONE], Anthropic's message_stop, ...)."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Usage as far as the upstream has reported it."""
        ...


class Adapter(Protocol):
    name: str
    supports_embeddings: bool
    supports_native_completions: bool

    def check_chat(self, body: dict[str, Any]) -> None:
        """Raises UnsupportedFeature for a canonical request this protocol cannot carry."""
        ...

    def chat_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest: ...

    def parse_chat(self, raw: bytes, body: dict[str, Any]) -> ChatResult: ...

    def stream_translator(self, body: dict[str, Any]) -> StreamTranslator: ...

    def classify_error(self, status: int, body: bytes, headers: Any) -> UpstreamFailure: ...

    def embeddings_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest: ...

    def parse_embeddings(self, raw: bytes, body: dict[str, Any]) -> EmbeddingsResult: ...

    def completions_request(
        self, channel: ChannelConfig, body: dict[str, Any], context: CallContext
    ) -> UpstreamRequest: ...

    def probe_request(self, channel: ChannelConfig, upstream_model: str) -> UpstreamRequest:
        """The cheapest request that proves the channel's credential (and, where the protocol allows, the
        model) works: a 2xx answer means it does."""
        ...
