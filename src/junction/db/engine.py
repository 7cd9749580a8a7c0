"""Engine and session factory for SQLite (embedded) and PostgreSQL (scale-out)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from junction.db.changes import ChangeFeed, ChangeTrackingSession
from junction.db.sqlite_driver import one_hop_dbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "junction_read_only"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions are switched off so that SQLAlchemy's
        # BEGIN below is the only one; otherwise DDL and SAVEPOINTs misbehave.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A deferred BEGIN that later writes cannot wait for the write lock (SQLite answers
        # "database is locked" at once), so transactions that may write take it up front and
        # queue on busy_timeout; read-only ones run alongside.
        if connection.get_execution_options().get(READ_ONLY_OPTION, False):
            # Read-only work runs without BEGIN: each statement reads the latest committed
            # state on its own. That saves a round trip to SQLite's thread per transaction.
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            module=one_hop_dbapi(),
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """One engine and its session factory; the caller of ``transaction()`` owns the commit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        # Every session notes which watched tables its transaction wrote (db.changes).
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=ChangeTrackingSession
        )
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}),
            expire_on_commit=False,
            sync_session_class=ChangeTrackingSession,
        )
        self._writer = asyncio.Lock() if url.startswith("sqlite") else None
        # What committed transactions changed, for the caches of this and other processes.
        self.changes = ChangeFeed(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session inside one database transaction: committed on success, else rolled back.

        ``read_only`` promises that nothing is written, which lets SQLite run it beside a
        writer; PostgreSQL ignores the distinction.
        """
        factory = self.read_sessionmaker if read_only else self.sessionmaker
        if read_only or self._writer is None:
            async with factory() as session:
                async with session.begin():
                    yield session
                self.changes.committed(session)
            return
        # SQLite has one writer at a time. Its busy handler waits for the lock by sleeping
        # and polling, which under load gives long, unfair waits; writers of this process
        # queue here instead, in order, and SQLite's own wait is left for other processes.
        try:
            async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                await self._writer.acquire()
        except TimeoutError:
            raise OperationalError(
                "BEGIN IMMEDIATE", None, TimeoutError("database is locked by this process")
            ) from None
        try:
            async with factory() as session:
                async with session.begin():
                    yield session
                self.changes.committed(session)
        finally:
            self._writer.release()

    async def dispose(self) -> None:
        await self.changes.close()
        await self.engine.dispose()
