"""Site settings: what an administrator changes in the web app over the environment's defaults."""

from modelyard.settings_store.oidc import OidcSlot
from modelyard.settings_store.service import (
    DEFINITIONS,
    SETTING_NAMES,
    SettingsError,
    SiteSettingsStore,
    build_effective,
)

__all__ = [
    "DEFINITIONS",
    "SETTING_NAMES",
    "OidcSlot",
    "SettingsError",
    "SiteSettingsStore",
    "build_effective",
]
