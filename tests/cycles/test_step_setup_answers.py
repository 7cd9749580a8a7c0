"""Step set-up answers in Cyclr's shapes: a parameter's trigger names the method to call and
the input it serves; the fields a StepData mapping may read come as one flat list."""

from __future__ import annotations

import httpx

from tests.cycles.builders import authenticate, life_template, publish, steps_by_name
from tests.fixtures.saas import ContactsApi

INPUT_FIELDS = {
    "Id",
    "Name",
    "Description",
    "IsOptional",
    "DataType",
    "TriggerName",
    "Values",
    "DisplayOrder",
    "Triggers",
}


def _installed(
    partner: httpx.Client, account: httpx.Client, saas: ContactsApi
) -> tuple[dict[str, object], dict[str, dict[str, str]]]:
    installed = account.post(f"/v1.0/templates/{publish(partner, life_template())}/install")
    assert installed.status_code == 200, installed.text
    cycle = installed.json()
    authenticate(account, cycle, saas.base_url)
    return cycle, steps_by_name(account, cycle["Id"])


def test_a_parameters_trigger_names_its_method_and_the_parameter(
    clients: tuple[httpx.Client, httpx.Client], saas: ContactsApi
) -> None:
    partner, account = clients
    _, steps = _installed(partner, account, saas)
    subscribe = steps["Subscribe"]["Id"]
    [listed] = account.get(f"/v1.0/steps/{subscribe}/parameters").json()
    parameter_id = listed["Parameter"]["Id"]
    one = account.get(f"/v1.0/steps/{subscribe}/parameters/{parameter_id}")
    assert one.status_code == 200, one.text
    [trigger] = one.json()["Parameter"]["Triggers"]
    mailing = partner.get("/v1.0/connectors/Test Mailing").json()[0]
    methods = partner.get(f"/v1.0/connectors/{mailing['Id']}/methods").json()
    lists = next(m for m in methods if m["MethodUniqueIdentifier"] == "lists")
    assert (trigger["MethodId"], trigger["EntityId"]) == (lists["Id"], parameter_id)
    assert listed["Parameter"]["Triggers"] == [trigger]
    # As Cyclr's page says: that method of that account connector gives the values.
    values = account.get(
        f"/v1.0/account/connectors/{trigger['AccountConnectorId']}/methods/{trigger['MethodId']}"
    )
    assert values.status_code == 200, values.text
    assert "statuses" in values.json()
    # A field has no trigger.
    fields = account.get(f"/v1.0/steps/{subscribe}/fieldmappings").json()
    assert [f["Field"]["Triggers"] for f in fields] == [[]]


def test_fields_for_mapping_are_one_list_naming_their_steps(
    clients: tuple[httpx.Client, httpx.Client], saas: ContactsApi
) -> None:
    partner, account = clients
    _, steps = _installed(partner, account, saas)
    source = steps["List contacts"]["Id"]
    answer = account.get(f"/v1.0/steps/{steps['Subscribe']['Id']}/fieldsformapping")
    assert answer.status_code == 200, answer.text
    fields = answer.json()
    assert [(f["StepId"], f["StepName"], f["Name"]) for f in fields] == [
        (source, "List contacts", "Id"),
        (source, "List contacts", "Email"),
        (source, "List contacts", "Created"),
    ]
    assert all(set(f) >= INPUT_FIELDS for f in fields)
    created = fields[2]
    assert (created["DataType"], created["DisplayOrder"], created["Triggers"]) == (
        "DateTime",
        2,
        [],
    )
    # Its Id and StepId are what a StepData mapping names.
    [email_field] = account.get(f"/v1.0/steps/{steps['Subscribe']['Id']}/fieldmappings").json()
    mapped = account.put(
        f"/v1.0/steps/{steps['Subscribe']['Id']}/fieldmappings/{email_field['Field']['Id']}",
        json={"MappingType": "StepData", "SourceStepId": source, "SourceFieldId": fields[1]["Id"]},
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["SourceField"] == "Email"
    # The first step has nothing before it; an unknown step is a 404.
    assert account.get(f"/v1.0/steps/{source}/fieldsformapping").json() == []
    unknown = account.get("/v1.0/steps/0b5c6f0e-3a52-4c1e-9c57-2f1d1f6a4b10/fieldsformapping")
    assert unknown.status_code == 404
