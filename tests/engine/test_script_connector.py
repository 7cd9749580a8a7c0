"""A cycle built on a connector that leans on scripts, run end to end against a loopback
API: after_webhook filters and reshapes calls, before_action/after_action handlers at
connector, method and step level change requests and answers in Cyclr's order,
after_error turns a 404 into a success, action_condition picks the exit, and the storage
functions keep a count across steps."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx

from junction.scripting.sandbox import Limits
from tests.engine.hooks import (
    chain,
    create_step,
    hook_step,
    hooks_definition,
    install_webhook_cycle,
)
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

Clients = tuple[httpx.Client, httpx.Client]

CONNECTOR_SCRIPT = """
function before_action() {
  method_request_headers['X-Trace'] = (method_request_headers['X-Trace'] || '') + 'connector;';
  cyclr_storage_increment('calls', 1);
  return true;
}
function after_action() {
  if (method_response && typeof method_response === 'object') {
    method_response.trace = (method_response.trace || '') + 'connector;';
  }
  return true;
}
"""

GET_SCRIPT = """
function before_action() {
  method_request_headers['X-Trace'] = (method_request_headers['X-Trace'] || '') + 'method;';
  return true;
}
function after_action() {
  method_response.trace = (method_response.trace || '') + 'method;';
  method_response.domain = method_response.email.split('@')[1];
  return true;
}
function after_error() {
  if (method_error.statusCode === 404) {
    method_error.isError = false;
    method_error.isSuccess = true;
    method_error.content = JSON.stringify({id: 0, email: 'none@nowhere', trace: 'after_error;'});
  }
  return true;
}
function action_condition() { return method_response.id !== 0; }
"""

CREATE_SCRIPT = """
function before_action() {
  method_request.email = method_request.email.toUpperCase();
  method_request.name = script_parameters.NamePrefix + method_request.name;
  method_request_headers['X-Trace'] = (method_request_headers['X-Trace'] || '') + 'method;';
  return true;
}
"""

STEP_SCRIPT = """
function before_action() {
  method_request_headers['X-Trace'] = (method_request_headers['X-Trace'] || '') + 'step;';
  method_request.calls = cyclr_storage_get('calls');
  method_request.cycle = cycle_variables.Team;
  return true;
}
"""

WEBHOOK_SCRIPT = """
function after_webhook() {
  if (method_response.event !== 'contact.created') return false;
  method_response = {ContactId: String(method_response.object.id)};
  return true;
}
"""


def scripted_connector() -> dict[str, Any]:
    return {
        "Name": "Scripted Contacts",
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": "{{ApiBase}}",
        "Authentication": [
            {
                "Id": "apikey",
                "AuthType": "ApiKey",
                "IsDefault": True,
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Parameters": [
            {"TargetType": "MergeField", "TargetName": "ApiBase", "AccountConnectorProperty": True}
        ],
        "Script": CONNECTOR_SCRIPT,
        "Methods": [
            {
                "Name": "Contact event",
                "MethodUniqueIdentifier": "contact-event",
                "MethodType": "Webhook",
                "Endpoint": "/hooks",
                "Script": WEBHOOK_SCRIPT,
                "ResponseFields": [{"ConnectorField": "ContactId", "SystemField": "ContactId"}],
            },
            {
                "Name": "Get contact",
                "MethodUniqueIdentifier": "contact-get",
                "Endpoint": "/contacts/{{ContactId}}",
                "Conditional": True,
                "Script": GET_SCRIPT,
                "Parameters": [{"TargetType": "MergeField", "TargetName": "ContactId"}],
                "ResponseFields": [
                    {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer"},
                    {"ConnectorField": "email", "SystemField": "Email"},
                    {"ConnectorField": "domain", "SystemField": "Domain"},
                    {"ConnectorField": "trace", "SystemField": "Trace"},
                ],
            },
            {
                "Name": "Create contact",
                "MethodUniqueIdentifier": "contact-create",
                "HttpMethod": "POST",
                "Endpoint": "/contacts",
                "Script": CREATE_SCRIPT,
                "Parameters": [
                    {"TargetType": "Script", "TargetName": "NamePrefix", "Value": "Dr "}
                ],
                "RequestFields": [
                    {"ConnectorField": "email", "SystemField": "Email", "Optional": False},
                    {"ConnectorField": "name", "SystemField": "Name"},
                ],
                "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
            },
        ],
    }


def template() -> dict[str, Any]:
    def step(key: str, name: str, method: str, **extra: Any) -> dict[str, Any]:
        return {
            "Key": key,
            "Name": name,
            "ConnectorName": "Scripted Contacts",
            "MethodUniqueIdentifier": method,
            **extra,
        }

    return {
        "Name": "Copy contacts with scripts",
        "Variables": [{"SystemName": "Team", "Value": "blue"}],
        "Steps": [
            step("hook", "Contact event", "contact-event"),
            step(
                "get",
                "Get contact",
                "contact-get",
                Parameters=[
                    {
                        "Name": "ContactId",
                        "MappingType": "StepData",
                        "SourceStepKey": "hook",
                        "SourceField": "ContactId",
                    }
                ],
            ),
            step(
                "create",
                "Create contact",
                "contact-create",
                Script=STEP_SCRIPT,
                FieldMappings=[
                    {
                        "Name": "Email",
                        "MappingType": "StepData",
                        "SourceStepKey": "get",
                        "SourceField": "Email",
                    },
                    {
                        "Name": "Name",
                        "MappingType": "StepData",
                        "SourceStepKey": "get",
                        "SourceField": "Domain",
                    },
                ],
            ),
            {"Key": "stop", "Name": "Not found", "StepType": "Stop"},
        ],
        "Edges": [
            {"TailStepKey": "hook", "HeadStepKey": "get"},
            {"TailStepKey": "get", "HeadStepKey": "create", "EdgeType": "True"},
            {"TailStepKey": "get", "HeadStepKey": "stop", "EdgeType": "False"},
        ],
    }


def _posts(saas: ContactsApi) -> list[dict[str, Any]]:
    return [r for r in saas.state.requests if r["method"] == "POST"]


def test_a_script_heavy_connector_runs_end_to_end(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    added = partner.post("/v1.0/connectors", json=scripted_connector())
    assert added.status_code == 201, added.text
    cycle = install_webhook_cycle(partner, account, saas.base_url, template())

    # Created: fetched, reshaped, and copied with the scripts' changes.
    answer = httpx.post(cycle.url, json={"event": "contact.created", "object": {"id": 3}})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    steps = {s["StepName"] if "StepName" in s else s["Name"]: s for s in done["Steps"]}
    assert len(steps) == 3, done["Steps"]
    posted = _posts(saas)[-1]
    assert posted["headers"]["X-Trace"] == "method;connector;step;"  # before_*: M, C, S
    body = json.loads(posted["body"])
    assert body == {
        "email": "PERSON3@EXAMPLE.COM",
        "name": "Dr example.com",
        "calls": "2",  # the get and this create, counted by the connector's handler
        "cycle": "blue",
    }
    get_request = next(r for r in saas.state.requests if r["path"] == "/contacts/3")
    assert get_request["headers"]["X-Trace"] == "method;connector;"
    get_output = json.dumps(done["Steps"][1])
    assert "connector;method;" in get_output  # after_*: C, M

    # Another event: after_webhook answers false, and nothing is called.
    before = len(saas.state.requests)
    answer = httpx.post(cycle.url, json={"event": "contact.deleted", "object": {"id": 3}})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    assert len(saas.state.requests) == before

    # A contact that does not exist: after_error makes the 404 a success, and
    # action_condition sends the run down the False exit to the Stop step.
    posts = len(_posts(saas))
    answer = httpx.post(cycle.url, json={"event": "contact.created", "object": {"id": 9999}})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    assert len(_posts(saas)) == posts
    assert "after_error;" in json.dumps(done["Steps"][1])
    assert done["Steps"][-1]["Status"] == "Success"


BEFORE_WEBHOOK = """
function before_webhook() {
  if (method_request_headers['x-signature'] !== 'good') {
    method_response = {error: 'bad signature',
                       endpoint: method_endpoint.indexOf('/api/webhook/') > 0};
    method_response_headers['X-Reason'] = 'signature';
    method_response_headers['Set-Cookie'] = 'session=stolen';
    method_response_headers['Content-Type'] = 'text/html';
    return false;
  }
  method_request.email = method_request_parameters.prefix + method_request.email;
  return true;
}
"""


def test_before_webhook_turns_calls_away_or_changes_what_is_stored(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    hooks = hooks_definition()
    hooks["Script"] = BEFORE_WEBHOOK
    assert partner.post("/v1.0/connectors", json=hooks).status_code == 201
    document = {
        "Name": "Checked contacts",
        "Steps": [hook_step(), create_step()],
        "Edges": chain("hook", "create"),
    }
    cycle = install_webhook_cycle(partner, account, saas.base_url, document)
    before = len(saas.state.contacts)

    refused = httpx.post(cycle.url, json={"email": "a@example.com"})
    assert refused.status_code == 200
    assert refused.json() == {"error": "bad signature", "endpoint": True}
    assert refused.headers["X-Reason"] == "signature"
    assert "set-cookie" not in refused.headers  # only X- headers are let through
    assert refused.headers["content-type"] == "application/json"
    assert "TransactionId" not in refused.json()

    accepted = httpx.post(
        cycle.url + "?prefix=checked-",
        json={"email": "b@example.com"},
        headers={"X-Signature": "good"},
    )
    assert accepted.status_code == 200, accepted.text
    done = cycle.wait_status(accepted.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    assert len(saas.state.contacts) == before + 1
    assert saas.state.contacts[-1]["email"] == "checked-b@example.com"


def test_a_runaway_handler_fails_its_step_and_the_server_goes_on(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    runtime = junction.services.gateway.runtime
    kept = runtime.settings
    runtime.settings = dataclasses.replace(
        kept, script_limits=Limits(seconds=0.5, memory_bytes=16 * 1024 * 1024)
    )
    try:
        connector = scripted_connector()
        connector["Methods"][1]["Script"] = GET_SCRIPT.replace(
            "function after_action() {", "function after_action() { while (true) {}"
        )
        assert partner.post("/v1.0/connectors", json=connector).status_code == 201
        cycle = install_webhook_cycle(partner, account, saas.base_url, template())
        answer = httpx.post(cycle.url, json={"event": "contact.created", "object": {"id": 3}})
        assert account.get(f"/v1.0/cycles/{cycle.id}").status_code == 200  # still serving
        done = cycle.wait_status(answer.json()["TransactionId"], "Errored", "Completed")
    finally:
        runtime.settings = kept
    assert done["Status"] == "Errored"
    assert (
        "after_action handler failed: the script ran longer than its time limit"
        in (done["Steps"][1]["Message"])
    )


STORAGE_SCRIPT = """
function before_action() {
  var r = {};
  r.set = cycle_storage_set('k', 'a');
  r.append = cycle_storage_append('k', 'b');
  r.get = cycle_storage_get('k');
  r.object = cycle_storage_set('o', {x: 1});
  r.increment = cycle_storage_increment('n', 5);
  r.decrement = cycle_storage_decrement('n');
  r.keys = cycle_storage_list_keys();
  r.values = cycle_storage_list_values();
  r.deleted = cycle_storage_delete('k');
  r.missing = cycle_storage_get('k');
  r.shared = cyclr_storage_get('calls');
  r.notInTheCycleStore = cycle_storage_get('calls');
  r.cleared = cycle_storage_delete_all();
  r.after = cycle_storage_list_keys();
  try { cycle_storage_set('', 'x'); } catch (e) { r.badKey = e.message; }
  method_request.storage = r;
  return true;
}
"""


def test_the_storage_functions_keep_values_per_cycle_and_per_connector(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    assert partner.post("/v1.0/connectors", json=scripted_connector()).status_code == 201
    document = template()
    document["Steps"][2]["Script"] = STORAGE_SCRIPT
    cycle = install_webhook_cycle(partner, account, saas.base_url, document)
    answer = httpx.post(cycle.url, json={"event": "contact.created", "object": {"id": 3}})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    stored = json.loads(_posts(saas)[-1]["body"])["storage"]
    assert stored.pop("badKey").endswith("the key must be a non-empty text")
    assert stored == {
        "set": "a",
        "append": "ab",
        "get": "ab",
        "object": '{"x": 1}',
        "increment": 5,
        "decrement": 4,
        "keys": ["k", "n", "o"],
        "values": [
            {"key": "k", "value": "ab"},
            {"key": "n", "value": "4"},
            {"key": "o", "value": '{"x": 1}'},
        ],
        "deleted": True,
        "missing": None,
        "shared": "2",  # counted by the connector's handler in the connector's own store
        "notInTheCycleStore": None,
        "cleared": 2,
        "after": [],
    }


def test_a_warning_from_after_error_lets_the_other_calls_of_the_step_go_on(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    connector = scripted_connector()
    methods = connector["Methods"]
    methods[0]["Script"] = """function after_webhook() {
      method_response = {ContactId: method_response.ids}; return true; }"""
    methods[1]["Script"] = GET_SCRIPT.replace(
        "method_error.isSuccess = true;", "method_error.isWarning = true;"
    )
    assert partner.post("/v1.0/connectors", json=connector).status_code == 201
    cycle = install_webhook_cycle(partner, account, saas.base_url, template())
    answer = httpx.post(cycle.url, json={"ids": ["3", "9999", "4"]})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    paths = [r["path"] for r in saas.state.requests if r["path"].startswith("/contacts/")]
    assert paths == ["/contacts/3", "/contacts/9999", "/contacts/4"]
    get_step = done["Steps"][1]
    assert get_step["Status"] == "Warning", done
    assert "404" in get_step["Message"]
    # The warned call did not pass the condition: the run took the False exit.
    assert "Not found" in json.dumps(done["Steps"][-1])
