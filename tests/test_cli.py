"""The `modelyard` administration commands, run in-process against each backend. The database is shared by
the module, so every test uses its own emails and channel names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import typer

from modelyard.cli import app as cli_app
from modelyard.kit.secrets import SecretBox
from tests.conftest import Cli, CliResult, Env, query

PASSWORD = "correct-horse-battery"
UPSTREAM_KEY = "sk-upstream-do-not-print-0123456789abcdef"


def command_paths() -> list[tuple[str, ...]]:
    """Every group and command of the real CLI, found by walking it (so new commands are covered too)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(cli_app), ())
    return paths


def assert_error(result: CliResult, *fragments: str) -> None:
    assert result.exit_code == 1, result
    assert result.stderr.startswith("error: "), result
    for fragment in fragments:
        assert fragment in result.stderr, result


def create_user(cli: Cli, email: str) -> None:
    cli("users", "create", email, "--password", PASSWORD)


def balance(database_url: str, email: str) -> int:
    return int(query(database_url, "SELECT balance_nanos FROM users WHERE email = :e", e=email)[0][0])


def ledger_rows(database_url: str, email: str) -> list[tuple[Any, ...]]:
    return query(
        database_url,
        "SELECT l.kind, l.amount_nanos, l.balance_after_nanos, l.reference, l.note FROM ledger_entries l "
        "JOIN users u ON u.id = l.user_id WHERE u.email = :e ORDER BY l.id",
        e=email,
    )


# --- help -------------------------------------------------------------------------------------------------


def test_every_documented_command_exists() -> None:
    documented = {
        ("serve",),
        ("db", "upgrade"),
        ("users", "create"),
        ("credits", "grant"),
        ("keys", "create"),
        ("channels", "add"),
        ("channels", "list"),
        ("catalog", "import"),
        ("ledger", "verify"),
    }
    assert documented <= set(command_paths())


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "modelyard")
def test_help_of_every_command(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert "Usage:" in result.stdout
    assert " ".join(("modelyard", *path)) in result.stdout
    assert result.stderr == ""


# --- users ------------------------------------------------------------------------------------------------


def test_users_create(cli: Cli, database_url: str) -> None:
    result = cli("users", "create", "Ann@Example.com", "--password", PASSWORD)
    assert result.stdout.startswith("created user ann@example.com (id ")
    cli("users", "create", "root@example.com", "--password", PASSWORD, "--admin")

    rows = query(
        database_url,
        "SELECT email, role, balance_nanos, password_hash FROM users WHERE email IN (:a, :b) ORDER BY email",
        a="ann@example.com",
        b="root@example.com",
    )
    assert [row[:3] for row in rows] == [("ann@example.com", "user", 0), ("root@example.com", "admin", 0)]
    for row in rows:
        assert row[3].startswith("$argon2id$")
        assert PASSWORD not in row[3]


def test_users_create_refuses_a_duplicate_email(cli: Cli, database_url: str) -> None:
    create_user(cli, "dup@example.com")
    # Emails are case-insensitive: this is the same address.
    result = cli("users", "create", " DUP@example.com", "--password", PASSWORD, expect=1)
    assert_error(result, "a user with email dup@example.com already exists")
    assert query(database_url, "SELECT count(*) FROM users WHERE email = 'dup@example.com'") == [(1,)]


def test_users_create_refuses_a_short_password(cli: Cli, database_url: str) -> None:
    result = cli("users", "create", "short@example.com", "--password", "123456789", expect=1)
    assert_error(result, "password must be at least 10 characters")
    assert query(database_url, "SELECT id FROM users WHERE email = 'short@example.com'") == []


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "two@@example.com", "sp ace@example.com", "@example.com"]
)
def test_users_create_refuses_a_bad_email(cli: Cli, email: str) -> None:
    result = cli("users", "create", email, "--password", PASSWORD, expect=1)
    assert_error(result, "not a valid email address")


# --- credits ----------------------------------------------------------------------------------------------


def test_credits_grant_to_an_unknown_email(cli: Cli) -> None:
    result = cli("credits", "grant", "nobody@example.com", "5", expect=1)
    assert_error(result, "no user with email nobody@example.com")


@pytest.fixture(scope="module")
def refused_user(cli: Cli) -> str:
    create_user(cli, "refused@example.com")
    return "refused@example.com"


