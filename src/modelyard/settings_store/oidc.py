"""The sign-in provider's client as the site settings make it: rebuilt when its settings change, kept (with
the provider's documents it has read) while they do not."""

from __future__ import annotations

from collections.abc import Sequence

from modelyard.auth.oidc import OidcClient, OidcConfig
from modelyard.config import Settings


class OidcSlot:
    def __init__(self, secret_key: str, settings: Settings, previous_keys: Sequence[str] = ()) -> None:
        self._secret_key = secret_key
        # Sign-ins sealed by an instance still on the previous key open here during a rolling key rotation.
        self._previous_keys = tuple(previous_keys)
        self.client: OidcClient | None = None
        self.provider_name = settings.oidc_provider_name
        self.update(settings)

    def update(self, settings: Settings) -> None:
        config = OidcConfig.from_settings(settings)
        self.provider_name = settings.oidc_provider_name
        if config is None:
            self.client = None
        elif self.client is None or self.client.config != config:
            self.client = OidcClient(config, self._secret_key, self._previous_keys)
