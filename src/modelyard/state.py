"""What request handlers share, built once per app in the lifespan (see app.create_app)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from modelyard.auth.service import AuthService
from modelyard.billing.codes import FailureLimiter
from modelyard.billing.holds import Holds
from modelyard.kit.secrets import SecretBox
from modelyard.notify.notifier import Notifier
from modelyard.relay.cache import GatewayCache
from modelyard.relay.chat import ChatRelay
from modelyard.relay.models_api import ModelsApi
from modelyard.relay.settlement import SettlementWriter
from modelyard.settings_store import OidcSlot, SiteSettingsStore

# Redis channel on which any process announces that keys, channels or prices changed in the database.
INVALIDATE_CHANNEL = "modelyard:invalidate"


@dataclass
class Gateway:
    """Everything the request handlers share, built once per app in the lifespan."""

    engine: AsyncEngine
    cache: GatewayCache
    holds: Holds
    writer: SettlementWriter
    http: aiohttp.ClientSession
    redis: Redis | None
    chat: ChatRelay
    models: ModelsApi
    sessions: async_sessionmaker[AsyncSession]
    # Failed redemption-code guesses per user (in this process).
    code_guesses: FailureLimiter
    # Low-balance alert delivery, and the alert settings the account API needs (default threshold, ...).
    notifier: Notifier
    # Sessions, tokens, sign-up mode and sign-in limits.
    auth: AuthService
    # Encrypts the provider credentials channels are created with (under the current key) and reads them
    # (under it or, during a rolling key rotation, a previous one).
    box: SecretBox
    # Site settings an administrator changed over the environment's (settings_store/), and the sign-in
    # provider's client they make.
    site: SiteSettingsStore | None = None
    oidc: OidcSlot | None = None

    async def refresh(self) -> None:
        """Re-reads what the in-process caches hold: keys, channels, prices and the site settings."""
        await self.cache.refresh()
        if self.site is not None:
            await self.site.reload()

    async def announce_change(self) -> None:
        """Keys, channels, prices or site settings changed: this process re-reads them now, and every other
        server does through Redis when it is configured (else at its next cache refresh)."""
        await self.refresh()
        if self.redis is not None:
            await self.redis.publish(INVALIDATE_CHANNEL, b"1")
