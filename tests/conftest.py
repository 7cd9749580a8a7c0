"""Shared fixtures. API tests run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from junction.api.app import create_app
from junction.db import migrate
from junction.db.engine import Database
from junction.security.keyring import load_keyring
from junction.settings import Settings
from tests.fixtures.clock import FakeClock
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.fixtures.server import Junction, ServerThread


@pytest.fixture(scope="session", params=BACKENDS)
def junction_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Junction]:
    backend: str = request.param
    folder: Path = tmp_path_factory.mktemp(f"junction-{backend}")
    with fresh_database(backend, folder) as url:
        settings = Settings(data_dir=folder, database_url=url, outbound_allow_loopback=True)
        migrate.upgrade(settings.resolved_database_url)
        clock = FakeClock()
        app = create_app(
            settings,
            clock=clock,
            keyring=load_keyring(settings),
            database=Database(settings.resolved_database_url),
        )
        thread = ServerThread(app)
        base_url = thread.start()
        # The OAuth callback must point at wherever this server landed.
        app.state.context.oauth = app.state.context.oauth.with_base_url(base_url)
        try:
            yield Junction(base_url, clock, app.state.context, thread, backend)
        finally:
            thread.stop()


@pytest.fixture
def junction(junction_server: Junction) -> Junction:
    """The shared server, emptied and with its clock reset before each test."""
    junction_server.reset()
    return junction_server
