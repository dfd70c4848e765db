"""The database engines: one URL, a writer and a reader session factory.

SQLite runs in WAL mode so readers never wait for the writer. Its write transactions
start with BEGIN IMMEDIATE: a deferred BEGIN that later writes can fail with
"database is locked" instead of waiting, so every write takes the lock up front and
waits (busy_timeout) for its turn. Reads use plain deferred transactions. On
PostgreSQL both factories share one engine and rows are locked with FOR UPDATE.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalize_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's own BEGIN is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass
class Database:
    url: str
    writer_engine: AsyncEngine
    reader_engine: AsyncEngine
    writer: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]

    @property
    def is_postgres(self) -> bool:
        return self.writer_engine.dialect.name == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self.writer_engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read-only session (its own connection, so concurrent loaders never share one)."""
        async with self.reader() as session:
            yield session

    async def dispose(self) -> None:
        await self.writer_engine.dispose()
        if self.reader_engine is not self.writer_engine:
            await self.reader_engine.dispose()


def create_database(url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            raise ValueError("use a SQLite file, not :memory: (each connection would see its own database)")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer_engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
        reader_engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
        _configure_sqlite(writer_engine, immediate=True)
        _configure_sqlite(reader_engine, immediate=False)
        reader_bind: AsyncEngine = reader_engine
    else:
        # No pre-ping: it cost a round trip per checkout (9% of a dashboard request,
        # measured); connections are recycled instead, and a connection found dead fails
        # one request rather than slowing every one.
        writer_engine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800
        )
        reader_engine = writer_engine
        # Every read session is one short batch of SELECTs: autocommit spares the
        # BEGIN and ROLLBACK round trips around it.
        reader_bind = writer_engine.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        url=url,
        writer_engine=writer_engine,
        reader_engine=reader_engine,
        writer=async_sessionmaker(writer_engine, expire_on_commit=False),
        reader=async_sessionmaker(reader_bind, expire_on_commit=False),
    )
