"""Tenant isolation: every account-level route, called by one account with another's ids.

The routes come from the application's OpenAPI document (an operation is account level when
it takes the ``X-Cyclr-Account`` header), so a route added later is probed without anyone
remembering to. What the matrix cannot guess is written down here: how to fill each kind of
path parameter (``PATH_IDS``), the body each operation is sent (``BODIES``) and which body
fields name ids (``BODY_IDS``). A new route or body field missing from them fails
``test_the_matrix_knows_every_account_route`` with a message saying what to add.

Account A (alpha) and account B (bravo) each get the same realistic data: account
connectors with properties and custom fields, a custom connector of its own (installed), a
cycle installed from a template (steps, parameters, field mappings, edges, variables,
webhook identifiers), transactions with step data, and incidents. Then, for each operation,
A calls it with B's ids (with an account-scoped token, and with a partner token and
``X-Cyclr-Account: A``): B's ids in the path (B's custom connector too, where a catalogue
connector goes) must get a 404, and where a body names ids, A's own objects sent with B's
ids in the body must get a 400 naming the field. Either way the answer is the one ids that
exist nowhere get, it shows nothing of B, and every stored row stays as it was. A with A's
ids must get an answer below 400 from every GET route, so the matrix cannot pass by
refusing everything; every other ``/v1.0`` operation must refuse A's account-scoped token,
and so must every account-level operation when that token names B in ``X-Cyclr-Account``.

The whole matrix is one test per database: the shared server is emptied before each test,
and under pytest-xdist tests of one module may run between other modules' tests, so the data
is built once inside the test rather than in a module-scoped fixture.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction
from tests.security.tenants import (
    ALPHA,
    BRAVO,
    BRAVO_KEY,
    BRAVO_MARK,
    Tenant,
    World,
    build_world,
    changes,
    custom_connector,
    custom_field,
    snapshot,
)

ACCOUNT_HEADER = "X-Cyclr-Account"


# How to fill each path parameter, keyed by the literal segment before it and its name.
# "tenant" means it names an object of one account (its value comes from Tenant.ids);
# "shared" means it names a catalogue or partner-level object, the same for every account.
PATH_IDS: dict[str, str] = {
    "connectors/{account_connector_id}": "tenant",
    "custom/{connector_id}": "tenant",  # a custom connector: a catalogue release of one account
    "properties/{property_id}": "tenant",
    "fields/{field_id}": "tenant",
    "cycles/{cycle_id}": "tenant",
    "transactions/{transaction_id}": "tenant",
    "variables/{name}": "shared",  # the template's variable: the cycle in the path is B's
    "steps/{step_id}": "tenant",
    "edges/{edge_id}": "tenant",
    "parameters/{parameter_id}": "shared",  # a method's parameter in the catalogue
    "fieldmappings/{field_id}": "shared",  # a method's field in the catalogue
    "methods/{method}": "shared",
    "test/{method}": "shared",
    "triggers/{trigger_id}": "shared",
    "incidents/{level}": "shared",
    "connectors/{connector}": "shared",
    "templates/{template_id}": "shared",
}

FUTURE = "2099-01-01T00:00:00Z"

# Replaying a list of transactions answers for each one: another account's id is reported
# as not found among the others (200), as an unknown one is, rather than failing the call.
REPLAY = "POST /v1.0/cycles/transactions/replay"
INSTALL = "POST /v1.0/connectors/{connector}/install"


def _mapping_from(tenant: Tenant) -> dict[str, Any]:
    return {
        "MappingType": "StepData",
        "SourceStepId": tenant.ids["source-step"],
        "SourceField": "Email",
    }


# The body each account-level operation is sent: valid for the account whose ids it is
# given, so that a refusal comes from the ids and not from the shape of the body.
BODIES: dict[str, Callable[[Tenant], Any]] = {
    INSTALL: lambda t: {"Name": "Second install"},
    # The same definition for every account (it names no object of theirs); sent again it
    # is the same release and changes nothing.
    "POST /v1.0/account/connectors/custom": lambda t: custom_connector("Hand made contacts"),
    "PUT /v1.0/account/connectors/{account_connector_id}": lambda t: {
        "Name": "Renamed",
        "Properties": [
            {"Id": int(t.ids["properties/{property_id}"]), "Name": "X-Region", "Value": "eu"}
        ],
    },
    "POST /v1.0/account/connectors/{account_connector_id}/properties": lambda t: {
        "Id": int(t.ids["properties/{property_id}"]),
        "Name": "X-Region",
        "Value": "eu",
    },
    "PUT /v1.0/account/connectors/{account_connector_id}/properties/{property_id}": lambda t: {
        "Name": "ApiBase",
        "Value": "http://127.0.0.1:9/",
    },
    "POST /v1.0/account/connectors/{account_connector_id}/fields": lambda t: {
        **custom_field("changed"),
        "Id": int(t.ids["fields/{field_id}"]),
    },
    "PUT /v1.0/account/connectors/{account_connector_id}/fields/{field_id}": lambda t: {
        **custom_field("changed"),
        "Id": int(t.ids["fields/{field_id}"]),
    },
    "POST /v1.0/account/connectors/{account_connector_id}/methods/{method}": lambda t: {},
    "POST /v1.0/account/connectors/{account_connector_id}/methods/{method}/body": lambda t: {
        "Email": "ann@example.com"
    },
    "POST /v1.0/account/connectors/{account_connector_id}/test/{method}": lambda t: {},
    "POST /v1.0/account/connectors/{account_connector_id}/oauth/authorize": lambda t: {},
    REPLAY: lambda t: {"TransactionIds": [t.ids["transactions/{transaction_id}"]]},
    "POST /v1.0/cycles": lambda t: {"Name": "Hand made"},
    "PUT /v1.0/cycles/{cycle_id}": lambda t: {"Name": "Renamed"},
    "PUT /v1.0/cycles/{cycle_id}/activate": lambda t: {"StartTime": FUTURE, "Interval": 60},
    "POST /v1.0/cycles/{cycle_id}/variables": lambda t: {"SystemName": "Extra", "Value": "x"},
    "PATCH /v1.0/cycles/{cycle_id}/variables": lambda t: [{"SystemName": "Domain", "Value": "x"}],
    "PUT /v1.0/cycles/{cycle_id}/variables/{name}": lambda t: {"Value": "x"},
    "POST /v1.0/cycles/{cycle_id}/steps": lambda t: {
        "Name": "Another",
        "AccountConnectorId": int(t.ids["connectors/{account_connector_id}"]),
        "MethodUniqueIdentifier": "contacts-get",
    },
    "PUT /v1.0/cycles/{cycle_id}/steps/{step_id}": lambda t: {
        "AccountConnectorId": int(t.ids["connectors/{account_connector_id}"]),
        "MethodUniqueIdentifier": "contacts-create",
    },
    "POST /v1.0/cycles/{cycle_id}/edges": lambda t: {
        "TailStepId": t.ids["steps/{step_id}"],
        "HeadStepId": t.ids["stop-step"],
        "EdgeType": "Forward",
    },
    "PUT /v1.0/steps/{step_id}/parameters/{parameter_id}": _mapping_from,
    "POST /v1.0/steps/{step_id}/fieldmappings/{field_id}": _mapping_from,
    "PUT /v1.0/steps/{step_id}/fieldmappings/{field_id}": _mapping_from,
    "POST /v1.0/steps/{step_id}/parameters/{parameter_id}/lookup": lambda t: {},
}

# Further bodies for operations that take ids in more than one form.
OTHER_BODIES: dict[str, list[Callable[[Tenant], Any]]] = {
    REPLAY: [lambda t: {"CycleId": t.ids["cycles/{cycle_id}"], "Status": "Errored"}],
}

# Body fields whose names say they hold an id, and whether the id is an account's own
# ("tenant": A's objects are then also sent with B's id there) or a catalogue one ("shared").
BODY_IDS: dict[str, str] = {
    # Documented as accepted and ignored (clients send back what they read); B's ids are
    # sent there too, but a call naming no other id is A acting on its own objects.
    "Id": "ignored",
    "AccountConnectorId": "tenant",
    "TransactionIds": "tenant",
    "CycleId": "tenant",
    "TailStepId": "tenant",
    "HeadStepId": "tenant",
    "SourceStepId": "tenant",
    "SourceFieldId": "shared",  # a method's field in the catalogue
    "AuthenticationId": "shared",  # an authentication of the connector definition
    # In a connector definition's OAuth 2.0 authentication: the partner's client id at the
    # API provider, no object of Junction's.
    "ClientId": "shared",
}

PATH_HINT = (
    'PATH_IDS ("tenant": an object of one account, its value set in tenants.build_tenant; '
    '"shared": a catalogue object, its value set in tenants.build_world)'
)

ID_FIELD = re.compile(r"(Id|Ids)$")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the OpenAPI document spells it
    body_schema: dict[str, Any] | None
    queries: list[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def slots(self) -> list[str]:
        """The path's parameters as PATH_IDS keys ("collection/{param}")."""
        parts = self.path.split("/")
        return [
            f"{parts[i - 1]}/{part}"
            for i, part in enumerate(parts)
            if part.startswith("{") and part.endswith("}")
        ]

    def tenant_slots(self) -> list[str]:
        return [slot for slot in self.slots() if PATH_IDS.get(slot) == "tenant"]

    def url(self, tenant: Tenant, shared: dict[str, str]) -> str:
        url = self.path
        for slot in self.slots():
            value = tenant.ids[slot] if PATH_IDS[slot] == "tenant" else shared[slot]
            url = url.replace(slot.split("/", 1)[1], value, 1)
        return url


