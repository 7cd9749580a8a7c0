"""Fields Cyclr's clients read on connectors and account connectors, with Cyclr's names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction

MASK = "********"


def basic_definition() -> dict[str, Any]:
    document = contacts_definition()
    document["Name"] = "Basic Contacts"
    document["ReleaseStatus"] = "Draft"
    document["Authentication"] = [{"Id": "basic", "AuthType": "Basic"}]
    return document


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    assert client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    return client


@pytest.fixture
def account(junction: Junction, partner: httpx.Client) -> httpx.Client:
    return junction.http(junction.token(), account="acme")


def test_connector_status_auth_scheme_and_description(partner: httpx.Client) -> None:
    live = partner.post("/v1.0/connectors", json=contacts_definition())
    assert live.status_code == 201, live.text
    draft = partner.post("/v1.0/connectors", json=basic_definition())
    assert draft.status_code == 201, draft.text

    listed = {c["Name"]: c for c in partner.get("/v1.0/connectors").json()}
    contacts = listed["Test Contacts"]
    # Cyclr's Status is "Approved" for a connector one may install; ReleaseStatus stays.
    assert (contacts["Status"], contacts["ReleaseStatus"]) == ("Approved", "Live")
    # An API key in a header: AuthScheme names the header, as in Cyclr's example.
    assert (contacts["AuthScheme"], contacts["AuthDescription"]) == ("X-Api-Key", None)
    [auth] = contacts["Authentication"]
    assert (auth["AuthName"], auth["AuthScheme"], auth["AuthDescription"]) == (
        None,
        "X-Api-Key",
        None,
    )

    basic = listed["Basic Contacts"]
    assert (basic["Status"], basic["ReleaseStatus"]) == ("Draft", "Draft")
    assert (basic["AuthScheme"], basic["AuthDescription"]) == (None, None)
    assert partner.get(f"/v1.0/connectors/{basic['Id']}").json()["Status"] == "Draft"


def test_deprecated_connector_status(partner: httpx.Client) -> None:
    document = contacts_definition() | {"Version": "0.9", "ReleaseStatus": "Deprecated"}
    created = partner.post("/v1.0/connectors", json=document)
    assert created.status_code == 201, created.text
    assert (created.json()["Status"], created.json()["ReleaseStatus"]) == (
        "Deprecated",
        "Deprecated",
    )


def test_account_connector_answer_fields(partner: httpx.Client, account: httpx.Client) -> None:
    connector_id = partner.post("/v1.0/connectors", json=contacts_definition()).json()["Id"]
    installed = account.post(f"/v1.0/connectors/{connector_id}/install", json={})
    assert installed.status_code == 200, installed.text
    body = installed.json()
    # Nothing stored yet: AuthValue is null, as in Cyclr's example of a new install.
    assert (body["AuthValue"], body["Authenticated"]) == (None, False)
    assert body["IsPartnerIntegrationConnector"] is False
    assert body["CustomFields"] == []
    connector = body["Connector"]
    assert (connector["Status"], connector["AuthType"], connector["OAuth2Type"]) == (
        "Approved",
        "ApiKey",
        None,
    )
    assert (connector["AuthScheme"], connector["AuthDescription"]) == ("X-Api-Key", None)
    assert connector["Triggers"] == [
        {
            "Name": "statuses",
            "MethodUniqueIdentifier": "statuses-list",
            "IdentifierKey": "[statuses].code",
            "HumanReadableKey": "[statuses].label",
        }
    ]

    path = f"/v1.0/account/connectors/{body['Id']}"
    secret = "key-that-must-not-come-back"
    authenticated = account.put(path, json={"AuthValue": secret})
    assert authenticated.status_code == 200, authenticated.text
    for answer in (authenticated, account.get(path), account.get("/v1.0/account/connectors")):
        assert secret not in answer.text
    assert account.get(path).json()["AuthValue"] == MASK

    field = account.post(
        f"{path}/fields",
        json={
            "ConnectorField": "[contacts].phone",
            "SystemField": "Phone",
            "MethodUniqueIdentifier": "contacts-list",
        },
    )
    assert field.status_code == 200, field.text
    got = account.get(path).json()
    assert [f["SystemField"] for f in got["CustomFields"]] == ["Phone"]
    assert got["CustomFields"][0]["Id"] == field.json()["Id"]


def test_masked_auth_value_sent_back_keeps_the_credentials(
    junction: Junction, partner: httpx.Client, account: httpx.Client
) -> None:
    connector_id = partner.post("/v1.0/connectors", json=contacts_definition()).json()["Id"]
    row = account.post(
        f"/v1.0/connectors/{connector_id}/install", json={"AuthValue": "the-real-key"}
    ).json()
    path = f"/v1.0/account/connectors/{row['Id']}"
    renamed = account.put(path, json={"Name": "Renamed", "AuthValue": MASK})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["Name"], renamed.json()["AuthValue"]) == ("Renamed", MASK)
    assert renamed.json()["Authenticated"] is True

    async def stored_key() -> Any:
        from junction.connectors.accounts import service
        from junction.connectors.accounts.models import AccountConnector

        async with junction.services.database.transaction(read_only=True) as session:
            stored = await session.get(AccountConnector, row["Id"])
            assert stored is not None
            return service.read_credentials(stored, junction.services.keyring)

    credentials = junction.run(stored_key())
    assert "the-real-key" in str(credentials)


def test_properties_order_by(partner: httpx.Client, account: httpx.Client) -> None:
    connector_id = partner.post("/v1.0/connectors", json=contacts_definition()).json()["Id"]
    row = account.post(f"/v1.0/connectors/{connector_id}/install", json={}).json()
    path = f"/v1.0/account/connectors/{row['Id']}/properties"
    for name, value in (("X-Region", "us"), ("ApiBase", "https://crm.example.com")):
        assert account.post(path, json={"Name": name, "Value": value}).status_code == 200

    def names(**params: Any) -> list[str]:
        got = account.get(path, params=params)
        assert got.status_code == 200, got.text
        return [p["Name"] for p in got.json()]

    assert names() == ["X-Region", "ApiBase"]  # by Id, as before
    assert names(orderBy="Name") == ["ApiBase", "X-Region"]
    assert names(orderBy="name", sortOrderAsc="false") == ["X-Region", "ApiBase"]
    assert names(orderBy="Id", sortOrderAsc="false") == ["ApiBase", "X-Region"]

    bad = account.get(path, params={"orderBy": "Value"})
    assert bad.status_code == 400, bad.text
    assert bad.json()["Message"] == "orderBy: 'Value' is not sortable; use one of Id, Name"
    bad = account.get(path, params={"sortOrderAsc": "sideways"})
    assert bad.status_code == 400, bad.text
    assert "sortOrderAsc" in bad.json()["Message"]
