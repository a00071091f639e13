"""Alembic environment. Run through modelyard.db.migrate, which passes an open connection in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import modelyard.models  # noqa: F401  (registers the tables)
from modelyard.db.base import Base

target_metadata = Base.metadata


def run_with_connection(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `modelyard db upgrade`, which supplies the database connection")
run_with_connection(connection)
