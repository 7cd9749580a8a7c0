"""/v1.0/account/connectors/custom: an account's own connectors, which it installs and calls
(a real API on loopback) and no other account sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction

CUSTOM = "/v1.0/account/connectors/custom"


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=5)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def clients(junction: Junction) -> tuple[httpx.Client, httpx.Client, httpx.Client]:
    """The partner, account acme and account globex."""
    token = junction.token()
    partner = junction.http(token)
    for account in ("acme", "globex"):
        assert partner.post("/v1.0/accounts", json={"Id": account, "Name": account}).is_success
    return partner, junction.http(token, account="acme"), junction.http(token, account="globex")


def _own() -> dict[str, Any]:
    return contacts_definition() | {"Name": "Acme Contacts"}


def test_an_account_adds_installs_and_calls_its_connector(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client], saas: ContactsApi
) -> None:
    partner, acme, _ = clients
    added = acme.post(CUSTOM, json=_own())
    assert added.status_code == 201, added.text
    connector = added.json()
    assert connector["Name"] == "Acme Contacts"
    assert acme.get(CUSTOM).json() == [connector]
    assert acme.get(f"{CUSTOM}/{connector['Id']}").json() == connector
    assert acme.post(CUSTOM, json=_own()).status_code == 200  # the same again: no change

    installed = acme.post(
        "/v1.0/connectors/Acme Contacts/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert installed.status_code == 200, installed.text
    ac = installed.json()["Id"]
    called = acme.get(f"/v1.0/account/connectors/{ac}/methods/contacts-get?ContactId=2")
    assert called.status_code == 200, called.text
    assert called.json()["email"] == "person2@example.com"

    # The partner's catalogue lists it only when asked to.
    assert partner.get("/v1.0/connectors").json() == []
    every = partner.get("/v1.0/connectors", params={"includeCustomConnectors": "true"}).json()
    assert [c["Id"] for c in every] == [connector["Id"]]

    # Installed, it cannot be deleted; once removed, it can.
    refused = acme.delete(f"{CUSTOM}/{connector['Id']}")
    assert refused.status_code == 409
    assert acme.delete(f"/v1.0/account/connectors/{ac}").is_success
    deleted = acme.delete(f"{CUSTOM}/{connector['Id']}")
    assert deleted.status_code == 200, deleted.text
    assert acme.get(CUSTOM).json() == []
    assert acme.get(f"{CUSTOM}/{connector['Id']}").status_code == 404


def test_other_accounts_never_see_it(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    partner, acme, globex = clients
    connector = acme.post(CUSTOM, json=_own()).json()
    assert globex.get(CUSTOM).json() == []
    assert globex.get(f"{CUSTOM}/{connector['Id']}").status_code == 404
    assert globex.delete(f"{CUSTOM}/{connector['Id']}").status_code == 404
    by_id = globex.post(f"/v1.0/connectors/{connector['Id']}/install", json={})
    assert by_id.status_code == 404
    by_name = globex.post("/v1.0/connectors/Acme Contacts/install", json={})
    assert by_name.status_code == 404
    # Nor do templates, which use the partner's catalogue.
    assert partner.get("/v1.0/connectors/Acme Contacts").status_code == 404
    # A partner's connector is installable by every account, this one too.
    shared = partner.post("/v1.0/connectors", json=contacts_definition()).json()
    assert acme.post(f"/v1.0/connectors/{shared['Id']}/install", json={}).status_code == 200


def test_names_are_not_shared(clients: tuple[httpx.Client, httpx.Client, httpx.Client]) -> None:
    partner, acme, globex = clients
    assert acme.post(CUSTOM, json=_own()).status_code == 201
    taken = globex.post(CUSTOM, json=_own())
    assert taken.status_code == 409
    assert "Name" in taken.json()["Message"]
    assert partner.post("/v1.0/connectors", json=_own()).status_code == 409
    assert partner.post("/v1.0/connectors", json=contacts_definition()).status_code == 201
    assert acme.post(CUSTOM, json=contacts_definition()).status_code == 409
    # A draft of the account's own is replaced by the account.
    draft = _own() | {"Version": "2.0", "ReleaseStatus": "Draft"}
    first = acme.post(CUSTOM, json=draft).json()
    again = acme.post(CUSTOM, json=draft | {"Description": "Second"})
    assert again.status_code == 200
    assert again.json()["Id"] == first["Id"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "fragment"),
    [
        pytest.param({**contacts_definition(), "Name": ""}, None, 400, "Name", id="empty-name"),
        pytest.param({"Version": "1.0"}, None, 400, "Name", id="no-name"),
        pytest.param("not: [json", {"Content-Type": "application/json"}, 400, "", id="not-json"),
    ],
)
def test_bad_definitions_are_refused(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
    body: Any,
    headers: dict[str, str] | None,
    status: int,
    fragment: str,
) -> None:
    _, acme, _ = clients
    if isinstance(body, str):
        answer = acme.post(CUSTOM, content=body, headers=headers)
    else:
        answer = acme.post(CUSTOM, json=body)
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["Message"]
    assert acme.get(CUSTOM).json() == []


def test_the_partner_level_cannot_use_it_without_an_account(junction: Junction) -> None:
    answer = junction.http(junction.token()).get(CUSTOM)
    assert answer.status_code in (400, 401)
