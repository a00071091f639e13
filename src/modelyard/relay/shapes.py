"""Reshaping between OpenAI's answer shapes: legacy text completions carried over chat, and the sizes of
answers used to estimate usage an upstream did not report."""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.providers.base import UnsupportedFeature

# Legacy-completion fields with no chat counterpart.
_COMPLETION_ONLY = ("prompt", "echo", "suffix", "best_of", "logprobs")


def completion_as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A legacy completion request as a chat request: the prompt becomes one user message."""
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        if len(prompt) != 1 or not isinstance(prompt[0], str):
            raise UnsupportedFeature(
                "several prompts or token-id prompts in one completion request", "chat-only"
            )
        prompt = prompt[0]
    for name in ("echo", "suffix", "best_of"):
        if body.get(name) not in (None, False, 1):
            raise UnsupportedFeature(name, "chat-only")
    chat = {k: v for k, v in body.items() if k not in _COMPLETION_ONLY}
    chat["messages"] = [{"role": "user", "content": prompt}]
    return chat


def chat_to_completion(document: dict[str, Any]) -> dict[str, Any]:
    choices = []
    for choice in document.get("choices") or []:
        message = choice.get("message") or {}
        choices.append(
            {
                "text": message.get("content") or "",
                "index": choice.get("index", 0),
                "logprobs": None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    return {**document, "object": "text_completion", "choices": choices}


def chunk_to_completion(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """A chat chunk as a text-completion chunk; None for chunks that carry nothing a completion has."""
    choices = []
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        text = delta.get("content") or ""
        if not text and not choice.get("finish_reason"):
            continue
        choices.append(
            {
                "text": text,
                "index": choice.get("index", 0),
                "logprobs": None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    if not choices:
        return None
    return {**chunk, "object": "text_completion", "choices": choices}


def _message_bytes(message: dict[str, Any]) -> int:
    size = 0
    for key in ("content", "reasoning", "refusal", "text"):
        value = message.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    if message.get("tool_calls"):
        size += len(orjson.dumps(message["tool_calls"]))
    return size


def chunk_bytes(chunk: dict[str, Any]) -> int:
    """Bytes of generated output in one stream chunk (chat deltas or completion text)."""
    size = 0
    for choice in chunk.get("choices") or []:
        if isinstance(choice, dict):
            size += _message_bytes(choice.get("delta") or {}) + _message_bytes({"text": choice.get("text")})
    return size


def answer_bytes(document: dict[str, Any]) -> int:
    """Bytes of generated output in a whole answer."""
    size = 0
    for choice in document.get("choices") or []:
        if isinstance(choice, dict):
            size += _message_bytes(choice.get("message") or {}) + _message_bytes({"text": choice.get("text")})
    return size
