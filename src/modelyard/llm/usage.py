"""Canonical token usage. A count the upstream did not report is None, never a silent 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None

    @property
    def is_reported(self) -> bool:
        return self.prompt_tokens is not None or self.completion_tokens is not None

    @classmethod
    def from_openai(cls, usage: Any) -> Usage | None:
        """Reads OpenAI's `usage` object; None when it is absent or not an object."""
        if not isinstance(usage, dict):
            return None
        prompt_details = usage.get("prompt_tokens_details")
        completion_details = usage.get("completion_tokens_details")
        return cls(
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            reasoning_tokens=_count(completion_details.get("reasoning_tokens"))
            if isinstance(completion_details, dict)
            else None,
            cached_tokens=_count(prompt_details.get("cached_tokens"))
            if isinstance(prompt_details, dict)
            else None,
            cache_write_tokens=_count(prompt_details.get("cache_write_tokens"))
            if isinstance(prompt_details, dict)
            else None,
        )


def _count(value: Any) -> int | None:
    # bool is an int subclass; a `true` token count is garbage, not 1.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
