"""The tolerant reader (docs/api.md, "Tolerant reader"): every route takes back the body of
its own GET answer and the request shapes of Cyclr's documentation, and still refuses a
misspelt or wrong-typed field with the field named. Also trailing slashes, and the status
codes Cyclr's clients expect (401 without X-Cyclr-Account, 400 for a malformed GUID, 200 for
a new variable)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from junction.connectors.accounts.models import AccountConnectorProperty
from tests.connectors.test_catalog_api import contacts_definition
from tests.cycles.builders import (
    authenticate,
    life_template,
    mailing_definition,
    publish,
    steps_by_name,
)
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


@dataclass
class Setup:
    partner: httpx.Client
    account: httpx.Client
    cycle: dict[str, Any]
    steps: dict[str, dict[str, Any]]


def _secret_contacts() -> dict[str, Any]:
    """The contacts connector with a sensitive account property."""
    definition = copy.deepcopy(contacts_definition())
    definition["Name"] = "Secret Contacts"
    region = next(p for p in definition["Parameters"] if p["TargetName"] == "X-Region")
    region["Sensitive"] = True
    return definition


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def setup(junction: Junction, saas: ContactsApi) -> Setup:
    """An account with the life template's cycle installed, authenticated and set up."""
    token = junction.token()
    partner = junction.http(token)
    for definition in (contacts_definition(), mailing_definition(), _secret_contacts()):
        added = partner.post("/v1.0/connectors", json=definition)
        assert added.status_code == 201, added.text
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    account = junction.http(token, account="acme")
    template_id = publish(partner, life_template())
    installed = account.post(f"/v1.0/templates/{template_id}/install")
    assert installed.status_code == 200, installed.text
    cycle = installed.json()
    authenticate(account, cycle, saas.base_url)
    return Setup(partner, account, cycle, steps_by_name(account, cycle["Id"]))


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    parts = response.json()["Message"].split("; ")
    assert any(part.startswith(f"{field}: ") for part in parts), response.text


def _send_back(client: httpx.Client, path: str, *, method: str = "PUT") -> None:
    """GET ``path``, send the answer back as it came, and find nothing changed."""
    before = client.get(path)
    assert before.status_code == 200, before.text
    sent = client.request(method, path, json=before.json())
    assert sent.status_code == 200, (path, sent.text)
    after = client.get(path)
    assert after.json() == before.json(), path


# --- every resource with a PUT takes its GET answer back -----------------------------------


def test_accounts_take_their_answer_back(setup: Setup) -> None:
    _send_back(setup.partner, "/v1.0/accounts/acme")
    _refused(setup.partner.put("/v1.0/accounts/acme", json={"Nmae": "x"}), "Nmae")


def test_account_connectors_take_their_answer_back(setup: Setup, saas: ContactsApi) -> None:
    account = setup.account
    for connector in setup.cycle["Connectors"]:
        ac = connector["AccountConnectorId"]
        _send_back(account, f"/v1.0/account/connectors/{ac}")
        assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
        for prop in account.get(f"/v1.0/account/connectors/{ac}/properties").json():
            _send_back(account, f"/v1.0/account/connectors/{ac}/properties/{prop['Id']}")
        _refused(account.put(f"/v1.0/account/connectors/{ac}", json={"Nam": "x"}), "Nam")
        _refused(account.put(f"/v1.0/account/connectors/{ac}", json={"Name": []}), "Name")


