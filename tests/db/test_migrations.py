"""One migration history that builds the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from junction.db import job_queue_schema, migrate
from junction.db.engine import Database
from junction.db.models import Base
from tests.fixtures.databases import BACKENDS, fresh_database


def _run(url: str, check: Any) -> Any:
    async def main() -> Any:
        database = Database(url)
        try:
            async with database.engine.connect() as connection:
                return await connection.run_sync(check)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_name": job_queue_schema.include_name},
    )
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models_and_downgrade(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        assert _run(url, _differences) == []
        migrate.upgrade(url)  # a second run is a no-op
        migrate.downgrade(url, "base")
        tables = _run(url, lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        migrate.upgrade(url)
        assert _run(url, _differences) == []


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}"

    def pragmas(connection: Connection) -> tuple[Any, ...]:
        return tuple(
            connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        )

    assert _run(url, pragmas) == ("wal", 1, 30000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cycles_get_their_structure_from_their_release(backend: str, tmp_path: Path) -> None:
    """0005 copies each installed cycle's steps and edges out of its release."""
    release: dict[str, Any] = {
        "Name": "T",
        "Steps": [
            {"Key": "a", "Name": "First", "ConnectorName": "C", "MethodUniqueIdentifier": "m"},
            {"Key": "b", "Name": "Done", "StepType": "Stop"},
        ],
        "Edges": [{"TailStepKey": "a", "HeadStepKey": "b", "EdgeType": "Forward"}],
    }
    mappings = {"Parameters": [{"Name": "p", "MappingType": "StaticValue", "Value": "1"}]}
    now = "2026-01-01 00:00:00+00:00"

    def seed(connection: Connection) -> None:
        statements = [
            "INSERT INTO accounts (id, name, timezone, created_at, error_webhook_enabled, "
            "error_webhook_include_warnings) VALUES ('acc', 'Acc', 'UTC', :now, false, false)",
            "INSERT INTO templates (id, name, tags, connectors, created_at, updated_at) "
            "VALUES ('t', 'T', '', '', :now, :now)",
            "INSERT INTO template_releases (id, template_id, version, status, document, "
            "created_at, updated_at) VALUES (1, 't', 1, 'Live', :release, :now, :now)",
            "INSERT INTO cycles (id, account_id, template_id, template_release_id, name, status, "
            "settings, variables, run_once, created_at, updated_at) VALUES ('c', 'acc', 't', 1, "
            "'T', 'Paused', '{}', '[]', false, :now, :now)",
            "INSERT INTO cycle_steps (id, cycle_id, step_key, position, mappings) VALUES "
            "('s1', 'c', 'a', 0, :mappings), ('s2', 'c', 'b', 1, '{}')",
        ]
        for statement in statements:
            connection.execute(
                text(statement),
                {"now": now, "release": json.dumps(release), "mappings": json.dumps(mappings)},
            )
        connection.commit()

    def structure(connection: Connection) -> tuple[Any, ...]:
        steps = connection.execute(
            text("SELECT id, document FROM cycle_steps ORDER BY position")
        ).all()
        edges = connection.execute(
            text("SELECT tail_step_id, head_step_id, edge_type FROM cycle_edges")
        ).all()
        return (
            [(i, d if isinstance(d, dict) else json.loads(d)) for i, d in steps],
            [tuple(e) for e in edges],
        )

    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0004")
        _run(url, seed)
        migrate.upgrade(url)
        steps, edges = _run(url, structure)
        assert steps == [
            ("s1", {**release["Steps"][0], **mappings}),
            ("s2", release["Steps"][1]),
        ]
        assert edges == [("s1", "s2", "Forward")]
        migrate.downgrade(url, "0004")


@pytest.mark.parametrize("backend", BACKENDS)
def test_steps_and_schedules_of_earlier_cycles_are_filled_in(backend: str, tmp_path: Path) -> None:
    """0006 gives stored steps webhook identifiers, and active scheduled cycles their first
    run (at their StartTime); paused and webhook cycles stay unscheduled."""
    now = "2026-01-01 00:00:00+00:00"

    def seed(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO accounts (id, name, timezone, created_at, error_webhook_enabled, "
                "error_webhook_include_warnings) VALUES ('acc', 'Acc', 'UTC', :now, false, false)"
            ),
            {"now": now},
        )
        for cycle, status, interval in (
            ("sched", "Active", 5),
            ("hook", "Active", None),
            ("off", "Paused", 5),
        ):
            connection.execute(
                text(
                    "INSERT INTO cycles (id, account_id, name, status, settings, variables, "
                    "interval_minutes, start_time, run_once, created_at, updated_at) VALUES "
                    "(:id, 'acc', :id, :status, '{}', '[]', :interval, :now, false, :now, :now)"
                ),
                {"id": cycle, "status": status, "interval": interval, "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO cycle_steps (id, cycle_id, step_key, position, document) VALUES "
                    "(:step, :id, 'a', 0, '{}')"
                ),
                {"step": f"{cycle}-step", "id": cycle},
            )
        connection.commit()

    def filled(connection: Connection) -> tuple[Any, ...]:
        identifiers = connection.execute(text("SELECT webhook_identifier FROM cycle_steps")).all()
        scheduled = connection.execute(
            text("SELECT id FROM cycles WHERE next_run_at IS NOT NULL")
        ).all()
        return [i for (i,) in identifiers], [c for (c,) in scheduled]

    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0005")
        _run(url, seed)
        migrate.upgrade(url)
        identifiers, scheduled = _run(url, filled)
        assert len(set(identifiers)) == 3
        assert all(i and len(i) >= 32 for i in identifiers)
        assert scheduled == ["sched"]