@pytest.mark.parametrize("amount", ["abc", "0", "-0", "1.0000000001", "", "NaN", "1e30", "1,5"])
def test_credits_grant_refuses_a_bad_amount(
    cli: Cli, database_url: str, refused_user: str, amount: str
) -> None:
    result = cli("credits", "grant", refused_user, amount, expect=1)
    assert_error(result, "AMOUNT_USD")
    assert ledger_rows(database_url, refused_user) == []
    assert balance(database_url, refused_user) == 0


def test_credits_grant_writes_the_ledger(cli: Cli, database_url: str) -> None:
    create_user(cli, "carol@example.com")

    result = cli("credits", "grant", "carol@example.com", "2.50", "--note", "welcome")
    assert result.stdout.strip() == "carol@example.com: balance $2.5"
    # A negative amount, typed as the README shows it, takes credits away as an adjustment.
    result = cli("credits", "grant", "carol@example.com", "-1", "--note", "correction")
    assert result.stdout.strip() == "carol@example.com: balance $1.5"

    assert ledger_rows(database_url, "carol@example.com") == [
        ("topup", 2_500_000_000, 2_500_000_000, "cli", "welcome"),
        ("adjustment", -1_000_000_000, 1_500_000_000, "cli", "correction"),
    ]
    assert balance(database_url, "carol@example.com") == 1_500_000_000


# --- keys -------------------------------------------------------------------------------------------------


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(cli: Cli, database_url: str) -> None:
    create_user(cli, "dave@example.com")

    lines = cli("keys", "create", "dave@example.com", "--name", "laptop").stdout.splitlines()
    key = lines[-1]
    assert re.fullmatch(r"sk-my-v1-[0-9a-f]{64}", key), lines
    assert all(key not in line for line in lines[:-1])
    other = cli("keys", "create", "dave@example.com", "--name", "server").stdout.splitlines()[-1]
    assert other != key

    rows = query(
        database_url,
        "SELECT k.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = :e AND k.name = :n",
        e="dave@example.com",
        n="laptop",
    )
    assert len(rows) == 1
    secret_part = key.removeprefix("sk-my-v1-")
    assert all(secret_part not in str(value) for value in rows[0]), rows[0]
    stored_hash = query(database_url, "SELECT key_hash FROM api_keys WHERE name = 'laptop'")[0][0]
    assert stored_hash == hashlib.sha256(key.encode()).hexdigest()


def test_keys_create_for_an_unknown_email(cli: Cli) -> None:
    result = cli("keys", "create", "ghost@example.com", "--name", "x", expect=1)
    assert_error(result, "no user with email ghost@example.com")
    assert result.stdout == ""


# --- channels ---------------------------------------------------------------------------------------------


def add_channel(cli: Cli, name: str, expect: int = 0, **options: str) -> CliResult:
    values = {
        "provider": "openai",
        "base_url": "https://api.example.com/v1",
        "api_key": UPSTREAM_KEY,
        "models": "openai/gpt-4o",
        **options,
    }
    args = [f"--{option.replace('_', '-')}={value}" for option, value in values.items()]
    return cli("channels", "add", name, *args, expect=expect)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"provider": "cohere"}, "unknown provider 'cohere'; supported: openai, azure, anthropic, gemini"),
        ({"base_url": "ftp://api.example.com/v1"}, "base URL must be an http(s) URL"),
        ({"base_url": "api.example.com/v1"}, "base URL must be an http(s) URL"),
        ({"base_url": "https://"}, "base URL must be an http(s) URL"),
        ({"models": "openai/gpt-4o,nobody/no-such-model"}, "not in the catalogue: nobody/no-such-model"),
        ({"models": "openai/gpt-4o="}, "bad model mapping 'openai/gpt-4o='"),
        ({"models": "=gpt-4o"}, "bad model mapping '=gpt-4o'"),
        ({"models": "openai/gpt-4o,openai/gpt-4o"}, "model openai/gpt-4o is listed twice"),
        ({"models": " , "}, "at least one model is required"),
    ],
)
def test_channels_add_refuses_bad_input(
    cli: Cli, database_url: str, options: dict[str, str], message: str
) -> None:
    result = add_channel(cli, "refused-channel", expect=1, **options)
    assert_error(result, message)
    assert UPSTREAM_KEY not in result.stdout + result.stderr
    assert query(database_url, "SELECT id FROM channels WHERE name = 'refused-channel'") == []


