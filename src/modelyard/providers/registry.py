"""Provider protocols by the name channels use. A new OpenAI-compatible provider needs no entry here: it is a
channel with `--provider openai` and its base URL."""

from __future__ import annotations

from modelyard.providers.anthropic.adapter import AnthropicAdapter
from modelyard.providers.azure.adapter import AzureAdapter
from modelyard.providers.base import Adapter
from modelyard.providers.gemini.adapter import GeminiAdapter
from modelyard.providers.openai_compat.adapter import OpenAIAdapter

ADAPTERS: dict[str, Adapter] = {
    "openai": OpenAIAdapter(),
    "azure": AzureAdapter(),
    "anthropic": AnthropicAdapter(),
    "gemini": GeminiAdapter(),
}
