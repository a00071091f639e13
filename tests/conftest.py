"""Shared fixtures: a fresh database per test module (SQLite always, PostgreSQL when the run has one), the
fake upstream, the CLI, and a real `modelyard serve` process on a free port."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from modelyard.cli import app as cli_app
from modelyard.db.engine import create_engine
from tests.fakes.openai_upstream import FakeOpenAIUpstream

T = TypeVar("T")
POSTGRES_URL = os.environ.get("MODELYARD_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("MODELYARD_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _create_pg_database(admin_url: str) -> str:
    name = f"modelyard_test_{secrets.token_hex(6)}"

    async def create() -> None:
        engine = create_engine(admin_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    run_async(create())
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database

    async def drop() -> None:
        engine = create_engine(admin_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    run_async(drop())


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, empty database for each test module and backend. A module whose behaviour does not depend on
    the database (SQLITE_ONLY = True) runs once, to keep the suite short."""
    if request.param == "postgresql" and getattr(request.module, "SQLITE_ONLY", False):
        pytest.skip("runs on SQLite only: nothing in it depends on the database")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'modelyard.db'}"
        return
    assert POSTGRES_URL is not None
    url = _create_pg_database(POSTGRES_URL)
    try:
        yield url
    finally:
        _drop_pg_database(POSTGRES_URL, url)


@dataclass
class Env:
    """The environment a CLI invocation or a server runs with."""

    data_dir: Path
    database_url: str
    extra: dict[str, str] = field(default_factory=dict)

    def vars(self) -> dict[str, str]:
        return {
            "MODELYARD_DATA_DIR": str(self.data_dir),
            "MODELYARD_DATABASE_URL": self.database_url,
            **self.extra,
        }


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `modelyard ...` in-process through Typer, with the module's environment."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def __call__(self, *args: str, expect: int | None = 0) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli_app, list(args), env=self.env.vars(), catch_exceptions=False)
        outcome = CliResult(result.exit_code, result.stdout, result.stderr)
        if expect is not None and result.exit_code != expect:
            raise AssertionError(
                f"modelyard {' '.join(args)} exited {result.exit_code}, wanted {expect}: {outcome}"
            )
        return outcome

    def create_user_with_key(self, email: str, credits_usd: str | None = None) -> str:
        self("users", "create", email, "--password", "correct-horse-battery")
        if credits_usd is not None:
            self("credits", "grant", email, credits_usd)
        return self("keys", "create", email, "--name", "test").stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Env:
    return Env(data_dir=tmp_path_factory.mktemp("data"), database_url=database_url)


@pytest.fixture(scope="module")
def cli(env: Env) -> Cli:
    return Cli(env)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAIUpstream]:
    with FakeOpenAIUpstream(api_key="sk-upstream-test") as fake:
        yield fake


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`python -m modelyard serve` as a user runs it, on a free port."""

    def __init__(self, env: Env, log_path: Path) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        environment = {**os.environ, **self.env.vars(), "MODELYARD_PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "modelyard", "serve"], env=environment, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def stop(self) -> int:
        """SIGTERM, as a process manager stops it: the server drains and writes every queued charge."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def server_factory(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Env], Server]]:
    """Depends on `database_url` so that servers stop before their database is dropped."""
    started: list[Server] = []

    def start(env: Env) -> Server:
        server = Server(env, tmp_path_factory.mktemp("server") / "server.log")
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.stop()


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql), params)
                # UPDATE / DELETE without RETURNING have no rows to read.
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return run_async(run())


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
