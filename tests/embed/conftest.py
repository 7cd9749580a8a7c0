"""Fixtures of the customer-page tests: a loopback stand-in for the third-party API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.saas import ContactsApi


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()
