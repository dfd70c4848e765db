"""Waking dispatchers in other processes at once (PostgreSQL LISTEN/NOTIFY).

Workers poll anyway, so a lost notification only costs a poll interval; this is for
latency, never for correctness.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from models.db import Database

logger = logging.getLogger("interview_api.webhooks")

CHANNEL = "webhook_events"


def asyncpg_dsn(database: Database) -> str:
    """The database's URL as asyncpg wants it (no "+asyncpg" driver suffix)."""
    return make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)


class Notifier:
    """Registered in `Runtime.event_hooks` of API processes: after events commit, one NOTIFY
    (bursts coalesce into one) from a long-lived task, `run`."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pending = asyncio.Event()

    def hook(self, event_ids: Sequence[int]) -> None:
        self._pending.set()

    async def run(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            try:
                async with self._database.writer_engine.connect() as connection:
                    await connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
                    await connection.commit()
            except (SQLAlchemyError, OSError) as error:
                logger.warning("webhooks: could not notify workers (%s); they will poll", error)


class Listener:
    """LISTEN on a dedicated connection, calling `on_notify` for each notification."""

    def __init__(self, database: Database, on_notify: Callable[[], None]) -> None:
        self._dsn = asyncpg_dsn(database)
        self._on_notify = on_notify
        self._connection: asyncpg.Connection | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def connect(self) -> None:
        await self.close()
        connection = await asyncpg.connect(self._dsn, timeout=5)
        await connection.add_listener(CHANNEL, lambda *_: self._on_notify())
        self._connection = connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            await connection.close(timeout=5)
