"""Fixtures of the report tests: two accounts, reached through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from tests.fixtures.server import Junction

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Reports:
    junction: Junction
    partner: httpx.Client
    acme: httpx.Client  # account "acme"
    other: httpx.Client  # account "other"

    def cycle(self, name: str, client: httpx.Client | None = None) -> str:
        created = (client or self.acme).post("/v1.0/cycles", json={"Name": name})
        assert created.status_code == 201, created.text
        cycle_id: str = created.json()["Id"]
        return cycle_id


@pytest.fixture
def reports(junction: Junction) -> Iterator[Reports]:
    token = junction.token()
    partner = junction.http(token)
    for account_id in ("acme", "other"):
        created = partner.post("/v1.0/accounts", json={"Id": account_id, "Name": account_id})
        assert created.status_code == 200, created.text
    clients = (partner, junction.http(token, account="acme"), junction.http(token, "other"))
    yield Reports(junction, *clients)
    for client in clients:
        client.close()