def account_operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if ACCOUNT_HEADER not in headers:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {}) if content else None
            queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            found.append(Operation(method.upper(), path, schema, queries))
    return found


def body_id_fields(schema: dict[str, Any] | None, document: dict[str, Any]) -> set[str]:
    """Names of the fields in a body schema (nested objects and arrays too) that hold ids."""
    names: set[str] = set()
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref not in seen:
                    seen.add(ref)
                    walk(document["components"]["schemas"][ref.rsplit("/", 1)[1]])
                return
            for name in node.get("properties", {}):
                if ID_FIELD.search(name):
                    names.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return names


def missing_from_matrix(document: dict[str, Any]) -> list[str]:
    gaps = []
    for operation in account_operations(document):
        for slot in operation.slots():
            if slot not in PATH_IDS:
                gaps.append(
                    f"{operation.key}: path parameter {slot!r} is unknown; add it to " + PATH_HINT
                )
        if operation.body_schema is not None and operation.key not in BODIES:
            gaps.append(
                f"{operation.key}: takes a body; add a valid one to BODIES (naming the "
                "tenant's ids wherever the body holds ids)"
            )
        for name in operation.queries:
            if re.search(r"(?i)ids?$", name):
                gaps.append(
                    f"{operation.key}: query parameter {name!r} holds an id; the matrix sends "
                    "no query strings yet: send it B's ids as it does for paths"
                )
        for name in sorted(body_id_fields(operation.body_schema, document) - set(BODY_IDS)):
            gaps.append(
                f"{operation.key}: body field {name!r} holds an id; add it to BODY_IDS and "
                "fill it from the tenant in BODIES"
            )
    return gaps


