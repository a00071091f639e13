"""Settings read from `MODELYARD_*` environment variables, validated once at start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class ConfigError(Exception):
    """Configuration that cannot be used; the message says which variable and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODELYARD_", extra="ignore", frozen=True)

    data_dir: Path = Path("./data")
    # Empty means SQLite inside data_dir; resolved by `database_url_resolved`.
    database_url: str = ""
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: str = "info"

    # How often the in-process caches (keys, catalogue, channels, balances) re-read the database, so that
    # changes made by another process (the CLI) reach a running server even without Redis.
    cache_refresh_seconds: Annotated[float, Field(gt=0)] = 5.0
    # Charges and request logs are written in batches off the request path.
    writer_flush_seconds: Annotated[float, Field(gt=0)] = 0.05
    writer_max_batch: Annotated[int, Field(ge=1)] = 500

    upstream_connect_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    upstream_read_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    upstream_total_timeout_seconds: Annotated[float, Field(gt=0)] = 600.0
    # Streams send `: OPENROUTER PROCESSING` comments while the upstream is silent this long.
    stream_keepalive_seconds: Annotated[float, Field(gt=0)] = 15.0

    auto_import_catalog: bool = True

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

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("must be one of critical, error, warning, info, debug")
        return value

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'modelyard.db').resolve()}"

    def with_secret(self) -> Settings:
        """Settings whose secret key is set: from the environment, else from the data dir, else new."""
        if self.secret_key is not None:
            if len(self.secret_key.get_secret_value()) < 32:
                raise ConfigError("MODELYARD_SECRET_KEY must be at least 32 characters")
            return self
        return self.model_copy(update={"secret_key": SecretStr(_load_or_create_secret(self.data_dir))})


def _load_or_create_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        value = path.read_text().strip()
        if len(value) < 32:
            raise ConfigError(f"{path} holds a secret key shorter than 32 characters")
        return value
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
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
            problems.append(f"MODELYARD_{field.upper()}: {err['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    return settings.with_secret()
