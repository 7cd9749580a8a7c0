"""/healthz and /readyz: what load balancers and orchestrators probe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from junction.api.app import create_app
from junction.db import migrate
from junction.dispatch.base import InMemoryDispatcher
from junction.services import build_services
from junction.settings import Settings
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.fixtures.server import Junction


def test_healthz_answers_without_a_token_or_the_database(junction: Junction) -> None:
    answer = junction.http().get("/healthz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"Status": "ok"}


def test_readyz_reports_each_check(junction: Junction) -> None:
    answer = junction.http().get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "Status": "ready",
        "Checks": {"Database": "ok", "Migrations": "ok", "Dispatcher": "ok"},
    }


def test_readyz_is_503_while_the_dispatcher_is_stopped(junction: Junction) -> None:
    dispatcher = junction.services.dispatcher
    junction.run(dispatcher.stop(grace=1))
    try:
        answer = junction.http().get("/readyz")
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["Checks"] == {
            "Database": "ok",
            "Migrations": "ok",
            "Dispatcher": "not running",
        }
        assert body["Message"] == "Not ready: dispatcher"
    finally:
        junction.run(dispatcher.start())
    assert junction.http().get("/readyz").status_code == 200


def _get(settings: Settings, path: str) -> httpx.Response:
    """One request to an app on ``settings`` whose dispatcher is started (no lifespan: it
    would need the schema at head)."""

    async def main() -> httpx.Response:
        dispatcher = InMemoryDispatcher()
        await dispatcher.start()
        services = build_services(settings, dispatcher=dispatcher)
        try:
            transport = httpx.ASGITransport(app=create_app(services))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get(path)
        finally:
            await services.close()

    return asyncio.run(main())


@pytest.mark.parametrize("backend", BACKENDS)
def test_readyz_is_503_while_the_database_is_behind_on_migrations(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0010")
        settings = Settings(data_dir=tmp_path, database_url=url)
        answer = _get(settings, "/readyz")
        assert answer.status_code == 503, answer.text
        body: dict[str, Any] = answer.json()
        head = migrate.head_revision()
        assert body["Checks"]["Database"] == "ok"
        assert body["Checks"]["Migrations"] == (
            f"the database is at revision 0010, this release needs {head}: run junction migrate"
        )
        assert body["Checks"]["Dispatcher"] == "ok"
        assert body["Message"] == "Not ready: migrations"
        migrate.upgrade(url)
        assert _get(settings, "/readyz").status_code == 200


def test_readyz_is_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    # A SQLite file in a folder that does not exist cannot be opened.
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'junction.db'}"
    answer = _get(Settings(data_dir=tmp_path, database_url=url), "/readyz")
    assert answer.status_code == 503, answer.text
    assert answer.json()["Checks"] == {
        "Database": "unreachable",
        "Migrations": "unknown: the database is unreachable",
        "Dispatcher": "ok",
    }
    # The probes name what failed, never where the database is.
    assert "missing" not in answer.text
    assert _get(Settings(data_dir=tmp_path, database_url=url), "/healthz").status_code == 200
