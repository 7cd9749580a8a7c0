"""A connector's parameters as Cyclr lists them: on the connector, and on the connector of an
installed account connector (what an install is answered with)."""

from __future__ import annotations

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction

API_BASE = {
    "Id": 1,
    "Name": "API address",
    "TargetType": "MergeField",
    "TargetName": "ApiBase",
    "DisplayName": "API address",
    "Description": None,
    "IsOptional": False,
    "IsSensitive": False,
    "DataType": "Text",
    "TriggerName": None,
    "Values": [],
    "DefaultValue": None,
    "IsAccountConnectorProperty": True,
    "PartnerConnectorProperty": False,
}


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    assert client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    return client


def test_parameters_carry_cyclr_names_and_ids_by_position(partner: httpx.Client) -> None:
    document = contacts_definition()
    document["Parameters"].append(
        {
            "TargetType": "MergeField",
            "TargetName": "Secret",
            "Sensitive": True,
            "DataType": "Integer",
            "TriggerName": "statuses",
        }
    )
    added = partner.post("/v1.0/connectors", json=document)
    assert added.status_code == 201, added.text
    [listed] = partner.get("/v1.0/connectors").json()
    api_base, region, secret = listed["Parameters"]
    assert api_base == API_BASE
    # Name is the label users see; TargetName the property's own name, which installs send.
    assert (region["Id"], region["Name"], region["TargetName"]) == (2, "Region", "X-Region")
    assert (region["IsOptional"], region["DefaultValue"]) == (True, "eu")
    assert (secret["Id"], secret["Name"], secret["IsSensitive"]) == (3, "Secret", True)
    assert (secret["DataType"], secret["TriggerName"]) == ("Integer", "statuses")
    assert secret["IsAccountConnectorProperty"] is False
    # Junction's duplicates of Cyclr's names are gone.
    assert not {"Optional", "Sensitive", "AccountConnectorProperty"} & set(api_base)
    # The same Ids on every call and every way of asking for the release.
    one = partner.get(f"/v1.0/connectors/{listed['Id']}").json()
    assert one["Parameters"] == listed["Parameters"]


def test_an_install_answers_the_connectors_parameters(
    junction: Junction, partner: httpx.Client
) -> None:
    added = partner.post("/v1.0/connectors", json=contacts_definition())
    assert added.status_code == 201, added.text
    account = junction.http(junction.token(), account="acme")
    # Cyclr's install example sends each property with the parameter's Id.
    installed = account.post(
        f"/v1.0/connectors/{added.json()['Id']}/install",
        json={"Properties": [{"Name": "ApiBase", "Value": "https://api.example", "Id": 1}]},
    )
    assert installed.status_code == 200, installed.text
    parameters = installed.json()["Connector"]["Parameters"]
    assert parameters == added.json()["Parameters"]
    assert parameters[0] == API_BASE
    again = account.get(f"/v1.0/account/connectors/{installed.json()['Id']}").json()
    assert again["Connector"]["Parameters"] == parameters
