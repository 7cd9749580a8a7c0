"""The two accounts of the isolation matrix: their data, built through the API, and
snapshots of every stored row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from junction.cycles.models import CycleStep
from junction.db.models import Base
from junction.engine.transactions import Status
from tests.connectors.test_catalog_api import contacts_definition
from tests.cycles.builders import life_template, mailing_definition, publish
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction, holding_rows
from tests.reports import seed

ALPHA = "tenant-alpha"
BRAVO = "tenant-bravo"
# Every name and value of B's data holds this word, so any of it in an answer to A shows.
BRAVO_MARK = "bravo"
BRAVO_KEY = "bravo-api-key-0001"
# Rows the caller's own request may write whatever it asks: the token's table (its use is
# recorded) and the scheduler's leases (taken by the server's own loop).
IGNORED_TABLES = frozenset({"access_tokens", "leases"})

Snapshot = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


@dataclass
class Tenant:
    account_id: str
    # What fills each kind of path parameter ("collection/{param}", see PATH_IDS).
    ids: dict[str, str] = field(default_factory=dict)
    # Ids that are this account's only, as text: none may appear in an answer to the other.
    private_ids: set[str] = field(default_factory=set)
    # Catalogue ids met while building (the same for every account).
    catalogue_ids: dict[str, str] = field(default_factory=dict)


def custom_field(name: str) -> dict[str, Any]:
    return {
        "ConnectorField": f"{name}_code",
        "SystemField": f"{name.capitalize()}Code",
        "DisplayName": f"{name} code",
        "DataType": "Text",
        "MethodUniqueIdentifier": "contacts-create",
        "ForRequestFormat": True,
    }


def custom_connector(name: str) -> dict[str, Any]:
    """A connector definition an account adds as its own custom connector."""
    return {**contacts_definition(), "Name": name, "Description": f"{name} of one account"}


@dataclass
class World:
    alpha: Tenant
    bravo: Tenant
    ghost: Tenant  # ids no account has
    shared: dict[str, str]
    bravo_secrets: set[str]


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.url}: {response.text}"
    return response.json()


def build_tenant(
    junction: Junction,
    partner: httpx.Client,
    token: str,
    account_id: str,
    *,
    label: str,
    template_id: str,
    api_base: str,
    auth_value: str,
) -> Tenant:
    """An account with data behind every kind of id the account-level routes take; every
    name and value it is given holds ``label``."""
    tenant = Tenant(account_id)
    _ok(partner.post("/v1.0/accounts", json={"Id": account_id, "Name": f"{label} Ltd"}))
    client = junction.http(token, account_id)
    with client:
        cycle = _ok(client.post(f"/v1.0/templates/{template_id}/install"))
        cycle_id = cycle["Id"]
        url = f"/v1.0/cycles/{cycle_id}"
        _ok(client.put(url, json={"Name": f"{label} contacts", "Description": f"{label} only"}))
        connectors = {}
        for connector in cycle["Connectors"]:
            ac = connector["AccountConnectorId"]
            connectors[connector["Name"]] = ac
            _ok(
                client.put(
                    f"/v1.0/account/connectors/{ac}",
                    json={
                        "Name": f"{label} {connector['Name']}",
                        "Description": f"{label} credentials",
                        "AuthValue": auth_value,
                        "Properties": [
                            {"Name": "ApiBase", "Value": api_base},
                        ],
                    },
                )
            )
        ac = connectors["Test Contacts"]
        # The account's own connector, installed (an account connector of it exists too).
        own = _ok(
            client.post(
                "/v1.0/account/connectors/custom", json=custom_connector(f"{label} own contacts")
            )
        )
        _ok(client.post(f"/v1.0/connectors/{own['Id']}/install", json={"Name": f"{label} own"}))
        acp = f"/v1.0/account/connectors/{ac}"
        _ok(client.post(f"{acp}/properties", json={"Name": "X-Region", "Value": f"{label}-eu"}))
        properties = _ok(client.get(f"{acp}/properties"))
        custom = _ok(client.post(f"{acp}/fields", json=custom_field(label)))
        _ok(client.put(f"{url}/variables/Domain", json={"Value": f"{label}.example"}))
        _ok(client.post(f"{url}/variables", json={"SystemName": "Secret", "Value": label}))

        steps = {s["Name"]: s for s in _ok(client.get(f"{url}/steps"))}
        subscribe = steps["Subscribe"]["Id"]
        _ok(client.put(f"{url}/steps/{subscribe}", json={"Name": f"{label} subscribe"}))
        # A step without an exit yet, for the edge a body names.
        stop = _ok(client.post(f"{url}/steps", json={"Name": f"{label} end", "StepType": "Stop"}))
        parameter = _ok(client.get(f"/v1.0/steps/{subscribe}/parameters"))[0]["Parameter"]
        _ok(
            client.put(
                f"/v1.0/steps/{subscribe}/parameters/{parameter['Id']}",
                json={"MappingType": "StaticValue", "Value": f"{label}-list"},
            )
        )
        mapping = _ok(client.get(f"/v1.0/steps/{subscribe}/fieldmappings"))[0]["Field"]
        _ok(
            client.put(
                f"/v1.0/steps/{subscribe}/fieldmappings/{mapping['Id']}",
                json={"MappingType": "StaticValue", "Value": f"{label}@example.com"},
            )
        )
        edge = _ok(client.get(f"{url}/edges"))[0]

    now = junction.clock()
    done = seed.transaction(
        junction,
        account_id=account_id,
        cycle_id=cycle_id,
        created_at=now - timedelta(hours=2),
        status=Status.ERRORED,
        step_id=subscribe,
        values={"trigger": {"Email": f"{label}@example.com"}},
        steps=[{"step_id": subscribe, "step_name": f"{label} subscribe", "output": [label]}],
    )
    seed.incident(
        junction,
        account_id=account_id,
        cycle_id=cycle_id,
        level="Error",
        created_at=now - timedelta(hours=1),
        transaction_id=done,
        short_message=f"{label} failed",
    )
    tenant.ids = {
        "connectors/{account_connector_id}": str(ac),
        "custom/{connector_id}": str(own["Id"]),
        "properties/{property_id}": str(properties[0]["Id"]),
        "fields/{field_id}": str(custom["Id"]),
        "cycles/{cycle_id}": cycle_id,
        "transactions/{transaction_id}": done,
        "steps/{step_id}": subscribe,
        "stop-step": stop["Id"],
        "source-step": steps["List contacts"]["Id"],
        "edges/{edge_id}": str(edge["Id"]),
    }
    tenant.catalogue_ids = {
        "parameters/{parameter_id}": str(parameter["Id"]),
        "fieldmappings/{field_id}": str(mapping["Id"]),
    }
    tenant.private_ids = {
        value
        for value in [*tenant.ids.values(), *(s["Id"] for s in steps.values())]
        if len(value) >= 8 and not value.isdigit()
    }
    return tenant


def build_world(junction: Junction, saas: ContactsApi) -> World:
    token = junction.token()
    partner = junction.http(token)
    with partner:
        contacts = _ok(partner.post("/v1.0/connectors", json=contacts_definition()))
        _ok(partner.post("/v1.0/connectors", json=mailing_definition()))
        template_id = publish(partner, life_template())
        alpha = build_tenant(
            junction,
            partner,
            token,
            ALPHA,
            label="alpha",
            api_base=saas.base_url,
            auth_value=API_KEY,
            template_id=template_id,
        )
        bravo = build_tenant(
            junction,
            partner,
            token,
            BRAVO,
            label=BRAVO_MARK,
            api_base=saas.base_url,
            auth_value=BRAVO_KEY,
            template_id=template_id,
        )

    async def webhook_identifiers() -> set[str]:
        async with junction.services.database.transaction(read_only=True) as session:
            rows = await session.scalars(
                select(CycleStep.webhook_identifier).where(
                    CycleStep.cycle_id == bravo.ids["cycles/{cycle_id}"]
                )
            )
            return {identifier for identifier in rows if identifier}

    shared = {
        "variables/{name}": "Domain",
        "methods/{method}": "contacts-list",
        "test/{method}": "contacts-list",
        "triggers/{trigger_id}": "statuses",
        "incidents/{level}": "Error",
        "connectors/{connector}": str(contacts["Id"]),
        "templates/{template_id}": template_id,
        **alpha.catalogue_ids,
    }
    assert bravo.catalogue_ids == alpha.catalogue_ids
    secrets = {BRAVO_KEY, *junction.run(webhook_identifiers())}
    ghost = Tenant("tenant-ghost")
    ghost.ids = {
        key: str(900000 + n) if value.isdigit() else str(uuid.uuid4())
        for n, (key, value) in enumerate(bravo.ids.items())
    }
    return World(alpha, bravo, ghost, shared, secrets)


def snapshot(junction: Junction) -> Snapshot:
    """Every stored row, by table and primary key (tables without rows are left out)."""

    async def read() -> Snapshot:
        rows: Snapshot = {}
        # Task counts of calls already answered, which the process writes in groups: written
        # now, so they are not taken for rows the next calls added.
        await junction.services.tally.flush()
        async with junction.services.database.transaction(read_only=True) as session:
            # (holding_rows is typed as rows of one column; its scalars are table names.)
            found = await session.scalars(holding_rows())
            holding = {str(name) for name in found.all()} - IGNORED_TABLES
            for table in Base.metadata.sorted_tables:
                if table.name not in holding:
                    continue
                keys = [column.name for column in table.primary_key.columns]
                result = await session.execute(select(table))
                rows[table.name] = {
                    tuple(row[k] for k in keys): tuple(row.values()) for row in result.mappings()
                }
        return rows

    return junction.run(read())


def changes(before: Snapshot, after: Snapshot, *, new_rows_allowed: bool) -> list[str]:
    found = []
    for table in sorted(before.keys() | after.keys()):
        rows, now = before.get(table, {}), after.get(table, {})
        for key, row in rows.items():
            if key not in now:
                found.append(f"{table} {key} deleted")
            elif now[key] != row:
                found.append(f"{table} {key} changed")
        for key in now.keys() - rows.keys():
            # A's own calls may add A's rows, never one of B's.
            if not new_rows_allowed or BRAVO in now[key]:
                found.append(f"{table} {key} added")
    return found
