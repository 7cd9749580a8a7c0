"""The template builder through HTTP: a webhook trigger, a decision and an HTTP POST step
added to a Draft; fields mapped from the trigger, problems shown on the step they concern and
cleared once fixed; a bad mapping refused beside its field; a test run against a loopback API;
the audit log; and a viewer who may look but not change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import csrf_of
from tests.engine.hooks import hooks_definition
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    for definition in (contacts_definition(), hooks_definition()):
        assert client.post("/v1.0/connectors", json=definition).status_code == 201
    return client


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Posts ``data`` with the session's CSRF token, read from the builder page."""
    builder = path.split("/builder")[0] + "/builder"
    return client.post(path, data={"csrf": csrf_of(client.get(builder)), **data})


def new_template(partner: httpx.Client, name: str = "New contacts") -> str:
    created = partner.post("/v1.0/templates", json={"Name": name})
    assert created.status_code == 201, created.text
    template_id: str = created.json()["Id"]
    return template_id


def document(partner: httpx.Client, template_id: str) -> dict[str, Any]:
    body = partner.get(f"/v1.0/templates/{template_id}/releases/1").json()
    found: dict[str, Any] = body["Document"]
    return found


def method_value(page: httpx.Response, name: str) -> str:
    found = re.search(r'<option value="(method:[^"]+)"[^>]*>' + re.escape(name), page.text)
    assert found, f"no method {name} in the list"
    return found.group(1)


def build_flow(admin: httpx.Client, template_id: str) -> str:
    """Webhook trigger -> decision -> Create Contact (on True); the builder's base path."""
    base = f"/console/templates/{template_id}/builder"
    page = admin.get(base)
    assert page.status_code == 200
    assert "No steps yet" in page.text
    hook = post_form(admin, base + "/steps", {"what": method_value(page, "Contact created")})
    assert hook.status_code == 303, hook.text
    assert hook.headers["location"].startswith(f"{base}/steps/contact-created")
    page = admin.get(base)
    decision = post_form(
        admin,
        base + "/steps",
        {"what": "tool:Decision", "Name": "Has a name", "place": "contact-created|Forward"},
    )
    assert decision.status_code == 303, decision.text
    create = post_form(
        admin,
        base + "/steps",
        {"what": method_value(page, "Create Contact"), "place": "has-a-name|True"},
    )
    assert create.status_code == 303, create.text
    return base


