"""SQLAlchemy's aiosqlite adapter with one thread hop per statement instead of four.

aiosqlite runs each SQLite connection in a thread of its own, and every call on it (open a
cursor, execute, fetch the rows, close the cursor, commit, roll back) is a hop to that
thread and back. SQLAlchemy's adapter makes four hops per statement and two more per
transaction. A hop costs far more than a typical statement here (a queue put, a thread
wake-up, the GIL handed over twice, the event loop woken through its self-pipe), so a
two-query API read spent most of its time hopping.

This adapter runs a statement whole (cursor, execute, fetch, close) in one function on the
connection's thread, and skips COMMIT and ROLLBACK when SQLite has no transaction open
(read-only work runs without BEGIN, see ``engine``; the pool rolls back every connection
it gets back, after the commit has already ended the transaction). Everything else is
SQLAlchemy's own aiosqlite dialect, picked with ``create_async_engine(..., module=...)``.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """One statement on the connection's own thread: what a DB-API cursor would report."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _Finished:
    """Stands in for the driver's cursor: the figures of the last statement, kept here."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def close(self) -> None:
        """Nothing is open: the statement's cursor was closed on the connection's thread."""


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    # close() calls _Finished.close() directly instead of awaiting a hop.
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._one_hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._one_hop(operation, seq_of_parameters, many=True)

    async def _one_hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        # Any: aiosqlite's _execute is untyped.
        driver: Any = self._connection
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's _execute is how its own methods reach the thread; the public ones
            # each make a hop of their own.
            description, rowcount, lastrowid, rows = await driver._execute(
                _run, driver._conn, operation, parameters, many
            )
        finished: _Finished = self._cursor  # type: ignore[assignment]
        finished.description = description
        finished.rowcount = rowcount
        finished.lastrowid = lastrowid
        if rows is not None:
            self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = OneHopCursor

    def _open(self) -> bool:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        # in_transaction is read on this thread, as aiosqlite's own property does: nothing
        # else runs on the connection meanwhile (it is checked out to this caller; a
        # statement cancelled while it ran on its thread makes SQLAlchemy invalidate the
        # connection, which then is closed, never rolled back from here).
        return driver._connection is not None and driver.in_transaction

    def commit(self) -> None:
        if self._open():
            super().commit()

    def rollback(self) -> None:
        if self._open():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator = kw.pop("async_creator_fn", None)  # create_async_engine(async_creator=...)
        if creator is not None:
            connection = creator(*arg, **kw)
        else:
            connection = aiosqlite.connect(*arg, **kw)
            # Its thread must not keep the process alive (as SQLAlchemy's own adapter does).
            connection._thread.daemon = True
        opened: Any = await_(connection)
        return OneHopConnection(self, opened)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
