"""Settings read from `MODELYARD_*` environment variables, validated once at start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from modelyard.kit.money import MoneyError, nanos_to_usd_str, usd_to_nanos
from modelyard.kit.secrets import SecretBox

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """Configuration that cannot be used; the message says which variable and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODELYARD_", extra="ignore", frozen=True)

    data_dir: Path = Path("./data")
    # Empty means SQLite inside data_dir; resolved by `database_url_resolved`.
    database_url: str = ""
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    # Earlier secret keys, comma-separated, during a rolling rotation: they still decrypt stored secrets and
    # verify access tokens and sign-in cookies, but nothing is encrypted or signed with them.
    secret_key_previous: SecretStr | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: str = "info"
    # json: one JSON object per line with the request id (for log collectors); text: for a terminal.
    log_format: Literal["json", "text"] = "json"
    # When set, /metrics answers only `Authorization: Bearer <token>`; unset, anyone who reaches it.
    metrics_token: SecretStr | None = None

    # How often the in-process caches (keys, catalogue, channels, balances) re-read the database, so that
    # changes made by another process (the CLI) reach a running server even without Redis.
    cache_refresh_seconds: Annotated[float, Field(gt=0)] = 5.0
    # Charges and request logs are written in batches every writer_flush_seconds (relay/settlement.py); a
    # response's last bytes wait (at most writer_commit_wait_seconds) for its settlement to be kept on its
    # hold (group commit, one statement), which the sweep settles if the process dies first. 0: no wait.
    writer_flush_seconds: Annotated[float, Field(gt=0)] = 0.05
    writer_max_batch: Annotated[int, Field(ge=1)] = 500
    writer_commit_wait_seconds: Annotated[float, Field(ge=0, le=60)] = 5.0

    upstream_connect_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    upstream_read_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    upstream_total_timeout_seconds: Annotated[float, Field(gt=0)] = 600.0
    # Streams send `: OPENROUTER PROCESSING` comments while the upstream is silent this long.
    stream_keepalive_seconds: Annotated[float, Field(gt=0)] = 15.0

    # Routing (routing/): the strategy requests use when neither they nor their user choose one, how many
    # channels one model's request may try, and the pause between two tries.
    routing_strategy: Literal["default", "price", "latency", "throughput", "weighted"] = "default"
    routing_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    routing_retry_delay_seconds: Annotated[float, Field(ge=0, le=5)] = 0.05
    # Circuit breaker per channel and model: this many failures in a row stop routing there for the
    # cool-down (doubling on each re-opening up to the maximum); then one trial request decides.
    health_failure_threshold: Annotated[int, Field(ge=1, le=100)] = 3
    health_cooldown_seconds: Annotated[float, Field(gt=0)] = 30.0
    health_max_cooldown_seconds: Annotated[float, Field(gt=0)] = 600.0
    # Active probes of every enabled channel (0 = none; a channel's options may set its own).
    health_probe_interval_seconds: Annotated[float, Field(ge=0)] = 60.0
    health_probe_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # How often live health is written to the channel_health table.
    health_persist_seconds: Annotated[float, Field(gt=0)] = 10.0

    # Accounts (auth/): who may sign up, how long tokens live, when sign-in attempts are refused, and the
    # root account made on a server with no admin (there is no default password).
    signup_mode: Literal["open", "invite", "closed"] = "open"
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    refresh_token_days: Annotated[int, Field(ge=1, le=365)] = 30
    login_max_failures_per_account: Annotated[int, Field(ge=1)] = 5
    login_max_failures_per_ip: Annotated[int, Field(ge=1)] = 20
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    # Sign-in with Google, or any OpenID Connect provider through its discovery document (auth/oidc.py);
    # off until the client id and secret are both set. The redirect URI to register with the provider is
    # {public_url}/api/auth/google/callback; public_url is this server's external base URL (unset: the
    # address each request was made to). A first sign-in whose email belongs to an existing account is
    # linked to it only when oidc_link_verified_email is set and the provider verified the address.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    oidc_provider_name: str = "Google"
    oidc_link_verified_email: bool = False
    public_url: str | None = None

    # Raw generation records older than this are purged (rollups and the ledger are kept for ever).
    record_retention_days: Annotated[int, Field(ge=1)] = 90

    auto_import_catalog: bool = True
    # Catalogue sync on a schedule (seconds; unset = never): what `modelyard catalog sync` does without
    # --force or --confirm, so prices set by hand and suspicious moves are never applied unattended.
    catalog_sync_interval: Annotated[float | None, Field(gt=0)] = None
    catalog_sync_url: str = "https://openrouter.ai/api/v1/models?output_modalities=all"

    # Low-balance alerts (see notify/). The threshold users get until they choose their own, in USD.
    low_balance_threshold_usd: str = "1"
    # Email goes out through this SMTP server; unset means no email alerts (webhooks still work).
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "Modelyard <alerts@localhost>"
    # Each alert is tried this often per channel, waiting base × 2^(attempt-1) seconds between tries.
    alert_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    alert_retry_base_seconds: Annotated[float, Field(gt=0)] = 2.0
    alert_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Webhooks to loopback, private and link-local addresses are refused unless this is set: users choose
    # the URL, and the server must not become their way into its own network.
    alert_webhook_allow_private_networks: bool = False

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value == "":
            return None
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("low_balance_threshold_usd")
    @classmethod
    def _check_threshold(cls, value: str) -> str:
        try:
            nanos = usd_to_nanos(value.strip())
        except MoneyError as exc:
            raise ValueError(f"must be a USD amount such as 1 or 2.50 ({exc})") from None
        if nanos < 0:
            raise ValueError("must not be negative")
        return nanos_to_usd_str(nanos)

    @field_validator("smtp_host", "smtp_username")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return None if value is not None and not value.strip() else value

    @field_validator("smtp_from")
    @classmethod
    def _check_from(cls, value: str) -> str:
        if "@" not in value or any(c in value for c in "\r\n"):
            raise ValueError('must be an address such as "Modelyard <alerts@example.com>"')
        return value

    @field_validator("smtp_password", mode="before")
    @classmethod
    def _empty_password_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_smtp_login(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("MODELYARD_SMTP_USERNAME and MODELYARD_SMTP_PASSWORD go together")
        return self

    @field_validator("oidc_client_id", "public_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("oidc_client_secret", "secret_key_previous", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("oidc_discovery_url")
    @classmethod
    def _check_discovery_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be the http(s) URL of an OpenID Connect discovery document")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
            raise ValueError("must be this server's external base URL, such as https://ai.example.com")
        return value

    @field_validator("oidc_provider_name")
    @classmethod
    def _check_provider_name(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 60:
            raise ValueError("must be a short name such as Google")
        return value

    @model_validator(mode="after")
    def _check_oidc_client(self) -> Settings:
        if (self.oidc_client_id is None) != (self.oidc_client_secret is None):
            raise ValueError("MODELYARD_OIDC_CLIENT_ID and MODELYARD_OIDC_CLIENT_SECRET go together")
        return self

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("must be one of critical, error, warning, info, debug")
        return value

    @property
    def low_balance_threshold_nanos(self) -> int:
        return usd_to_nanos(self.low_balance_threshold_usd)

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'modelyard.db').resolve()}"

    def with_secret(self) -> Settings:
        """Settings whose secret key is set: from the environment, else from the data dir, else new."""
        for key in self.previous_secret_keys():
            if len(key) < MIN_SECRET_KEY_LENGTH:
                # Never the key itself: this message ends up in logs.
                raise ConfigError(
                    f"MODELYARD_SECRET_KEY_PREVIOUS: each key (comma-separated) must be at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters"
                )
        if self.secret_key is not None:
            if len(self.secret_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
                raise ConfigError(f"MODELYARD_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
            return self
        return self.model_copy(update={"secret_key": SecretStr(_load_or_create_secret(self.data_dir))})

    def previous_secret_keys(self) -> tuple[str, ...]:
        """MODELYARD_SECRET_KEY_PREVIOUS as a list, in order, without blanks, repeats or the current key."""
        if self.secret_key_previous is None:
            return ()
        current = self.secret_key.get_secret_value() if self.secret_key is not None else None
        keys = (key.strip() for key in self.secret_key_previous.get_secret_value().split(","))
        return tuple(key for key in dict.fromkeys(keys) if key and key != current)

    def secret_box(self) -> SecretBox:
        """The box for stored secrets: encrypts under the current key, decrypts under it or a previous one."""
        if self.secret_key is None:
            raise ValueError("settings need a secret key: build them with config.load_settings()")
        return SecretBox(self.secret_key.get_secret_value(), self.previous_secret_keys())


def generate_secret_key() -> str:
    """A random secret key, as generated into the data directory when none is configured."""
    return secrets.token_urlsafe(48)


def _load_or_create_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        value = path.read_text().strip()
        if len(value) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"{path} holds a secret key shorter than {MIN_SECRET_KEY_LENGTH} characters")
        return value
    data_dir.mkdir(parents=True, exist_ok=True)
    value = generate_secret_key()
    # O_EXCL: two processes starting at once must not write different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_or_create_secret(data_dir)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus explicit overrides), raising ConfigError with a readable message."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"])
            problems.append(f"MODELYARD_{field.upper()}: {err['msg']}" if field else err["msg"])
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    return settings.with_secret()
