"""Where the hot path's writes run: holds, settlements and sweeps are plain functions of a synchronous
Core connection, executed in one transaction by a writer that suits the database.

SQLite: one dedicated thread with one connection writes everything for this process. A transaction then
costs one thread hop instead of one per statement through the async driver, and the process's own writers
never queue on SQLite's file lock (whose busy handler sleeps whole milliseconds).
PostgreSQL: the async engine's pooled connections, statements run through `run_sync`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from modelyard.db.engine import is_sqlite, sqlite_pragmas

T = TypeVar("T")


class Writer(Protocol):
    async def run(self, work: Callable[[Connection], T]) -> T: ...

    async def close(self) -> None: ...


class SqliteThreadWriter:
    def __init__(self, url: str) -> None:
        self._engine: Engine = create_sync_engine(make_url(url).set(drivername="sqlite"))
        event.listen(self._engine, "connect", sqlite_pragmas)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=True)


class AsyncEngineWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def close(self) -> None:
        return None


def create_writer(url: str, engine: AsyncEngine) -> Writer:
    return SqliteThreadWriter(url) if is_sqlite(url) else AsyncEngineWriter(engine)
