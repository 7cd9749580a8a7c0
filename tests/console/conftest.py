"""Console fixtures: an administrator and a viewer, signed in. Commands run in-process set up
logging (``load_settings``): undone after each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from junction.console import users
from tests.console.support import make_user, sign_in
from tests.fixtures.logs import logging_kept
from tests.fixtures.server import Junction


@pytest.fixture(autouse=True)
def _logging_kept() -> Iterator[None]:
    with logging_kept():
        yield


@pytest.fixture
def admin(junction: Junction) -> httpx.Client:
    make_user(junction, "admin", users.ADMINISTRATOR)
    return sign_in(junction, "admin")


@pytest.fixture
def viewer(junction: Junction) -> httpx.Client:
    make_user(junction, "vera", users.VIEWER)
    return sign_in(junction, "vera")
