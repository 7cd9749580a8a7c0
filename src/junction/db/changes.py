"""Change notices: how a process learns, at once, that rows it keeps in memory have changed.

Some reads are answered from memory (the bearer tokens and accounts a request names, see
``auth.cache``). A transaction that changes such rows calls ``announce(session, topic)``;
once it commits:

- in this process, every listener of the database's ``ChangeFeed`` hears of it before the
  ``transaction()`` block ends, so the next request already sees the change;
- in other processes on PostgreSQL, the commit itself delivers a ``NOTIFY`` on the
  ``junction_changes`` channel, which each process's feed LISTENs to on a connection of its
  own. While that connection is down (or not yet up) the feed says it is not ``live`` and
  the caches are bypassed: they never answer from memory without the notices;
- in other processes on SQLite, a stamp file beside the database (``<file>-changes``) is
  rewritten after the commit; each process compares it (one ``stat``) before it answers
  from memory.

Topics can also follow tables (``watch_tables``): every session of ``Database`` is a
``ChangeTrackingSession``, which marks a topic whenever its transaction writes one of the
topic's tables, through the ORM (a flush) or a statement (``insert``, ``update``,
``delete``). No write path has to remember to announce, and a table added to a topic later
is covered everywhere at once. Foreign keys' ``ON DELETE CASCADE`` removes rows without
either: watch the parent table too.

Changes made outside Junction (SQL by hand, a restored backup) send no notice: restart the
processes after such an edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, object_session

log = logging.getLogger(__name__)

CHANNEL = "junction_changes"
# The topics. AUTH: access tokens revoked, credential sets or accounts deleted.
AUTH = "auth"
# Accounts, account connectors (their credentials, properties and custom fields), connectors
# and partner properties: what a connection to a third party is opened from (by table).
CONNECTIONS = "connections"
# Where a session keeps the topics its transaction changed, until the commit.
SESSION_KEY = "junction_changed_topics"
# Topics marked by a statement that PostgreSQL has still to be told of, at the commit.
UNSENT_KEY = "junction_unsent_topics"
RECONNECT_SECONDS = 1.0

# Hears the topics a committed transaction changed; None when anything may have changed.
Listener = Callable[[frozenset[str] | None], None]


async def announce(session: AsyncSession, topic: str) -> None:
    """Tell every process, once this session's transaction commits, that ``topic`` changed."""
    session.info.setdefault(SESSION_KEY, set()).add(topic)
    if session.get_bind().dialect.name == "postgresql":
        # Sent by the commit, never by a rollback: other processes hear only what happened.
        await session.execute(
            text("SELECT pg_notify(:channel, :topic)"),
            {
                "channel": CHANNEL,
                "topic": topic,
            },
        )


# Table name -> the topic its writes mark.
_WATCHED: dict[str, str] = {}


def watch_tables(topic: str, *models: type[Any]) -> None:
    """Mark ``topic`` in every transaction that writes the table of one of ``models``."""
    for model in models:
        _WATCHED[model.__table__.name] = topic
        # Rows written by a flush: the mapper's own events, which cost nothing to the
        # flushes of other tables.
        for name in ("after_insert", "after_update", "after_delete"):
            event.listen(model, name, partial(_row_written, topic))


class ChangeTrackingSession(Session):
    """The synchronous session behind each of ``Database``'s sessions; see the module
    docstring. Its events are registered below, for this class only."""


def _row_written(topic: str, _mapper: Mapper[Any], connection: Connection, row: object) -> None:
    session = object_session(row)
    if session is None or not isinstance(session, ChangeTrackingSession):
        return
    topics = session.info.setdefault(SESSION_KEY, set())
    if topic in topics:
        return
    topics.add(topic)
    if connection.dialect.name == "postgresql":
        # Sent by the commit, never by a rollback: other processes hear only what happened.
        connection.execute(
            text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
        )


@event.listens_for(ChangeTrackingSession, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    # Rows written by a statement (insert, update, delete) rather than through objects.
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    topic = _WATCHED.get(table.name) if isinstance(table, Table) else None
    if topic is None:
        return
    topics = state.session.info.setdefault(SESSION_KEY, set())
    if topic not in topics:
        topics.add(topic)
        state.session.info.setdefault(UNSENT_KEY, set()).add(topic)


@event.listens_for(ChangeTrackingSession, "before_commit")
def _committing(session: Session) -> None:
    unsent = session.info.pop(UNSENT_KEY, None)
    if not unsent or session.get_bind().dialect.name != "postgresql":
        return
    for topic in sorted(unsent):
        session.execute(
            text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
        )


class ChangeFeed:
    """The notices of one database, for this process's caches."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._listeners: list[Listener] = []
        self._stamp: Path | None = None
        self._seen: tuple[int, int] | None = None
        self._conninfo: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._listening = False
        if parsed.get_backend_name() == "sqlite":
            self._stamp = Path(f"{parsed.database}-changes")
            self._seen = self._read_stamp()
        else:
            self._conninfo = parsed.set(drivername="postgresql").render_as_string(
                hide_password=False
            )

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def live(self) -> bool:
        """Whether memory may answer now: the other processes' notices have all been heard."""
        if self._stamp is not None:
            stamp = self._read_stamp()
            if stamp != self._seen:
                self._seen = stamp
                self._tell(None)
            return True
        self._keep_listening()
        return self._listening

    def committed(self, session: AsyncSession) -> None:
        """Called by ``Database.transaction`` after a commit: pass on what it changed."""
        topics = session.info.pop(SESSION_KEY, None)
        if not topics:
            return
        self._tell(frozenset(topics))
        if self._stamp is not None:
            self._write_stamp()

    def _tell(self, topics: frozenset[str] | None) -> None:
        for listener in self._listeners:
            listener(topics)

    # SQLite: the stamp file.

    def _read_stamp(self) -> tuple[int, int]:
        assert self._stamp is not None
        try:
            found = os.stat(self._stamp)
        except FileNotFoundError:
            return (0, 0)
        return (found.st_ino, found.st_mtime_ns)

    def _write_stamp(self) -> None:
        assert self._stamp is not None
        # A new file each time (a new inode), so that two changes within one tick of the
        # file system's clock still differ.
        fresh = self._stamp.with_name(f"{self._stamp.name}.{os.getpid()}")
        fresh.write_bytes(os.urandom(8))
        os.replace(fresh, self._stamp)
        self._seen = self._read_stamp()

    # PostgreSQL: LISTEN on a connection of this process's own.

    def _keep_listening(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = self._task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        # First use, or the loop it ran on has gone (a command that ran several loops).
        self._listening = False
        self._task = loop.create_task(self._listen(), name="junction-change-feed")

    async def _listen(self) -> None:
        assert self._conninfo is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    # Whatever changed while nobody listened is unknown: start afresh.
                    self._tell(None)
                    self._listening = True
                    async for notice in connection.notifies():
                        self._tell(frozenset({notice.payload}))
            except (OSError, psycopg.Error) as exc:
                log.warning("change notices interrupted (%s); memory caches bypassed", exc)
            finally:
                self._listening = False
            await asyncio.sleep(RECONNECT_SECONDS)

    async def close(self) -> None:
        task, self._task = self._task, None
        self._listening = False
        if task is None or task.done():
            return
        loop = task.get_loop()
        if loop is not asyncio.get_running_loop():
            if not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
