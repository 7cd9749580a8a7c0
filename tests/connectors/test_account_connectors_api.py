"""Installing connectors into accounts, authenticating them, and their properties."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction


def basic_and_fields_definition() -> dict[str, Any]:
    document = contacts_definition()
    document["Name"] = "Multi Auth"
    document["Authentication"] = [
        {"Id": "basic", "AuthType": "Basic", "IsDefault": True},
        {
            "Id": "fields",
            "AuthType": "AuthFields",
            "AuthFields": [{"Name": "Tenant", "Key": "Tenant"}],
        },
        {
            "Id": "oauth",
            "AuthType": "OAuth2",
            "OAuth2": {
                "OAuth2Type": "AuthorisationCode",
                "AuthoriseUrl": "https://auth.example.com/authorize",
                "TokenUrl": "https://auth.example.com/token",
                "ClientId": "abc",
            },
        },
        {"Id": "open", "AuthType": "None"},
    ]
    document["Parameters"].append(
        {
            "TargetType": "HttpHeader",
            "TargetName": "X-Secret",
            "AccountConnectorProperty": True,
            "Sensitive": True,
        }
    )
    document["Parameters"].append(
        {"TargetType": "HttpHeader", "TargetName": "X-Partner", "PartnerConnectorProperty": True}
    )
    return document


@pytest.fixture
def setup(junction: Junction) -> tuple[httpx.Client, int, int]:
    """An API client acting in account 'acme', and the ids of two Live connectors."""
    partner = junction.token()
    with junction.http(partner) as client:
        assert client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
        contacts = client.post("/v1.0/connectors", json=contacts_definition()).json()["Id"]
        multi = client.post("/v1.0/connectors", json=basic_and_fields_definition()).json()["Id"]
    return junction.http(partner, account="acme"), contacts, multi


def test_install_authenticate_and_read(setup: tuple[httpx.Client, int, int]) -> None:
    api, contacts, _ = setup
    installed = api.post(
        f"/v1.0/connectors/{contacts}/install",
        json={
            "Name": "Our CRM",
            "AuthValue": "key-123",
            "Properties": [{"Name": "ApiBase", "Value": "https://crm.example.com"}],
        },
    )
    assert installed.status_code == 200, installed.text
    body = installed.json()
    assert body["Name"] == "Our CRM"
    assert body["Authenticated"] is True
    assert body["AuthenticationId"] == "apikey"
    assert body["Connector"]["Id"] == contacts
    assert [(p["Name"], p["Value"]) for p in body["Properties"]] == [
        ("ApiBase", "https://crm.example.com")
    ]
    assert "key-123" not in installed.text

    listed = api.get("/v1.0/account/connectors")
    assert [c["Id"] for c in listed.json()] == [body["Id"]]
    assert listed.headers["total-records"] == "1"
    assert api.get(f"/v1.0/account/connectors/{body['Id']}").json() == body

    gone = api.put(f"/v1.0/account/connectors/{body['Id']}/deauthenticate")
    assert gone.status_code == 200
    assert "de-authenticated" in gone.json()["Message"]
    assert api.get(f"/v1.0/account/connectors/{body['Id']}").json()["Authenticated"] is False
    again = api.put(f"/v1.0/account/connectors/{body['Id']}", json={"AuthValue": "key-456"})
    assert again.json()["Authenticated"] is True

    assert api.delete(f"/v1.0/account/connectors/{body['Id']}").status_code == 200
    assert api.get(f"/v1.0/account/connectors/{body['Id']}").status_code == 404


def test_install_by_name_and_auth_types(setup: tuple[httpx.Client, int, int]) -> None:
    api, _, multi = setup
    basic = base64.b64encode(b"ann:pa:ss").decode()
    by_name = api.post("/v1.0/connectors/Multi Auth/install", json={"AuthValue": basic})
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["AuthenticationId"] == "basic"
    assert by_name.json()["Authenticated"] is True

    fields = api.post(
        f"/v1.0/connectors/{multi}/install",
        json={"AuthenticationId": "fields", "AuthValue": json.dumps({"Tenant": "t1"})},
    )
    assert fields.json()["Authenticated"] is True
    oauth = api.post(
        f"/v1.0/connectors/{multi}/install",
        json={
            "AuthenticationId": "oauth",
            "AuthValue": json.dumps({"AccessToken": "at", "RefreshToken": "rt", "Expires": 3600}),
        },
    )
    assert oauth.json()["Authenticated"] is True
    pending = api.post(f"/v1.0/connectors/{multi}/install", json={"AuthenticationId": "oauth"})
    assert pending.json()["Authenticated"] is False
    open_ = api.post(f"/v1.0/connectors/{multi}/install", json={"AuthenticationId": "open"})
    assert open_.json()["Authenticated"] is True


def test_sensitive_properties_are_never_shown(setup: tuple[httpx.Client, int, int]) -> None:
    api, _, multi = setup
    row = api.post(
        f"/v1.0/connectors/{multi}/install",
        json={"AuthenticationId": "open", "Properties": [{"Name": "X-Secret", "Value": "hush"}]},
    ).json()
    assert [(p["Name"], p["Value"]) for p in row["Properties"]] == [("X-Secret", None)]
    prop_id = row["Properties"][0]["Id"]
    base = f"/v1.0/account/connectors/{row['Id']}/properties"
    assert api.get(f"{base}/{prop_id}").json()["Value"] is None
    added = api.post(base, json={"Name": "ApiBase", "Value": "https://x.example.com"})
    assert added.status_code == 200
    changed = api.put(
        f"{base}/{added.json()['Id']}", json={"Name": "ApiBase", "Value": "https://y.example.com"}
    )
    assert changed.json()["Value"] == "https://y.example.com"
    assert len(api.get(base).json()) == 2
    assert api.delete(f"{base}/{prop_id}").status_code == 200
    assert [p["Name"] for p in api.get(base).json()] == ["ApiBase"]


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        pytest.param("{contacts}", {"AuthValue": "   "}, 400, "AuthValue", id="empty-api-key"),
        pytest.param("{multi}", {"AuthValue": "not base64!"}, 400, "AuthValue", id="bad-basic"),
        pytest.param(
            "{multi}",
            {"AuthValue": base64.b64encode(b"nocolon").decode()},
            400,
            "AuthValue",
            id="basic-no-colon",
        ),
        pytest.param(
            "{multi}",
            {"AuthenticationId": "fields", "AuthValue": "{}"},
            400,
            "missing Tenant",
            id="auth-fields-missing",
        ),
        pytest.param(
            "{multi}",
            {"AuthenticationId": "oauth", "AuthValue": '{"RefreshToken": "x"}'},
            400,
            "AccessToken",
            id="oauth-without-access-token",
        ),
        pytest.param(
            "{multi}",
            {"AuthenticationId": "oauth", "AuthValue": '{"AccessToken": "x", "Expires": "soon"}'},
            400,
            "Expires",
            id="oauth-bad-expiry",
        ),
        pytest.param(
            "{multi}", {"AuthenticationId": "kerberos"}, 400, "AuthenticationId", id="unknown-auth"
        ),
        pytest.param(
            "{contacts}",
            {"Properties": [{"Name": "Nope", "Value": "x"}]},
            400,
            "Nope",
            id="unknown-property",
        ),
        pytest.param(
            "{multi}",
            {"AuthenticationId": "open", "Properties": [{"Name": "X-Partner", "Value": "x"}]},
            400,
            "not an account connector property",
            id="partner-property",
        ),
        pytest.param("{contacts}", {"Colour": "red"}, 400, "Colour", id="unknown-field"),
        pytest.param("999", {}, 404, "999", id="unknown-connector"),
    ],
)
def test_bad_installs_store_nothing(
    setup: tuple[httpx.Client, int, int],
    path: str,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    api, contacts, multi = setup
    response = api.post(
        f"/v1.0/connectors/{path.format(contacts=contacts, multi=multi)}/install", json=body
    )
    assert response.status_code == status, response.text
    assert fragment in response.json()["Message"]
    assert api.get("/v1.0/account/connectors").json() == []


def test_bad_authentication_keeps_the_old_credentials(setup: tuple[httpx.Client, int, int]) -> None:
    api, contacts, _ = setup
    row = api.post(f"/v1.0/connectors/{contacts}/install", json={"AuthValue": "good"}).json()
    response = api.put(
        f"/v1.0/account/connectors/{row['Id']}", json={"AuthValue": "  ", "Name": "Renamed"}
    )
    assert response.status_code == 400
    after = api.get(f"/v1.0/account/connectors/{row['Id']}").json()
    assert after["Authenticated"] is True
    assert after["Name"] == row["Name"]


def test_drafts_cannot_be_installed(
    junction: Junction, setup: tuple[httpx.Client, int, int]
) -> None:
    api, _, _ = setup
    with junction.http(junction.token()) as partner:
        draft = partner.post(
            "/v1.0/connectors",
            json=contacts_definition() | {"Version": "2.0", "ReleaseStatus": "Draft"},
        ).json()
    response = api.post(f"/v1.0/connectors/{draft['Id']}/install", json={})
    assert response.status_code == 400
    assert "draft" in response.json()["Message"]


def test_account_connectors_are_private_to_their_account(
    junction: Junction, setup: tuple[httpx.Client, int, int]
) -> None:
    api, contacts, _ = setup
    row = api.post(f"/v1.0/connectors/{contacts}/install", json={"AuthValue": "k"}).json()
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"})
    with junction.http(partner, account="other") as other:
        assert other.get(f"/v1.0/account/connectors/{row['Id']}").status_code == 404
        assert other.get("/v1.0/account/connectors").json() == []
    with junction.http(partner) as no_account:
        assert no_account.get("/v1.0/account/connectors").status_code == 401


def test_credentials_are_encrypted_at_rest(
    junction: Junction, setup: tuple[httpx.Client, int, int]
) -> None:
    api, _, multi = setup
    api.post(
        f"/v1.0/connectors/{multi}/install",
        json={
            "AuthValue": base64.b64encode(b"user:very-secret-password").decode(),
            "Properties": [{"Name": "X-Secret", "Value": "sensitive-property-value"}],
        },
    )

    async def stored_text() -> str:
        from sqlalchemy import text

        async with junction.services.database.transaction() as session:
            rows = await session.execute(text("SELECT auth_sealed FROM account_connectors"))
            props = await session.execute(
                text("SELECT value, value_sealed FROM account_connector_properties")
            )
            return repr(rows.all()) + repr(props.all())

    stored = junction.run(stored_text())
    assert "very-secret-password" not in stored
    assert "sensitive-property-value" not in stored
    assert "account_connectors" not in stored  # sealed values carry only a key id and ciphertext


def test_key_rotation_reseals_connector_secrets(
    junction: Junction, setup: tuple[httpx.Client, int, int]
) -> None:
    from dataclasses import replace

    from sqlalchemy import select

    from junction.connectors.accounts import service as account_connectors
    from junction.connectors.accounts.models import AccountConnector, AccountConnectorProperty
    from junction.security.keyring import b64decode, generate_key

    api, _, multi = setup
    api.post(
        f"/v1.0/connectors/{multi}/install",
        json={
            "AuthValue": base64.b64encode(b"user:pw-123").decode(),
            "Properties": [{"Name": "X-Secret", "Value": "prop-secret"}],
        },
    )
    old = junction.services.keyring
    new = replace(
        old, primary_key_id="rotated", keys={**old.keys, "rotated": b64decode(generate_key())}
    )

    async def rotate() -> tuple[int, list[str]]:
        async with junction.services.database.transaction() as session:
            count = await account_connectors.reseal_secrets(session=session, keyring=new)
        async with junction.services.database.transaction() as session:
            rows = (await session.scalars(select(AccountConnector))).all()
            props = (await session.scalars(select(AccountConnectorProperty))).all()
            sealed = [r.auth_sealed for r in rows] + [
                p.value_sealed for p in props if p.value_sealed
            ]
            assert account_connectors.read_credentials(rows[0], new)["password"] == "pw-123"
            return count, [s or "" for s in sealed]

    count, sealed = junction.run(rotate())
    assert count == 2
    assert all(value.startswith("rotated:") for value in sealed)
