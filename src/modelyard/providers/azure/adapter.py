"""Azure OpenAI: OpenAI's wire format behind per-deployment URLs. The channel's base URL is the resource
endpoint (`https://<resource>.openai.azure.com`), each served model's upstream name is its deployment, the
`api_version` channel option is sent as `api-version`, and the key travels in the `api-key` header."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from modelyard.providers.base import CallContext, ChannelConfig, UpstreamRequest
from modelyard.providers.openai_compat.adapter import OpenAIAdapter

DEFAULT_API_VERSION = "2024-10-21"


class AzureAdapter(OpenAIAdapter):
    name = "azure"

    def _url(self, channel: ChannelConfig, path: str, context: CallContext) -> str:
        version = str(channel.options.get("api_version") or DEFAULT_API_VERSION)
        deployment = quote(context.upstream_model, safe="")
        return (
            f"{channel.base_url}/openai/deployments/{deployment}/{path}?api-version={quote(version, safe='')}"
        )

    def _headers(self, channel: ChannelConfig) -> dict[str, str]:
        return {"api-key": channel.api_key, "Content-Type": "application/json", **channel.extra_headers}

    def _payload(self, channel: ChannelConfig, body: dict[str, Any], context: CallContext) -> dict[str, Any]:
        payload = super()._payload(channel, body, context)
        del payload["model"]  # the deployment in the URL names the model
        return payload

    def probe_request(self, channel: ChannelConfig, upstream_model: str) -> UpstreamRequest:
        # Azure has no cheap authenticated GET per deployment (listing deployments is the management
        # plane, with another credential), so the probe is the smallest possible chat completion.
        context = CallContext(upstream_model=upstream_model, is_stream=False)
        body = {"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
        return UpstreamRequest(
            self._url(channel, "chat/completions", context), self._headers(channel), orjson.dumps(body)
        )