def test_build_map_and_see_problems(
    junction: Junction, admin: httpx.Client, partner: httpx.Client
) -> None:
    template_id = new_template(partner)
    base = build_flow(admin, template_id)
    built = document(partner, template_id)
    assert [s["Key"] for s in built["Steps"]] == ["contact-created", "has-a-name", "create-contact"]
    assert built["Steps"][2]["ConnectorName"] == "Test Contacts"
    assert built["Edges"] == [
        {"TailStepKey": "contact-created", "HeadStepKey": "has-a-name", "EdgeType": "Forward"},
        {"TailStepKey": "has-a-name", "HeadStepKey": "create-contact", "EdgeType": "True"},
    ]

    # The flow: the trigger at the top, the decision's True exit labelled; problems on the
    # steps they concern.
    flow = admin.get(base)
    assert "Trigger · Test Hooks · Contact created" in flow.text
    assert '<text x="' in flow.text
    assert ">True</text>" in flow.text
    assert "Required field &#39;Email&#39; is not mapped" in flow.text
    assert "Needs at least one condition" in flow.text
    assert "Needs exactly one False exit" in flow.text

    panel = admin.get(f"{base}/steps/create-contact")
    assert panel.status_code == 200
    assert "Required field &#39;Email&#39; is not mapped" in panel.text
    # Only fields of steps that always run before this one are offered.
    assert '<option value="contact-created:Email"' in panel.text
    assert "create-contact:Id" not in panel.text

    # A bad mapping: a field of a step that does not run before this one, refused beside it.
    before = document(partner, template_id)
    refused = admin.post(
        f"{base}/steps/create-contact/map",
        data={
            "csrf": csrf_of(panel),
            "section": "fieldmappings",
            "name": "Email",
            "source": "step",
            "step_field": "create-contact:Id",
        },
    )
    assert refused.status_code == 400
    assert 'aria-invalid="true" aria-describedby="map-Email-step_field-error"' in refused.text
    assert "does not always run before it" in refused.text
    assert 'value="create-contact:Id"' in refused.text  # what was typed is kept
    assert document(partner, template_id) == before

    no_value = post_form(
        admin,
        f"{base}/steps/create-contact/map",
        {"section": "fieldmappings", "name": "Name", "source": "value", "value": ""},
    )
    assert no_value.status_code == 400
    assert 'id="map-Name-value-error"' in no_value.text
    assert document(partner, template_id) == before

    # The good mapping: the problem is gone from the step and from the flow.
    mapped = post_form(
        admin,
        f"{base}/steps/create-contact/map",
        {
            "section": "fieldmappings",
            "name": "Email",
            "source": "step",
            "step_field": "contact-created:Email",
        },
    )
    assert mapped.status_code == 303, mapped.text
    after = admin.get(f"{base}/steps/create-contact")
    assert "No problems: this step is ready." in after.text
    assert "Contact created → Email" in after.text
    stored = document(partner, template_id)["Steps"][2]["FieldMappings"]
    assert [
        (m["Name"], m["MappingType"], m["SourceStepKey"], m["SourceField"]) for m in stored
    ] == [("Email", "StepData", "contact-created", "Email")]
    assert "Required field &#39;Email&#39; is not mapped" not in admin.get(base).text

    # The decision: a condition and a False exit to a Stop step clear its problems.
    condition = post_form(
        admin,
        f"{base}/steps/has-a-name/conditions",
        {"left": "contact-created:Name", "operator": "IsNotEmpty", "right": ""},
    )
    assert condition.status_code == 303, condition.text
    stop = post_form(
        admin,
        base + "/steps",
        {"what": "tool:Stop", "Name": "No name", "place": "has-a-name|False"},
    )
    assert stop.status_code == 303, stop.text
    assert "No problems: this step is ready." in admin.get(f"{base}/steps/has-a-name").text
    assert (
        partner.put(
            f"/v1.0/templates/{template_id}/releases/1/status", json={"Status": "Live"}
        ).status_code
        == 200
    )

    actions = [
        e["Action"] for e in partner.get("/v1.0/audit", params={"target_kind": "template"}).json()
    ]
    for action in ("template.step.put", "template.edge.add", "template.mapping.set"):
        assert action in actions, actions


def test_settings_variables_and_edges(admin: httpx.Client, partner: httpx.Client) -> None:
    template_id = new_template(partner)
    base = build_flow(admin, template_id)
    bad = post_form(admin, base + "/settings", {"StepErrorAction": "Retry", "RetryAttempts": "9"})
    assert bad.status_code == 400
    assert 'id="settings-RetryAttempts-error"' in bad.text
    good = post_form(
        admin,
        base + "/settings",
        {"StepErrorAction": "Retry", "RetryAttempts": "2", "LogStepDataRequests": "on"},
    )
    assert good.status_code == 303
    assert document(partner, template_id)["Settings"]["RetryAttempts"] == 2

    wrong = post_form(admin, base + "/variables", {"SystemName": "1 bad"})
    assert wrong.status_code == 400
    assert 'id="variable-SystemName-error"' in wrong.text
    assert document(partner, template_id)["Variables"] == []
    assert (
        post_form(admin, base + "/variables", {"SystemName": "Region", "Value": "eu"}).status_code
        == 303
    )
    assert document(partner, template_id)["Variables"][0]["Value"] == "eu"
    assert post_form(admin, base + "/variables/remove", {"name": "Region"}).status_code == 303

    removed = post_form(
        admin,
        base + "/edges/remove",
        {"tail": "has-a-name", "head": "create-contact", "back": "step"},
    )
    assert removed.status_code == 303
    assert "Needs exactly one True exit, not 0" in admin.get(f"{base}/steps/has-a-name").text
    again = post_form(
        admin,
        base + "/edges",
        {"tail": "has-a-name", "head": "create-contact", "kind": "True", "back": "step"},
    )
    assert again.status_code == 303
    gone = post_form(admin, f"{base}/steps/create-contact/remove", {})
    assert gone.status_code == 303
    assert [s["Key"] for s in document(partner, template_id)["Steps"]] == [
        "contact-created",
        "has-a-name",
    ]
    actions = {e["Action"] for e in partner.get("/v1.0/audit").json()}
    assert {
        "template.settings",
        "template.variable.put",
        "template.variable.remove",
        "template.edge.remove",
        "template.step.remove",
    } <= actions


