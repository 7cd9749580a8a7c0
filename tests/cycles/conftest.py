"""Fixtures of the cycle tests: a loopback API and clients with two connectors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.cycles.builders import mailing_definition
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def clients(junction: Junction) -> tuple[httpx.Client, httpx.Client]:
    token = junction.token()
    partner = junction.http(token)
    for definition in (contacts_definition(), mailing_definition()):
        added = partner.post("/v1.0/connectors", json=definition)
        assert added.status_code == 201, added.text
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    return partner, junction.http(token, account="acme")
