"""Counting limits over fixed windows, shared by every instance through Redis when it is configured and
kept in this process otherwise: sign-in failures, and later requests and tokens per minute of a key."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    count: int
    retry_after_seconds: float  # until the window ends (0 when allowed)


class WindowLimiter:
    def __init__(self, redis: Redis | None, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._local: dict[str, tuple[int, int]] = {}  # key -> (window number, count)

    async def add(self, key: str, amount: int, limit: int, window_seconds: int) -> Verdict:
        """Counts `amount` against `key` in the current window; allowed while the total stays ≤ limit."""
        now = self._clock()
        window = int(now // window_seconds)
        retry = (window + 1) * window_seconds - now
        if self._redis is not None:
            name = f"{self._prefix}:{key}:{window}"
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incrby(name, amount)
                pipe.expire(name, window_seconds + 1)
                count, _ = await pipe.execute()
            count = int(count)
        else:
            current = self._local.get(key)
            count = (current[1] if current and current[0] == window else 0) + amount
            self._local[key] = (window, count)
            if len(self._local) > 100_000:
                self._forget_old(window)
        allowed = count <= limit
        return Verdict(allowed, count, 0.0 if allowed else math.ceil(retry * 1000) / 1000)

    async def count(self, key: str, window_seconds: int) -> int:
        window = int(self._clock() // window_seconds)
        if self._redis is not None:
            value = await self._redis.get(f"{self._prefix}:{key}:{window}")
            return int(value or 0)
        current = self._local.get(key)
        return current[1] if current and current[0] == window else 0

    async def reset(self, key: str, window_seconds: int) -> None:
        window = int(self._clock() // window_seconds)
        if self._redis is not None:
            await self._redis.delete(f"{self._prefix}:{key}:{window}")
        else:
            self._local.pop(key, None)

    def _forget_old(self, window: int) -> None:
        for key in [k for k, (w, _) in self._local.items() if w != window]:
            del self._local[key]
