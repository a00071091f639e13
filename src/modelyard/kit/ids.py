"""Identifiers users see: generation ids in OpenRouter's `gen-<base62>` form."""

from __future__ import annotations

import secrets
import string

_BASE62 = string.digits + string.ascii_letters


def new_generation_id() -> str:
    return "gen-" + "".join(secrets.choice(_BASE62) for _ in range(24))
