"""Fixtures of the engine tests: the loopback APIs cycles call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cycles.conftest import clients, saas
from tests.fixtures.crm import CrmApi
from tests.fixtures.databases import BACKENDS
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import PROCRASTINATE, Junction, running_junction

__all__ = ["clients", "crm", "mailer", "saas"]


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    with CrmApi() as api:
        yield api


@pytest.fixture
def mailer() -> Iterator[MailerApi]:
    with MailerApi() as api:
        yield api


@pytest.fixture(scope="session", params=[*BACKENDS, PROCRASTINATE])
def junction_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Junction]:
    """The engine's tests run a third time: PostgreSQL with the procrastinate dispatcher."""
    backend: str = request.param
    with running_junction(backend, tmp_path_factory.mktemp(f"engine-{backend}")) as server:
        yield server
