"""A template built from two shipped connectors, end to end: new or changed HubSpot contacts
are added to a Mailchimp audience. Each API is a Prism mock of the vendor's description
(tests/fixtures/vendors), so every request the cycle makes is checked against it; the cycle
is built, published, installed, set up and run through Junction's HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from junction.connectors import library
from junction.utilities import builtin
from tests.connectors.library.prism import PrismMock, prism_mock
from tests.connectors.library.test_contracts import default_auth_value, description_of
from tests.cycles.builders import publish
from tests.engine.hooks import wait_for
from tests.fixtures.server import Junction

AUDIENCE = "57afe96172"
STEP_NAMES = ("New or changed contacts", "Add to the audience")


def _template() -> dict[str, Any]:
    return {
        "Name": "HubSpot contacts to Mailchimp",
        "Steps": [
            {
                "Key": "contacts",
                "Name": "New or changed contacts",
                "ConnectorName": "HubSpot",
                "MethodUniqueIdentifier": "contacts-list-updated",
            },
            {
                "Key": "member",
                "Name": "Add to the audience",
                "ConnectorName": "Mailchimp",
                "MethodUniqueIdentifier": "members-add",
                "Parameters": [{"Name": "ListId", "MappingType": "StaticValue", "Value": AUDIENCE}],
                "FieldMappings": [
                    {
                        "Name": "EmailAddress",
                        "MappingType": "StepData",
                        "SourceStepKey": "contacts",
                        "SourceField": "Email",
                    }
                ],
            },
        ],
        "Edges": [{"TailStepKey": "contacts", "HeadStepKey": "member"}],
    }


def _set_up(account: httpx.Client, cycle: dict[str, Any], mocks: dict[str, PrismMock]) -> None:
    """Each connector pointed at its mock, then given credentials (tried there at once)."""
    slugs = {"HubSpot": "hubspot", "Mailchimp": "mailchimp"}
    for connector in cycle["Connectors"]:
        ac = connector["AccountConnectorId"]
        base = account.post(
            f"/v1.0/account/connectors/{ac}/properties",
            json={"Name": "BaseUrl", "Value": mocks[connector["Name"]].base_url},
        )
        assert base.status_code in (200, 201), base.text
        auth_value = default_auth_value(library.definition(slugs[connector["Name"]]))
        done = account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": auth_value})
        assert done.status_code == 200, done.text


@pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True)
def test_hubspot_contacts_become_mailchimp_members(junction: Junction, tmp_path: Path) -> None:
    junction.run(
        builtin.register(
            database=junction.services.database,
            now=junction.clock(),
            library_connectors="hubspot,mailchimp",
        )
    )
    with (
        # The HubSpot mock answers with its description's examples even where they break
        # its own schemas; both still check every request they get.
        prism_mock(description_of("hubspot"), tmp_path, answers_checked=False) as hubspot,
        prism_mock(description_of("mailchimp"), tmp_path) as mailchimp,
    ):
        token = junction.token()
        with junction.http(token) as partner:
            assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
            template_id = publish(partner, _template())
        with junction.http(token, account="acme") as account:
            installed = account.post(f"/v1.0/templates/{template_id}/install")
            assert installed.status_code == 200, installed.text
            cycle = installed.json()
            _set_up(account, cycle, {"HubSpot": hubspot, "Mailchimp": mailchimp})
            path = f"/v1.0/cycles/{cycle['Id']}"
            assert account.get(f"{path}/prerequisites").json() == []
            active = account.put(f"{path}/activate", json={"Interval": 60})
            assert active.status_code == 200, active.text

            def settled() -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = account.get(f"{path}/transactions").json()
                if items and all(t["Status"] in ("Completed", "Errored") for t in items):
                    return items
                return []

            try:
                wait_for(lambda: bool(settled()), timeout=60)
            except AssertionError:
                raise AssertionError(account.get(f"{path}/transactions").text[:2000]) from None
            items = settled()
            details = [account.get(f"{path}/transactions/{t['Id']}").json() for t in items]
        problems = json.dumps(details)[:3000]
        # Every contact the HubSpot mock answered became one transaction whose Mailchimp call
        # the Mailchimp mock accepted, carrying that contact's address.
        assert items, "the HubSpot mock answered no contact"
        assert [t["Status"] for t in items] == ["Completed"] * len(items), problems
        steps = [step for detail in details for step in detail]
        found = [s for s in steps if s["StepName"] == STEP_NAMES[0]]
        added = [s for s in steps if s["StepName"] == STEP_NAMES[1]]
        assert len(found) == 1  # the trigger ran once; its contacts were handed on one by one
        answer = json.loads(found[0]["Exchanges"][0]["ResponseBody"])
        contacts = sorted(c["properties"]["email"] for c in answer["results"])
        assert len(contacts) >= 2
        assert len(items) == len(contacts)
        sent = [json.loads(s["Exchanges"][0]["RequestBody"]) for s in added]
        assert sorted(body["email_address"] for body in sent) == contacts
        assert all(s["Exchanges"][0]["Url"].endswith(f"/lists/{AUDIENCE}/members") for s in added)
        assert not mailchimp.violations(), mailchimp.violations()
        assert not hubspot.violations(), hubspot.violations()
