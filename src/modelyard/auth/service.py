"""What the auth APIs share: the token signer, the session service, the revocation list, sign-up mode and
the sign-in failure limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from redis.asyncio import Redis

from modelyard.auth.limiter import WindowLimiter
from modelyard.auth.revocation import RevocationList
from modelyard.auth.sessions import SessionService
from modelyard.auth.tokens import TokenSigner
from modelyard.errors import AppError

LOGIN_WINDOW_SECONDS = 15 * 60


class AuthService:
    def __init__(
        self,
        secret_key: str,
        redis: Redis | None,
        *,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        signup_mode: str,
        max_failures_per_account: int,
        max_failures_per_ip: int,
        previous_keys: Sequence[str] = (),
    ) -> None:
        self.revocations = RevocationList(redis)
        self.sessions = SessionService(
            TokenSigner(secret_key, access_ttl, previous_keys), self.revocations, refresh_ttl
        )
        self.signup_mode = signup_mode
        self._failures = WindowLimiter(redis, "modelyard:login-failures")
        self._per_account = max_failures_per_account
        self._per_ip = max_failures_per_ip

    async def login_attempt(self, email: str, ip: str | None) -> None:
        """Counts one sign-in attempt for the account and the address, and refuses it past either limit.
        A success takes its attempt back (login_succeeded), so only failures accumulate."""
        checks = [(f"account:{email}", self._per_account)]
        if ip is not None:
            checks.append((f"ip:{ip}", self._per_ip))
        refused = False
        for key, limit in checks:
            verdict = await self._failures.add(key, 1, limit, LOGIN_WINDOW_SECONDS)
            refused = refused or not verdict.allowed
        if refused:
            raise AppError(
                429,
                "Too many failed sign-ins; try again later",
                metadata={"error_type": "rate_limit_exceeded"},
                headers={"Retry-After": str(LOGIN_WINDOW_SECONDS)},
            )

    async def check_login_allowed(self, email: str, ip: str | None) -> None:
        """For other password checks (a password change): refuses once the limits are used up."""
        for key, limit in ((f"account:{email}", self._per_account), (f"ip:{ip}", self._per_ip)):
            if ip is None and key.startswith("ip:"):
                continue
            if await self._failures.count(key, LOGIN_WINDOW_SECONDS) >= limit:
                raise AppError(
                    429,
                    "Too many failed sign-ins; try again later",
                    metadata={"error_type": "rate_limit_exceeded"},
                    headers={"Retry-After": str(LOGIN_WINDOW_SECONDS)},
                )

    async def login_failed(self, email: str, ip: str | None) -> None:
        await self._failures.add(f"account:{email}", 1, self._per_account, LOGIN_WINDOW_SECONDS)
        if ip is not None:
            await self._failures.add(f"ip:{ip}", 1, self._per_ip, LOGIN_WINDOW_SECONDS)

    async def login_succeeded(self, email: str, ip: str | None = None) -> None:
        await self._failures.reset(f"account:{email}", LOGIN_WINDOW_SECONDS)
        if ip is not None:
            await self._failures.add(f"ip:{ip}", -1, self._per_ip, LOGIN_WINDOW_SECONDS)