def test_the_matrix_knows_every_account_route(junction_server: Junction) -> None:
    document = junction_server.thread.app.openapi()
    operations = account_operations(document)
    # The document is where routes are read from: if it stopped marking account-level
    # operations, the matrix would silently shrink to nothing.
    assert len(operations) >= 60
    assert missing_from_matrix(document) == []


def test_the_matrix_fails_on_a_route_it_cannot_fill(junction_server: Junction) -> None:
    document = copy.deepcopy(junction_server.thread.app.openapi())
    header = {"name": ACCOUNT_HEADER, "in": "header", "schema": {"type": "string"}}
    query = {"name": "gadgetId", "in": "query", "schema": {"type": "string"}}
    document["paths"]["/v1.0/widgets/{widget_id}"] = {
        "get": {"parameters": [header, query]},
        "put": {
            "parameters": [header],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"properties": {"GadgetId": {"type": "integer"}}}
                    }
                }
            },
        },
    }
    gaps = missing_from_matrix(document)
    assert gaps == [
        "GET /v1.0/widgets/{widget_id}: path parameter 'widgets/{widget_id}' is unknown; add "
        "it to " + PATH_HINT,
        "GET /v1.0/widgets/{widget_id}: query parameter 'gadgetId' holds an id; the matrix "
        "sends no query strings yet: send it B's ids as it does for paths",
        "PUT /v1.0/widgets/{widget_id}: path parameter 'widgets/{widget_id}' is unknown; add "
        "it to " + PATH_HINT,
        "PUT /v1.0/widgets/{widget_id}: takes a body; add a valid one to BODIES (naming the "
        "tenant's ids wherever the body holds ids)",
        "PUT /v1.0/widgets/{widget_id}: body field 'GadgetId' holds an id; add it to "
        "BODY_IDS and fill it from the tenant in BODIES",
    ]


