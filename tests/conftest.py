"""Shared fixtures. API tests run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from junction.db import migrate
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.fixtures.server import Junction, running_junction


@pytest.fixture(scope="session", params=BACKENDS)
def junction_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Junction]:
    backend: str = request.param
    with running_junction(backend, tmp_path_factory.mktemp(f"junction-{backend}")) as server:
        yield server


@pytest.fixture
def junction(junction_server: Junction) -> Junction:
    """The shared server, emptied and with its clock reset before each test."""
    junction_server.reset()
    return junction_server


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database at the current schema, with no server on it: once per backend."""
    with fresh_database(request.param, tmp_path, migrated=True) as url:
        migrate.upgrade(url)
        yield url
