"""Raw generation records are kept for MODELYARD_RECORD_RETENTION_DAYS; rollups and the ledger for ever.
The purge deletes in small batches so it never holds a long lock on a busy table. Every instance may run
it: deleting what another already deleted is harmless."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from modelyard.db.writes import Writer
from modelyard.kit.clock import utcnow
from modelyard.models import RequestLog

log = logging.getLogger(__name__)
BATCH = 5000
INTERVAL_SECONDS = 3600.0


async def purge(writer: Writer, days: int, *, batch: int = BATCH) -> int:
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    while True:

        def one_batch(connection: Connection) -> int:
            ids = list(
                connection.scalars(
                    select(RequestLog.id)
                    .where(RequestLog.created_at < cutoff)
                    .order_by(RequestLog.id)
                    .limit(batch)
                )
            )
            if ids:
                connection.execute(delete(RequestLog).where(RequestLog.id.in_(ids)))
            return len(ids)

        count = await writer.run(one_batch)
        removed += count
        if count < batch:
            return removed
        await asyncio.sleep(0)  # let requests' writes in between batches


async def purge_periodically(writer: Writer, days: int) -> None:
    while True:
        try:
            removed = await purge(writer, days)
            if removed:
                log.info("purged %d generation records older than %d days", removed, days)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("purging old generation records failed")
        await asyncio.sleep(INTERVAL_SECONDS)
