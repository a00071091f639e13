"""Settings from `MODELYARD_*` variables: a bad value stops the process with a message naming the variable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from modelyard.config import ConfigError, load_settings
from tests.conftest import Cli, Env


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment (no MODELYARD_* from the caller's shell) whose data dir is a fresh directory."""
    for name in list(os.environ):
        if name.startswith("MODELYARD_"):
            monkeypatch.delenv(name)
    path = tmp_path / "data"
    monkeypatch.setenv("MODELYARD_DATA_DIR", str(path))
    return path


@pytest.mark.parametrize(
    "url", ["mysql://x", "postgresql", "sqlite:/relative.db", "http://db.example.com/modelyard", " "]
)
def test_bad_database_url_names_the_variable(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MODELYARD_DATABASE_URL", url)
    with pytest.raises(ConfigError, match="MODELYARD_DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////srv/modelyard/modelyard.db",
        "postgresql://user:pw@db:5432/modelyard",
        "postgres://db/modelyard",
    ],
)
def test_good_database_urls_are_used_as_given(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MODELYARD_DATABASE_URL", url)
    assert load_settings().database_url_resolved == url


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http", "80.5"])
def test_bad_port_names_the_variable(data_dir: Path, monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("MODELYARD_PORT", port)
    with pytest.raises(ConfigError, match="MODELYARD_PORT"):
        load_settings()


def test_every_bad_variable_is_named_at_once(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELYARD_PORT", "99999")
    monkeypatch.setenv("MODELYARD_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("MODELYARD_CACHE_REFRESH_SECONDS", "0")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    for name in ("MODELYARD_PORT", "MODELYARD_DATABASE_URL", "MODELYARD_CACHE_REFRESH_SECONDS"):
        assert name in str(raised.value)


def test_defaults(data_dir: Path) -> None:
    settings = load_settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.redis_url is None


def test_default_database_is_sqlite_in_the_data_dir(data_dir: Path) -> None:
    assert load_settings().database_url_resolved == f"sqlite:///{(data_dir / 'modelyard.db').resolve()}"


def test_default_data_dir_is_data_under_the_working_directory(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MODELYARD_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    # Absolute, so a server that later changes directory still finds the same database.
    assert settings.database_url_resolved == f"sqlite:///{tmp_path.resolve() / 'data' / 'modelyard.db'}"
    assert (tmp_path / "data" / "secret.key").is_file()


def test_a_missing_secret_key_is_generated_once_and_kept(data_dir: Path) -> None:
    assert not data_dir.exists()

    first = load_settings().secret_key
    assert first is not None
    value = first.get_secret_value()
    assert len(value) >= 32

    key_file = data_dir / "secret.key"
    assert key_file.read_text().strip() == value
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by the owner only

    second = load_settings().secret_key
    assert second is not None
    assert second.get_secret_value() == value


def test_a_secret_key_from_the_environment_is_used_and_nothing_is_written(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_SECRET_KEY", "k" * 32)
    secret = load_settings().secret_key
    assert secret is not None
    assert secret.get_secret_value() == "k" * 32
    assert not (data_dir / "secret.key").exists()
    assert "k" * 32 not in repr(load_settings())  # never shown in logs or tracebacks


def test_a_short_secret_key_is_refused(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELYARD_SECRET_KEY", "k" * 31)
    with pytest.raises(ConfigError, match="MODELYARD_SECRET_KEY must be at least 32 characters"):
        load_settings()


def test_previous_secret_keys_are_a_comma_separated_list_never_shown(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_SECRET_KEY", "n" * 32)
    monkeypatch.setenv("MODELYARD_SECRET_KEY_PREVIOUS", f" {'o' * 32} ,{'p' * 40},,{'n' * 32},{'o' * 32}")
    settings = load_settings()
    # Blanks, repeats and the current key (harmless leftovers of an edit) drop out; the order is kept.
    assert settings.previous_secret_keys() == ("o" * 32, "p" * 40)
    assert "o" * 32 not in repr(settings)
    monkeypatch.setenv("MODELYARD_SECRET_KEY_PREVIOUS", "")
    assert load_settings().previous_secret_keys() == ()


def test_a_short_previous_secret_key_is_refused_without_showing_it(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_SECRET_KEY_PREVIOUS", "o" * 32 + ",short-previous-key")
    with pytest.raises(ConfigError, match="MODELYARD_SECRET_KEY_PREVIOUS: each key") as raised:
        load_settings()
    assert "short-previous-key" not in str(raised.value)


def test_a_short_secret_key_file_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "secret.key").write_text("too-short\n")
    with pytest.raises(ConfigError, match="secret key shorter than 32 characters") as raised:
        load_settings()
    assert str(data_dir / "secret.key") in str(raised.value)


@pytest.mark.parametrize(
    "command",
    [("db", "upgrade"), ("users", "create", "port@example.com", "--password", "long-enough-pw"), ("serve",)],
    ids=lambda command: " ".join(command[:2]),
)
def test_the_cli_stops_with_a_message_naming_a_bad_variable(
    data_dir: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    database = tmp_path / "cli.db"
    cli = Cli(Env(data_dir, f"sqlite:///{database}", extra={"MODELYARD_PORT": "99999"}))

    result = cli(*command, expect=None)  # an exception instead of an exit would fail the test here

    assert result.exit_code != 0
    assert result.stderr.startswith("error: invalid configuration")
    assert "MODELYARD_PORT" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not database.exists()  # stopped before touching anything


def test_the_configuration_reference_is_current() -> None:
    """docs/configuration.md is generated from the settings class; a new or changed setting regenerates it."""
    from modelyard.config_reference import DEFAULT_PATH, document

    assert DEFAULT_PATH.read_text() == document(), "stale: run `python -m modelyard.config_reference`"