def test_a_test_run_shows_each_step(
    junction: Junction, admin: httpx.Client, partner: httpx.Client, saas: ContactsApi
) -> None:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    account = junction.http(junction.token(), account="acme")
    connector_id = partner.get("/v1.0/connectors/Test Contacts").json()[0]["Id"]
    installed = account.post(
        f"/v1.0/connectors/{connector_id}/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert installed.status_code in (200, 201), installed.text
    template_id = new_template(partner)
    base = build_flow(admin, template_id)
    post_form(
        admin,
        base + "/steps",
        {"what": "tool:Stop", "Name": "No name", "place": "has-a-name|False"},
    )
    post_form(
        admin,
        f"{base}/steps/has-a-name/conditions",
        {"left": "contact-created:Name", "operator": "IsNotEmpty"},
    )

    # Problems first: the required Email is not mapped, so the run is refused beside the form.
    unmapped = post_form(admin, base + "/test", {"account": "acme", "sample": "{not json"})
    assert unmapped.status_code == 400
    assert 'id="test-sample-error"' in unmapped.text
    post_form(
        admin,
        f"{base}/steps/create-contact/map",
        {
            "section": "fieldmappings",
            "name": "Email",
            "source": "step",
            "step_field": "contact-created:Email",
        },
    )
    before = len(saas.state.contacts)
    ran = post_form(
        admin,
        base + "/test",
        {"account": "acme", "sample": '{"email": "ada@example.com", "name": "Ada"}'},
    )
    assert ran.status_code == 303, ran.text
    result = admin.get(ran.headers["location"])
    assert result.status_code == 200
    assert "jn-status-completed" in result.text, result.text
    assert "Contact created" in result.text
    assert "Create Contact" in result.text
    assert f"POST {saas.base_url}/contacts" in result.text
    assert "ada@example.com" in result.text
    assert "HTTP 201" in result.text
    assert len(saas.state.contacts) == before + 1

    # The test cycle is never active, says what it is, and refuses webhook calls.
    cycles = account.get("/v1.0/cycles").json()
    assert [c["Name"] for c in cycles] == ["[Test run] New contacts"]
    assert cycles[0]["Status"] == "Paused"  # never Active: no schedule, no webhook calls
    refused = account.put(f"/v1.0/cycles/{cycles[0]['Id']}/activate", json={})
    assert refused.status_code == 400, refused.text
    assert "never activated" in refused.json()["Message"]
    assert account.get(f"/v1.0/cycles/{cycles[0]['Id']}").json()["Status"] == "Paused"
    # A second run replaces it.
    assert (
        post_form(
            admin, base + "/test", {"account": "acme", "sample": '{"email": "b@example.com"}'}
        ).status_code
        == 303
    )
    assert len(account.get("/v1.0/cycles").json()) == 1
    assert "template.test-run" in {e["Action"] for e in partner.get("/v1.0/audit").json()}


def test_a_viewer_sees_but_changes_nothing(
    junction: Junction, admin: httpx.Client, viewer: httpx.Client, partner: httpx.Client
) -> None:
    template_id = new_template(partner)
    base = build_flow(admin, template_id)
    before = document(partner, template_id)
    page = viewer.get(base)
    assert page.status_code == 200
    assert "Add a step" not in page.text
    assert "Run a test" not in page.text
    panel = viewer.get(f"{base}/steps/create-contact")
    assert panel.status_code == 200
    assert "/map" not in panel.text
    for path, data in [
        ("/steps", {"what": "tool:Stop", "place": "has-a-name|False"}),
        (
            "/steps/create-contact/map",
            {"section": "fieldmappings", "name": "Email", "source": "value", "value": "x"},
        ),
        ("/steps/create-contact", {"Name": "Renamed"}),
        ("/steps/create-contact/remove", {}),
        ("/edges", {"tail": "has-a-name", "head": "create-contact", "kind": "False"}),
        ("/edges/remove", {"tail": "has-a-name", "head": "create-contact"}),
        ("/settings", {"StepErrorAction": "Retry"}),
        ("/variables", {"SystemName": "X"}),
        ("/variables/remove", {"name": "X"}),
        ("/test", {"account": "acme", "sample": "{}"}),
        ("/steps/has-a-name/conditions", {"left": "contact-created:Name", "operator": "IsEmpty"}),
    ]:
        answer = viewer.post(base + path, data={"csrf": csrf_of(page), **data})
        assert answer.status_code == 403, (path, answer.status_code)
    assert document(partner, template_id) == before