def test_a_sensitive_property_shown_as_null_keeps_its_value(
    junction: Junction, setup: Setup
) -> None:
    account = setup.account
    secret = next(
        c for c in account.get("/v1.0/connectors").json() if c["Name"] == "Secret Contacts"
    )
    installed = account.post(
        f"/v1.0/connectors/{secret['Id']}/install",
        json={"Properties": [{"Name": "X-Region", "Value": "hidden"}]},
    )
    assert installed.status_code == 200, installed.text
    ac = installed.json()["Id"]
    path = f"/v1.0/account/connectors/{ac}"

    def sealed() -> bool:
        async def read() -> bool:
            async with junction.services.database.transaction(read_only=True) as session:
                row = await session.scalar(
                    select(AccountConnectorProperty).where(
                        AccountConnectorProperty.account_connector_id == ac
                    )
                )
                return row is not None and row.value_sealed is not None

        return junction.run(read())

    shown = account.get(path).json()
    assert [(p["Name"], p["Value"]) for p in shown["Properties"]] == [("X-Region", None)]
    assert sealed()
    assert account.put(path, json=shown).status_code == 200
    prop = shown["Properties"][0]
    assert account.put(f"{path}/properties/{prop['Id']}", json=prop).status_code == 200
    assert sealed()
    bare = {"Name": "X-Region", "Value": None}
    assert account.put(f"{path}/properties/{prop['Id']}", json=bare).status_code == 200
    assert account.put(path, json={"Properties": [bare]}).status_code == 200
    assert sealed()
    # POST sets what it is given: null clears the value.
    cleared = account.post(f"{path}/properties", json={"Name": "X-Region", "Value": None})
    assert cleared.status_code == 200, cleared.text
    assert not sealed()


def test_custom_fields_take_their_answer_back_and_cyclr_nulls(setup: Setup) -> None:
    account = setup.account
    ac = setup.cycle["Connectors"][0]["AccountConnectorId"]
    created = account.post(
        f"/v1.0/account/connectors/{ac}/fields",
        json={
            "ConnectorField": "priority",
            "SystemField": "Priority",
            "EntityIdentifier": None,
            "MethodUniqueIdentifier": ZERO_GUID,
            "ForRequestFormat": False,
        },
    )
    assert created.status_code == 200, created.text
    field = created.json()
    assert (field["EntityIdentifier"], field["MethodUniqueIdentifier"]) == (False, None)
    _send_back(account, f"/v1.0/account/connectors/{ac}/fields/{field['Id']}")
    _refused(
        account.post(
            f"/v1.0/account/connectors/{ac}/fields",
            json={"ConnectorField": "x", "EntityIdentifer": True},
        ),
        "EntityIdentifer",
    )
    _refused(
        account.post(
            f"/v1.0/account/connectors/{ac}/fields",
            json={"ConnectorField": "x", "EntityIdentifier": "sometimes"},
        ),
        "EntityIdentifier",
    )


def test_cycles_steps_and_mappings_take_their_answer_back(setup: Setup) -> None:
    account = setup.account
    path = f"/v1.0/cycles/{setup.cycle['Id']}"
    _send_back(account, path)
    for step in setup.steps.values():
        _send_back(account, f"{path}/steps/{step['Id']}")
    for step in setup.steps.values():
        if step["StepType"] != "Method":
            continue
        sid = step["Id"]
        for section, key in (("parameters", "Parameter"), ("fieldmappings", "Field")):
            for mapping in account.get(f"/v1.0/steps/{sid}/{section}").json():
                _send_back(account, f"/v1.0/steps/{sid}/{section}/{mapping[key]['Id']}")
    _send_back(account, f"{path}/variables/Domain")
    variables = account.get(f"{path}/variables")
    assert account.patch(f"{path}/variables", json=variables.json()).status_code == 200
    assert account.get(f"{path}/variables").json() == variables.json()
    _refused(account.put(path, json={"Nmae": "x"}), "Nmae")
    _refused(account.put(path, json={"ContinueOnStepError": "perhaps"}), "ContinueOnStepError")
    step = setup.steps["Ours?"]["Id"]
    _refused(account.put(f"{path}/steps/{step}", json={"Conditoins": []}), "Conditoins")
    _refused(account.put(f"{path}/variables/Domain", json={"Valeu": "x"}), "Valeu")


def test_a_new_cycle_from_an_answer(setup: Setup) -> None:
    """A cycle's answer posted as a new cycle (without its Id) makes one like it."""
    account = setup.account
    shown = account.get(f"/v1.0/cycles/{setup.cycle['Id']}").json()
    del shown["Id"]
    created = account.post("/v1.0/cycles", json=shown)
    assert created.status_code in (200, 201), created.text
    assert created.json()["Name"] == shown["Name"]


# --- Cyclr's documented request shapes -----------------------------------------------------


