"""0017: installed cycles take their release's tags; account retention is held to 744 h."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from junction.db import migrate
from junction.db.engine import Database
from tests.fixtures.databases import BACKENDS, fresh_database

NOW = "2026-01-01 00:00:00+00:00"


def _run(url: str, check: Any) -> Any:
    async def main() -> Any:
        database = Database(url)
        try:
            async with database.engine.connect() as connection:
                return await connection.run_sync(check)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _seed(connection: Connection) -> None:
    release = {"Name": "T", "Tags": ["Sales", "CRM"], "Steps": [], "Edges": []}
    statements = [
        "INSERT INTO accounts (id, name, timezone, created_at, error_webhook_enabled, "
        "error_webhook_include_warnings, step_data_success_retention_hours, "
        "step_data_errored_retention_hours) "
        "VALUES ('acc', 'Acc', 'UTC', :now, false, false, 10000, 12)",
        "INSERT INTO templates (id, name, tags, connectors, created_at, updated_at) "
        "VALUES ('t', 'T', '|crm|sales|', '', :now, :now)",
        "INSERT INTO template_releases (id, template_id, version, status, document, "
        "created_at, updated_at) VALUES (1, 't', 1, 'Live', :release, :now, :now)",
        "INSERT INTO cycles (id, account_id, template_id, template_release_id, name, status, "
        "settings, variables, run_once, created_at, updated_at) VALUES "
        "('installed', 'acc', 't', 1, 'T', 'Paused', '{}', '[]', false, :now, :now), "
        "('own', 'acc', NULL, NULL, 'Own', 'Paused', '{}', '[]', false, :now, :now)",
    ]
    for statement in statements:
        connection.execute(text(statement), {"now": NOW, "release": json.dumps(release)})
    connection.commit()


def _read(connection: Connection) -> tuple[Any, ...]:
    cycles = connection.execute(text("SELECT id, tags, tag_index FROM cycles ORDER BY id")).all()
    hours = connection.execute(
        text(
            "SELECT step_data_success_retention_hours, step_data_errored_retention_hours "
            "FROM accounts"
        )
    ).one()
    return (
        [(i, t if isinstance(t, list) else json.loads(t), x) for i, t, x in cycles],
        tuple(hours),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_cycle_tags_and_retention_cap(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0016")
        _run(url, _seed)
        migrate.upgrade(url, "0017")
        cycles, hours = _run(url, _read)
        assert cycles == [
            ("installed", ["Sales", "CRM"], "|crm|sales|"),
            ("own", [], ""),
        ]
        assert hours == (744, 12)
        migrate.downgrade(url, "0016")
