"""A fake Azure OpenAI upstream: OpenAI's protocol behind Azure's data-plane routes, auth and additions.

Operators configure the resource endpoint (``https://<resource>.openai.azure.com``), so `base_url` has no
path; requests go to ``/openai/deployments/{deployment}/{chat/completions,completions,embeddings}`` with
an ``api-version`` query parameter and an ``api-key`` header.  The deployment name plays the model's role:
directives (see tests.fakes.openai_upstream) are read from it and a body ``model`` is ignored, as Azure
does.  Responses are OpenAI's plus what Azure adds, which is what trips translators up:

- ``model`` names the underlying model (``gpt-4o-2024-08-06``), not the deployment;
- non-stream chat/completions answers carry ``prompt_filter_results`` and per-choice
  ``content_filter_results``;
- a stream starts with a chunk that has ``choices: []``, empty ``id``/``model``/``object``, ``created: 0``
  and the ``prompt_filter_results``; chunks carrying text have full ``content_filter_results``, the
  others an empty object;
- errors outside the OpenAI validation path use Azure's ``{"error": {"code", "message"}}`` shape.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

from aiohttp import web

from tests.fakes.openai_upstream import Endpoint, FakeOpenAIUpstream

__all__ = [
    "DEFAULT_AZURE_API_KEY",
    "FakeAzureOpenAIUpstream",
    "content_filter_results",
    "prompt_filter_results",
]

DEFAULT_AZURE_API_KEY: Final = "azure-upstream-test-key"
_DEPLOYMENT_ROUTE: Final = "/openai/deployments/{deployment}"
# Azure's dated API versions; anything else is routed nowhere, hence its 404.
_API_VERSION_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_OPERATIONS: Final[dict[Endpoint, str]] = {
    "chat": "ChatCompletions_Create",
    "completions": "Completions_Create",
    "embeddings": "Embeddings_Create",
}
_ACCESS_DENIED: Final = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
_SAFE: Final = {"filtered": False, "severity": "safe"}
_NOT_DETECTED: Final = {"filtered": False, "detected": False}


def prompt_filter_results(prompts: int = 1) -> list[dict[str, Any]]:
    """The `prompt_filter_results` Azure attaches for `prompts` prompts that passed every filter."""
    results = {
        "hate": _SAFE,
        "jailbreak": _NOT_DETECTED,
        "self_harm": _SAFE,
        "sexual": _SAFE,
        "violence": _SAFE,
    }
    return [{"prompt_index": i, "content_filter_results": results} for i in range(prompts)]


def content_filter_results() -> dict[str, Any]:
    """The `content_filter_results` of a choice whose generated text passed every filter."""
    return {
        "hate": _SAFE,
        "protected_material_code": _NOT_DETECTED,
        "protected_material_text": _NOT_DETECTED,
        "self_harm": _SAFE,
        "sexual": _SAFE,
        "violence": _SAFE,
    }


def _azure_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class FakeAzureOpenAIUpstream(FakeOpenAIUpstream):
    """An Azure OpenAI data-plane server on 127.0.0.1 running in a background thread.

    `chat_model`, `completions_model` and `embeddings_model` are the underlying model names responses
    report, whatever the deployment is called.  `api_key=None` accepts any (or no) key.
    """

    base_path = ""

    def __init__(
        self,
        api_key: str | None = DEFAULT_AZURE_API_KEY,
        *,
        chat_model: str = "gpt-4o-2024-08-06",
        completions_model: str = "gpt-35-turbo-instruct",
        embeddings_model: str = "text-embedding-3-small",
    ) -> None:
        super().__init__(api_key, models=())
        self._underlying: dict[Endpoint, str] = {
            "chat": chat_model,
            "completions": completions_model,
            "embeddings": embeddings_model,
        }

    def _add_api_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{_DEPLOYMENT_ROUTE}/chat/completions", self._chat_completions)
        app.router.add_post(f"{_DEPLOYMENT_ROUTE}/completions", self._completions)
        app.router.add_post(f"{_DEPLOYMENT_ROUTE}/embeddings", self._embeddings)

    def _not_found(self, request: web.Request) -> web.Response:
        return _azure_error(404, "404", "Resource not found")

    def _check_auth(self, request: web.Request) -> web.Response | None:
        # Azure routes on the api-version before it looks at credentials.
        if not _API_VERSION_RE.match(request.query.get("api-version", "")):
            return self._not_found(request)
        if self.api_key is not None and request.headers.get("api-key") != self.api_key:
            return _azure_error(401, "401", _ACCESS_DENIED)
        return None

    def _request_model(self, request: web.Request, body: dict[str, Any]) -> str | web.Response:
        return request.match_info["deployment"]

    def _response_model(self, model: str, endpoint: Endpoint) -> str:
        return self._underlying[endpoint]

    def _response_extras(self, prompts: int) -> dict[str, Any]:
        return {"prompt_filter_results": prompt_filter_results(prompts)}

    def _choice_extras(self, *, generated_text: bool) -> dict[str, Any]:
        return {"content_filter_results": content_filter_results() if generated_text else {}}

    def _stream_preamble(self, prompts: int) -> dict[str, Any] | None:
        return {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": prompt_filter_results(prompts),
        }

    def _directed_failure(self, status: int, request: web.Request, endpoint: Endpoint) -> web.Response:
        if status == 429:
            api_version = request.query.get("api-version", "")
            return _azure_error(
                429,
                "429",
                f"Requests to the {_OPERATIONS[endpoint]} Operation under Azure OpenAI API version "
                f"{api_version} have exceeded token rate limit of your current OpenAI S0 pricing tier. "
                "Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would "
                "like to further increase the default rate limit.",
                headers={"retry-after": "1"},
            )
        if status == 401:
            return _azure_error(401, "401", _ACCESS_DENIED)
        if status == 404:
            return _azure_error(
                404,
                "DeploymentNotFound",
                "The API deployment for this resource does not exist. If you created the deployment within "
                "the last 5 minutes, please wait a moment and try again.",
            )
        # Other statuses come from the model backend behind Azure, which answers in OpenAI's shape.
        return super()._directed_failure(status, request, endpoint)

    def _request_id_headers(self) -> dict[str, str]:
        return {"x-request-id": str(uuid.uuid4()), "apim-request-id": str(uuid.uuid4())}
