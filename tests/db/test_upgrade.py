"""An installation from the first release, upgraded to this one, keeps its data usable.

The database starts at the oldest migration; each kind of row is written with the SQL of
the first schema that has its table (an account at 0001, a connector at 0002, a cycle at
0004, a transaction at 0006), as an installation that lived through those releases would
have it. Then one upgrade to head, and the rows are read back through the API.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from junction.api.app import create_app
from junction.auth import service as auth_service
from junction.db import migrate
from junction.db.engine import Database
from junction.dispatch.base import InMemoryDispatcher
from junction.services import Services, build_services
from junction.settings import Settings
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.fixtures.engine_flows import crm_definition

NOW = "2026-01-01 00:00:00+00:00"
RELEASE: dict[str, Any] = {
    "Name": "T",
    "Steps": [
        {"Key": "a", "Name": "First", "ConnectorName": "C", "MethodUniqueIdentifier": "m"},
        {"Key": "b", "Name": "Done", "StepType": "Stop"},
    ],
    "Edges": [{"TailStepKey": "a", "HeadStepKey": "b", "EdgeType": "Forward"}],
}

# Cycle Ids are GUIDs (the API refuses any other in a path).
OLD_CYCLE = "c0c0c0c0-0000-4000-8000-000000000001"

# (revision, statements written with that revision's schema)
SEEDS: list[tuple[str, list[str]]] = [
    (
        "0001",
        [
            "INSERT INTO accounts (id, name, description, timezone, created_at, "
            "error_webhook_enabled, error_webhook_include_warnings) VALUES "
            "('acc', 'Old account', 'from the first release', 'Europe/London', :now, "
            "false, false)"
        ],
    ),
    (
        "0002",
        [
            "INSERT INTO connectors (id, name, version, status, description, categories, "
            "definition, created_at, updated_at) VALUES (7, 'Old CRM', '1.0', 'Live', "
            "'kept', '', :definition, :now, :now)"
        ],
    ),
    (
        "0004",
        [
            "INSERT INTO templates (id, name, tags, connectors, created_at, updated_at) "
            "VALUES ('t', 'T', '', '', :now, :now)",
            "INSERT INTO template_releases (id, template_id, version, status, document, "
            "created_at, updated_at) VALUES (1, 't', 1, 'Live', :release, :now, :now)",
            "INSERT INTO cycles (id, account_id, template_id, template_release_id, name, "
            "status, settings, variables, run_once, created_at, updated_at) VALUES "
            "('c0c0c0c0-0000-4000-8000-000000000001', 'acc', 't', 1, 'Old cycle', 'Paused', "
            "'{}', '[]', false, :now, :now)",
            "INSERT INTO cycle_steps (id, cycle_id, step_key, position, mappings) VALUES "
            "('s1', 'c0c0c0c0-0000-4000-8000-000000000001', 'a', 0, '{}'), "
            "('s2', 'c0c0c0c0-0000-4000-8000-000000000001', 'b', 1, '{}')",
        ],
    ),
    (
        "0006",
        [
            "INSERT INTO transactions (id, account_id, cycle_id, status, step_id, attempt, "
            'origin, steps_run, error_count, warning_count, message, "values", created_at, '
            "ended_at, updated_at) VALUES ('tx1', 'acc', 'c0c0c0c0-0000-4000-8000-000000000001', "
            "'Errored', 's1', 0, 'Webhook', "
            "1, 1, 0, 'the old API said no', '{}', :now, :now, :now)"
        ],
    ),
]


async def _seed(url: str, statements: list[str]) -> None:
    database = Database(url)
    parameters = {
        "now": NOW,
        "release": json.dumps(RELEASE),
        "definition": json.dumps(crm_definition()),
    }
    try:
        async with database.engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement), parameters)
    finally:
        await database.dispose()


async def _read_back(services: Services) -> dict[str, Any]:
    async with services.database.transaction() as session:
        credentials = await auth_service.create_credentials(
            session=session,
            keyring=services.keyring,
            description="upgrade",
            limit=5,
            now=services.clock(),
        )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        issued = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret or "",
            },
        )
        assert issued.status_code == 200, issued.text
        partner = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        account = partner | {"X-Cyclr-Account": "acc"}
        answers = {
            "account": await client.get("/v1.0/accounts/acc", headers=partner),
            "connector": await client.get("/v1.0/connectors/7", headers=partner),
            "cycle": await client.get(f"/v1.0/cycles/{OLD_CYCLE}", headers=account),
            "transactions": await client.get(
                f"/v1.0/cycles/{OLD_CYCLE}/transactions", headers=account
            ),
            "renamed": await client.put(
                "/v1.0/accounts/acc", json={"Name": "Renamed"}, headers=partner
            ),
        }
    result: dict[str, Any] = {}
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        result[name] = answer.json()
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_data_from_the_oldest_schema_is_usable_after_upgrading(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        for revision, statements in SEEDS:
            migrate.upgrade(url, revision)
            asyncio.run(_seed(url, statements))
        migrate.upgrade(url)

        async def main() -> dict[str, Any]:
            dispatcher = InMemoryDispatcher()
            await dispatcher.start()
            services = build_services(
                Settings(data_dir=tmp_path, database_url=url), dispatcher=dispatcher
            )
            try:
                return await _read_back(services)
            finally:
                await services.close()

        seen = asyncio.run(main())
    assert seen["account"]["Name"] == "Old account"
    assert seen["account"]["Description"] == "from the first release"
    assert seen["account"]["Timezone"] == "Europe/London"
    assert seen["connector"]["Name"] == "Old CRM"
    assert seen["connector"]["Version"] == "1.0"
    assert seen["cycle"]["Name"] == "Old cycle"
    assert seen["cycle"]["Status"] == "Paused"
    assert [(t["Id"], t["Status"]) for t in seen["transactions"]] == [("tx1", "Errored")]
    assert seen["renamed"]["Name"] == "Renamed"