# --- the matrix -----------------------------------------------------------------------


@pytest.fixture
def saas() -> Any:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


def _tenant_part(body: Any) -> Any:
    """The body without the fields BODY_IDS calls "ignored" (ids the API accepts back and
    does not read): what remains differs between accounts only if it names their objects."""
    if isinstance(body, dict):
        return {k: _tenant_part(v) for k, v in body.items() if BODY_IDS.get(k) != "ignored"}
    if isinstance(body, list):
        return [_tenant_part(v) for v in body]
    return body


def _without_ids(text: str, tenant: Tenant, sent: str) -> str:
    """The answer with the tenant's ids that the request named written as ``{id}``."""
    for value in sorted(set(tenant.ids.values()), key=len, reverse=True):
        if value in sent:
            text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "{id}", text)
    return text


def _leaks(response: httpx.Response, world: World, sent: str) -> list[str]:
    text = response.text
    found = [BRAVO_MARK] if BRAVO_MARK in text.lower() else []
    found += sorted(s for s in world.bravo_secrets if s in text)
    found += sorted(i for i in world.bravo.private_ids if i in text and i not in sent)
    return found


def test_no_account_reaches_another_accounts_data(junction: Junction, saas: ContactsApi) -> None:
    world = build_world(junction, saas)
    document = junction.thread.app.openapi()
    assert missing_from_matrix(document) == []
    operations = account_operations(document)
    credentials = junction.create_credentials("isolation")
    partner_token = junction.token(credentials)
    scoped_token = junction.token(credentials, scope=f"account:{ALPHA}")
    callers = {
        "account token": junction.http(scoped_token, ALPHA),
        "partner token": junction.http(partner_token, ALPHA),
    }
    failures: list[str] = []
    statuses: dict[str, set[int]] = {"path": set(), "body": set()}
    probed = 0
    # Each snapshot ends one probe's window and starts the next: between probes nothing
    # writes (B's cycles are paused, its transactions ended, the clock stands still).
    stored = [snapshot(junction)]

    def probe(
        kind: str,
        caller: str,
        operation: Operation,
        url: str,
        ghost_url: str,
        body_of: Callable[[Tenant], Any] | None,
    ) -> None:
        """One call as A; ``kind`` is "path" (B's ids in the path), "body" (A's path, B's
        ids in the body) or "own" (no id of B's: A acting in its own account). A "path" or
        "body" call is followed by the same call with ids that exist nowhere."""
        nonlocal probed
        probed += 1
        body = body_of(world.alpha if kind == "own" else world.bravo) if body_of else None
        response = callers[caller].request(operation.method, url, json=body)
        what = f"{operation.key} as {caller} ({url} {body if body is not None else ''})"
        sent = url + json.dumps(body)
        leaked = _leaks(response, world, sent)
        if leaked:
            failures.append(f"{what}: the answer shows B's {leaked}: {response.text[:300]}")
        if kind != "own":
            statuses[kind].add(response.status_code)
            if kind == "path" and response.status_code != 404:
                failures.append(f"{what}: {response.status_code} where 404 is the answer")
            per_item = operation.key == REPLAY and body_of is BODIES[REPLAY]
            if kind == "body" and not per_item:
                message = str(response.json().get("Message", "")) if response.content else ""
                if response.status_code != 400 or message.split(":")[0] not in BODY_IDS:
                    failures.append(
                        f"{what}: {response.status_code} {response.text[:300]} where a 400 "
                        "naming the field is the answer"
                    )
            # B's ids get the very answer ids that exist nowhere get.
            ghost_body = body_of(world.ghost) if body_of else None
            ghost = callers[caller].request(operation.method, ghost_url, json=ghost_body)
            ghost_sent = ghost_url + json.dumps(ghost_body)
            seen = (response.status_code, _without_ids(response.text, world.bravo, sent))
            expected = (ghost.status_code, _without_ids(ghost.text, world.ghost, ghost_sent))
            if seen != expected:
                failures.append(f"{what}: {seen} where an unknown id gets {expected}")
        # A's own calls may add A's rows; nothing stored before may change.
        stored.append(snapshot(junction))
        altered = changes(stored[-2], stored[-1], new_rows_allowed=kind == "own")
        del stored[0]
        if altered:
            failures.append(f"{what}: stored rows altered: {altered[:5]}")

    for operation in operations:
        body_of = BODIES.get(operation.key)
        own_url = operation.url(world.alpha, world.shared)
        for caller in callers:
            if operation.tenant_slots():
                bravo_url = operation.url(world.bravo, world.shared)
                ghost_url = operation.url(world.ghost, world.shared)
                probe("path", caller, operation, bravo_url, ghost_url, body_of)
            for variant in [body_of, *OTHER_BODIES.get(operation.key, [])]:
                names_ids = variant is not None and _tenant_part(
                    variant(world.bravo)
                ) != _tenant_part(variant(world.alpha))
                if names_ids:
                    probe("body", caller, operation, own_url, own_url, variant)
                elif not operation.tenant_slots():
                    probe("own", caller, operation, own_url, own_url, variant)

    # A custom connector is a catalogue release of one account: B's, where the matrix puts
    # a catalogue connector, is for A one that exists nowhere.
    install = next(o for o in operations if o.key == INSTALL)
    for caller in callers:
        bravo_url, ghost_url = (
            install.path.replace("{connector}", tenant.ids["custom/{connector_id}"])
            for tenant in (world.bravo, world.ghost)
        )
        probe("path", caller, install, bravo_url, ghost_url, BODIES[INSTALL])

    # The reverse check: A reaches its own data, so refusals above are about ownership.
    own = callers["account token"]
    for operation in operations:
        if operation.method == "GET":
            response = own.get(operation.url(world.alpha, world.shared))
            if response.status_code >= 400:
                failures.append(
                    f"{operation.key} with A's own ids: {response.status_code} {response.text}"
                )
    # Every other operation under /v1.0 is partner level: an account token gets nowhere.
    for path, item in document["paths"].items():
        for method in item:
            key = f"{method.upper()} {path}"
            if not path.startswith("/v1.0/") or key in {o.key for o in operations}:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = own.request(method.upper(), url)
            if response.status_code != 403:
                failures.append(f"{key} with an account token: {response.status_code}")
    # A's account token naming B in X-Cyclr-Account is refused before any id is looked at.
    before = snapshot(junction)
    with junction.http(scoped_token, BRAVO) as crossing:
        for operation in operations:
            body_of = BODIES.get(operation.key)
            url = operation.url(world.bravo, world.shared)
            response = crossing.request(
                operation.method, url, json=body_of(world.bravo) if body_of else None
            )
            if response.status_code != 403 or _leaks(response, world, url):
                failures.append(
                    f"{operation.key} with A's token in B's account: {response.status_code} "
                    f"{response.text[:300]}"
                )
    altered = changes(before, snapshot(junction), new_rows_allowed=False)
    if altered:
        failures.append(f"A's token in B's account altered stored rows: {altered[:5]}")
    for client in callers.values():
        client.close()

    # B's connectors were never called on A's behalf.
    assert not [r for r in saas.state.requests if r["headers"].get("X-Api-Key") == BRAVO_KEY]
    assert failures == [], "\n".join(failures)
    # Refusals are consistent: a 404 for an id in the path, a 400 naming the field for an id
    # in the body (apart from per-item reports), each the answer an unknown id gets.
    assert statuses == {"path": {404}, "body": {400, 200}}
    assert probed >= 2 * len(operations)
