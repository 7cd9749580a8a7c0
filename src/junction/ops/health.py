"""Liveness and readiness of one process.

Readiness asks three things: can the database be reached, is its schema at this
release's migration head, and is the dispatcher (or, in ``junction worker``, the job
worker) running. The answers name what failed and nothing else: no addresses, counts or
error texts that could carry a secret.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from junction.db import migrate
from junction.services import Services

OK = "ok"
# A database that takes longer than this to answer one small query is not ready.
CHECK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # check name → "ok" or what is wrong

    @property
    def ready(self) -> bool:
        return all(result == OK for result in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != OK]


async def _schema_revisions(services: Services) -> list[str] | None:
    """The revisions the database records; None when it has no migration table at all."""
    async with services.database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        try:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except SQLAlchemyError:
            return None
        return [str(row[0]) for row in rows]


async def readiness(services: Services) -> Readiness:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            revisions = await _schema_revisions(services)
    except (SQLAlchemyError, OSError, TimeoutError):
        checks["Database"] = "unreachable"
        checks["Migrations"] = "unknown: the database is unreachable"
    else:
        checks["Database"] = OK
        head = migrate.head_revision()
        if revisions == [head]:
            checks["Migrations"] = OK
        else:
            found = ", ".join(revisions) if revisions else "none"
            checks["Migrations"] = (
                f"the database is at revision {found}, this release needs {head}: "
                "run junction migrate"
            )
    worker = services.worker
    alive = worker.alive if worker is not None else services.dispatcher.alive
    checks["Dispatcher"] = OK if alive else "not running"
    return Readiness(checks)
