"""Commands run in-process set up logging (``load_settings``): undone after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.logs import logging_kept


@pytest.fixture(autouse=True)
def _logging_kept() -> Iterator[None]:
    with logging_kept():
        yield
