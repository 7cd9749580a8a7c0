"""Console fixtures: an administrator and a viewer, signed in. Commands run in-process set up
logging (``load_settings``): undone after each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher

from junction.console import users
from tests.console.support import make_user, sign_in
from tests.fixtures.logs import logging_kept
from tests.fixtures.server import Junction


@pytest.fixture(autouse=True)
def _logging_kept() -> Iterator[None]:
    with logging_kept():
        yield


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost for the users these tests make and sign in: at the
    shipped parameters each hash and each check takes 0.18 s of CPU, about a minute over
    the console's tests. Stored hashes carry their parameters, so signing in checks them
    the same way; ``test_console_users`` holds the shipped parameters."""
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def admin(junction: Junction) -> httpx.Client:
    make_user(junction, "admin", users.ADMINISTRATOR)
    return sign_in(junction, "admin")


@pytest.fixture
def viewer(junction: Junction) -> httpx.Client:
    make_user(junction, "vera", users.VIEWER)
    return sign_in(junction, "vera")