def test_channels_add_refuses_a_duplicate_name(cli: Cli, database_url: str) -> None:
    add_channel(cli, "twin")
    result = add_channel(cli, "twin", expect=1, models="openai/gpt-4o-mini")
    assert_error(result, "a channel named 'twin' already exists")
    served = query(
        database_url,
        "SELECT m.model_slug FROM channel_models m JOIN channels c ON c.id = m.channel_id "
        "WHERE c.name = 'twin'",
    )
    assert served == [("openai/gpt-4o",)]


def test_channels_list_never_shows_the_credential(cli: Cli, env: Env, database_url: str) -> None:
    added = add_channel(
        cli,
        "listed",
        base_url="https://api.example.com/v1/",
        models="openai/gpt-4o, openai/gpt-4o-mini=gpt-4o-mini-2024-07-18",
        priority="5",
    )
    assert UPSTREAM_KEY not in added.stdout + added.stderr

    listed = cli("channels", "list")
    assert UPSTREAM_KEY not in listed.stdout + listed.stderr
    line = next(line for line in listed.stdout.splitlines() if "\tlisted\t" in line)
    fields = line.split("\t")
    assert fields[1:8] == [
        "listed",
        "openai",
        "https://api.example.com/v1",
        "enabled",
        "priority=5",
        "weight=100",
        "openai/gpt-4o, openai/gpt-4o-mini=gpt-4o-mini-2024-07-18",
    ]

    stored = query(database_url, "SELECT api_key_encrypted FROM channels WHERE name = 'listed'")[0][0]
    assert UPSTREAM_KEY not in stored
    assert UPSTREAM_KEY.encode().hex() not in stored
    # Encrypted, not lost: the generated secret key in the data dir opens it.
    secret_key = (env.data_dir / "secret.key").read_text().strip()
    assert SecretBox(secret_key).decrypt(stored) == UPSTREAM_KEY


# --- catalogue --------------------------------------------------------------------------------------------


def test_catalog_import_of_the_bundled_catalogue(cli: Cli, database_url: str) -> None:
    result = cli("catalog", "import")
    assert result.stdout.startswith("imported 549 models: ")
    assert result.stdout.strip().endswith(", 549 total")
    assert query(database_url, "SELECT count(*) FROM catalog_models") == [(549,)]


def test_catalog_import_of_a_bad_file(cli: Cli, database_url: str, tmp_path: Path) -> None:
    not_json = tmp_path / "not-json.json"
    not_json.write_text("{ this is not json")
    assert_error(cli("catalog", "import", str(not_json), expect=1), "not JSON")

    assert_error(cli("catalog", "import", str(tmp_path / "missing.json"), expect=1), "no such file")

    bad_price = tmp_path / "bad-price.json"
    bad_price.write_text(
        '{"data": [{"id": "acme/cli-new", "pricing": {"prompt": "0.000001", "completion": "0"}},'
        ' {"id": "acme/cli-bad", "pricing": {"prompt": "cheap", "completion": "0"}}]}'
    )
    assert_error(cli("catalog", "import", str(bad_price), expect=1), "acme/cli-bad: pricing.prompt")
    assert query(database_url, "SELECT id FROM catalog_models WHERE slug LIKE 'acme/cli-%'") == []


# --- ledger -----------------------------------------------------------------------------------------------


def test_ledger_verify_names_the_account_whose_balance_is_off(cli: Cli, database_url: str) -> None:
    create_user(cli, "erin@example.com")
    cli("credits", "grant", "erin@example.com", "3")
    assert cli("ledger", "verify").stdout.startswith("ledger OK")

    query(
        database_url,
        "UPDATE users SET balance_nanos = balance_nanos + 1 WHERE email = :e",
        e="erin@example.com",
    )
    try:
        result = cli("ledger", "verify", expect=1)
        assert "MISMATCH" in result.stderr
        assert "erin@example.com: balance $3.000000001, ledger sums to $3" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1  # only the account that is off
        assert "ledger OK" not in result.stdout
    finally:
        query(
            database_url,
            "UPDATE users SET balance_nanos = balance_nanos - 1 WHERE email = :e",
            e="erin@example.com",
        )
    assert cli("ledger", "verify").exit_code == 0