def test_field_mapping_with_the_field_described(setup: Setup) -> None:
    """Cyclr's examples send the answer's ``Field`` (``{"Id": 0}``) with the mapping."""
    account = setup.account
    step = setup.steps["Create contact"]["Id"]
    fields = account.get(f"/v1.0/steps/{step}/fieldmappings").json()
    name = next(f for f in fields if f["Field"]["Name"] == "Name")["Field"]["Id"]
    for method in ("PUT", "POST"):
        answer = account.request(
            method,
            f"/v1.0/steps/{step}/fieldmappings/{name}",
            json={"Field": {"Id": 0}, "MappingType": "StaticValue", "Value": f"by {method}"},
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["MappingType"], answer.json()["Value"]) == (
            "StaticValue",
            f"by {method}",
        )
    unset = account.put(
        f"/v1.0/steps/{step}/fieldmappings/{name}",
        json={"Field": {"Id": name}, "MappingType": None, "IsEntityIdentifier": False},
    )
    assert unset.status_code == 200, unset.text
    assert unset.json()["MappingType"] == "Ignore"
    target = f"/v1.0/steps/{step}/fieldmappings/{name}"
    _refused(account.put(target, json={"MappingType": "StaticValue", "Vaule": "x"}), "Vaule")
    _refused(account.put(target, json={"MappingType": "Static"}), "MappingType")


def test_cycle_creation_with_cyclr_fields(setup: Setup) -> None:
    account = setup.account
    created = account.post(
        "/v1.0/cycles", json={"Name": "Shared", "Shareable": True, "Tags": ["crm"]}
    )
    assert created.status_code in (200, 201), created.text
    path = f"/v1.0/cycles/{created.json()['Id']}"
    ac = setup.cycle["Connectors"][0]["AccountConnectorId"]
    connector = next(c for c in setup.cycle["Connectors"] if c["AccountConnectorId"] == ac)
    mui = "contacts-list" if connector["Name"] == "Test Contacts" else "subscribe"
    step = account.post(
        f"{path}/steps",
        json={
            "Name": "First",
            "ActionType": "Get",
            "AccountConnectorId": ac,
            "MethodUniqueIdentifier": mui,
        },
    )
    assert step.status_code in (200, 201), step.text
    tool = account.post(
        f"{path}/steps",
        json={"Name": "Stop", "StepType": "Stop", "MethodUniqueIdentifier": ZERO_GUID},
    )
    assert tool.status_code in (200, 201), tool.text
    _refused(account.post("/v1.0/cycles", json={"Name": "X", "Sharable": True}), "Sharable")
    _refused(account.post(f"{path}/steps", json={"Name": "X", "StepTyp": "Stop"}), "StepTyp")


def test_variables_as_cyclr_sends_them(setup: Setup) -> None:
    account = setup.account
    path = f"/v1.0/cycles/{setup.cycle['Id']}/variables"
    added = account.post(
        path,
        json={"DisplayName": "Customer e-mail", "MappingType": "StaticValue", "Value": "a@b.c"},
    )
    assert added.status_code == 200, added.text
    assert added.json() == {
        "DisplayName": "Customer e-mail",
        "SystemName": "Customer_e_mail",
        "Value": "a@b.c",
        "MappingType": "StaticValue",
        "IsLaunchVisible": False,
    }
    digits = account.post(path, json={"DisplayName": "2nd list"})
    assert digits.status_code == 200, digits.text
    assert digits.json()["SystemName"] == "_2nd_list"
    named = account.post(path, json={"SystemName": "Plain", "DisplayName": "Shown"})
    assert named.json()["SystemName"] == "Plain"
    _refused(account.post(path, json={"Value": "x"}), "SystemName")
    _refused(account.post(path, json={"DisplayName": "***"}), "SystemName")
    _refused(account.post(path, json={"SystemName": "A", "MappingType": "StepData"}), "MappingType")
    _refused(account.post(path, json={"SystemName": "B", "Vaule": "x"}), "Vaule")
    assert account.post(path, json={"DisplayName": "Plain"}).status_code == 409


