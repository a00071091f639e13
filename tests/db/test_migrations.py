"""The schema the migrations build is the schema the ORM models describe, on every backend."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

import modelyard.models  # noqa: F401  (registers every table on Base.metadata)
from modelyard.db import migrate
from modelyard.db.base import Base
from modelyard.db.engine import create_engine
from tests.conftest import Cli, Env, query, run_async


def test_models_and_migrations_agree(database_url: str) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def check() -> tuple[str | None, list[Any]]:
        engine = create_engine(database_url)
        try:
            await migrate.upgrade(engine)
            async with engine.connect() as connection:
                return await migrate.current_revision(engine), await connection.run_sync(diff)
        finally:
            await engine.dispose()

    revision, differences = run_async(check())
    assert revision == migrate.head_revision()
    # Non-empty means a model changed without a migration: `python -m modelyard.db.autogen "message"`.
    assert differences == []


def test_db_upgrade_twice_is_harmless_and_prints_the_head_revision(
    cli: Cli, env: Env, database_url: str
) -> None:
    env.extra["MODELYARD_AUTO_IMPORT_CATALOG"] = "false"  # not needed here, and the slowest step
    head = migrate.head_revision()
    assert head is not None
    first = cli("db", "upgrade")
    assert first.stdout.strip() == f"database at revision {head}"

    cli("users", "create", "kept@example.com", "--password", "correct-horse-battery")
    second = cli("db", "upgrade")

    assert second.stdout.strip() == f"database at revision {head}"
    assert second.stderr == ""
    assert query(database_url, "SELECT email FROM users") == [("kept@example.com",)]
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head,)]


def test_instances_starting_together_migrate_one_after_another(database_url: str) -> None:
    """Every instance runs the upgrade at start; on PostgreSQL they queue on an advisory lock."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one machine: no instances start together")
    name = f"modelyard_migrate_{secrets.token_hex(4)}"
    admin = create_engine(database_url)
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)

    async def race() -> list[str | None]:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        engines = [create_engine(url) for _ in range(3)]
        try:
            await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
            return [await migrate.current_revision(engine) for engine in engines]
        finally:
            for engine in engines:
                await engine.dispose()
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()

    assert run_async(race()) == [migrate.head_revision()] * 3