def test_activation_with_interval_zero_and_run_once(setup: Setup) -> None:
    """Cyclr's own example: Interval 0 with RunOnce true."""
    account = setup.account
    subscribe = setup.steps["Subscribe"]["Id"]
    unmet = account.get(f"/v1.0/steps/{subscribe}/prerequisites").json()
    parameter_id, field_id = (p["ObjectId"] for p in unmet)
    assert (
        account.put(
            f"/v1.0/steps/{subscribe}/parameters/{parameter_id}",
            json={"MappingType": "StaticValue", "Value": "a"},
        ).status_code
        == 200
    )
    assert (
        account.put(
            f"/v1.0/steps/{subscribe}/fieldmappings/{field_id}",
            json={"MappingType": "StaticValue", "Value": "x@example.com"},
        ).status_code
        == 200
    )
    path = f"/v1.0/cycles/{setup.cycle['Id']}"
    _refused(account.put(f"{path}/activate", json={"Interval": 0}), "Interval")
    _refused(account.put(f"{path}/activate", json={"Interval": 7, "RunOnce": True}), "Interval")
    active = account.put(
        f"{path}/activate",
        json={"StartTime": "2021-12-07T09:17:50.888Z", "Interval": 0, "RunOnce": True},
    )
    assert active.status_code == 200, active.text
    assert active.json()["Status"] == "Active"


def test_report_filters_as_cyclr_sends_them(setup: Setup) -> None:
    account = setup.account
    path = f"/v1.0/cycles/{setup.cycle['Id']}/transactions"
    for query in (
        {"after": "01/01/2022", "before": "12/31/2099"},
        {"after": "1/1/2022 13:05:00"},
        {"status": "completed"},
        {"status": "ERRORED"},
    ):
        for route in ("/v1.0/cycles/transactions", path):
            answer = account.get(route, params=query)
            assert answer.status_code == 200, (query, answer.text)
            assert answer.json() == []
    _refused(account.get(path, params={"after": "31/12/2022"}), "query parameter after")
    _refused(account.get(path, params={"status": "done"}), "query parameter status")


# --- trailing slashes ----------------------------------------------------------------------


def test_a_trailing_slash_is_served_directly(junction: Junction, setup: Setup) -> None:
    partner, account = setup.partner, setup.account
    listed = partner.get("/v1.0/accounts/")
    assert listed.status_code == 200, listed.text
    assert [a["Id"] for a in listed.json()] == ["acme"]
    created = partner.post("/v1.0/accounts/", json={"Id": "slash", "Name": "Slash"})
    assert created.status_code == 200, created.text
    assert account.get(f"/v1.0/cycles/{setup.cycle['Id']}/").status_code == 200
    assert account.get("/v1.0/account/").json()["Id"] == "acme"
    assert partner.get("/v1.0/no-such-route/").status_code == 404
    with junction.http() as anonymous:
        assert anonymous.get("/v1.0/accounts/").status_code == 401
        assert anonymous.get("/console/signin/").status_code == 200
        home = anonymous.get("/")
        assert home.status_code == 200


# --- status codes --------------------------------------------------------------------------


def test_account_level_call_without_the_account_header_is_401(setup: Setup) -> None:
    missing = setup.partner.get("/v1.0/cycles")
    assert missing.status_code == 401
    assert "X-Cyclr-Account" in missing.json()["Message"]


def test_a_malformed_guid_in_the_path_is_400(setup: Setup) -> None:
    account, partner = setup.account, setup.partner
    cycle = setup.cycle["Id"]
    for client, path, parameter in (
        (account, "/v1.0/cycles/not-a-guid", "cycle_id"),
        (account, "/v1.0/cycles/not-a-guid/steps", "cycle_id"),
        (account, f"/v1.0/cycles/{cycle}/steps/12", "step_id"),
        (account, "/v1.0/steps/nope/parameters", "step_id"),
        (account, f"/v1.0/cycles/{cycle}/transactions/nope", "transaction_id"),
        (partner, "/v1.0/templates/nope", "template_id"),
    ):
        answer = client.get(path)
        _refused(answer, f"path parameter {parameter}")
        assert "is not a GUID" in answer.json()["Message"]
    unknown = str(uuid.uuid4())
    assert account.get(f"/v1.0/cycles/{unknown}").status_code == 404
    assert account.get(f"/v1.0/cycles/{cycle.upper()}").json()["Id"] == cycle
    # Account Ids are the caller's choice: no GUID needed.
    assert partner.get("/v1.0/accounts/acme").status_code == 200
