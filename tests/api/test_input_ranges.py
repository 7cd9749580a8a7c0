"""Input past what the database can store: 400 naming the field, nothing stored, on both
databases (integers wider than their column, dates with no UTC time, NUL and lone
surrogates in text, page numbers whose offset would overflow)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction

INT32_PAST = 2**31  # past PostgreSQL's INTEGER
INT64_PAST = 2**63  # past both databases' 64-bit integers
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    """A partner client, with account "acme" holding one installed connector."""
    client = junction.http(junction.token())
    assert client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    return client


@pytest.fixture
def acme(junction: Junction, api: httpx.Client) -> httpx.Client:
    return junction.http(junction.token(), account="acme")


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["Message"].startswith(f"{field}:"), response.json()


@pytest.mark.parametrize(
    ("path", "account"),
    [
        pytest.param("/v1.0/accounts", False, id="accounts"),
        pytest.param("/v1.0/connectors", False, id="connectors"),
        pytest.param("/v1.0/templates", False, id="templates"),
        pytest.param("/v1.0/cycles", True, id="cycles"),
        pytest.param("/v1.0/account/connectors", True, id="account-connectors"),
        pytest.param("/v1.0/cycles/transactions", True, id="transactions"),
    ],
)
def test_pages_past_the_range_are_refused(
    api: httpx.Client, acme: httpx.Client, path: str, account: bool
) -> None:
    client = acme if account else api
    past_the_end = client.get(path, params={"page": 2**31 - 1, "pageSize": 500})
    assert past_the_end.status_code == 200, past_the_end.text
    assert past_the_end.json() == []
    for page in (2**31, 2**63 + 1):
        _refused(client.get(path, params={"page": page}), "query parameter page")


def _ids(api: httpx.Client, acme: httpx.Client) -> dict[str, int]:
    connector = api.post("/v1.0/connectors", json=contacts_definition())
    assert connector.status_code == 201, connector.text
    connector_id = connector.json()["Id"]
    method_id = api.get(f"/v1.0/connectors/{connector_id}/methods").json()[0]["Id"]
    installed = acme.post(f"/v1.0/connectors/{connector_id}/install", json={})
    assert installed.status_code == 200, installed.text
    return {"connector": connector_id, "method": method_id, "installed": installed.json()["Id"]}


# (client, method, path with {connector}, {method}, {installed} and {bad}, the field at fault)
ID_ROUTES = [
    ("api", "GET", "/v1.0/connectors/{bad}", "path parameter connector"),
    ("api", "GET", "/v1.0/connectors/{bad}/methods", "path parameter connector"),
    ("api", "GET", "/v1.0/methods/{bad}", "path parameter method_id"),
    ("api", "GET", "/v1.0/connectors/{bad}/partnerproperties", "path parameter connector_id"),
    ("acme", "POST", "/v1.0/connectors/{bad}/install", "path parameter connector"),
    ("acme", "GET", "/v1.0/account/connectors/{bad}", "path parameter account_connector_id"),
    (
        "acme",
        "GET",
        "/v1.0/account/connectors/{bad}/properties",
        "path parameter account_connector_id",
    ),
    (
        "acme",
        "GET",
        "/v1.0/account/connectors/{installed}/properties/{bad}",
        "path parameter property_id",
    ),
    ("acme", "GET", "/v1.0/account/connectors/{bad}/fields", "path parameter account_connector_id"),
    (
        "acme",
        "GET",
        "/v1.0/account/connectors/{installed}/fields/{bad}",
        "path parameter field_id",
    ),
]


@pytest.mark.parametrize(("who", "method", "path", "field"), ID_ROUTES)
def test_path_ids_outside_the_id_range_are_refused(
    api: httpx.Client, acme: httpx.Client, who: str, method: str, path: str, field: str
) -> None:
    ids = _ids(api, acme)
    client = api if who == "api" else acme
    # The largest id of the range is merely unknown.
    unknown = client.request(method, path.format(bad=2**31 - 1, **ids), json={})
    assert unknown.status_code == 404, unknown.text
    # A connector is named by its Id or its name: "-1" is a name (unknown: 404).
    names = field == "path parameter connector"
    for bad in (INT32_PAST, INT64_PAST, 0) if names else (INT32_PAST, INT64_PAST, 0, -1, -(2**63)):
        _refused(client.request(method, path.format(bad=bad, **ids), json={}), field)
    assert [c["Id"] for c in acme.get("/v1.0/account/connectors").json()] == [ids["installed"]]


def test_an_existing_id_is_found(api: httpx.Client, acme: httpx.Client) -> None:
    ids = _ids(api, acme)
    assert api.get(f"/v1.0/connectors/{ids['connector']}").status_code == 200
    assert api.get(f"/v1.0/methods/{ids['method']}").status_code == 200
    assert acme.get(f"/v1.0/account/connectors/{ids['installed']}").status_code == 200


GOOD_ACCOUNT = {
    "Id": "bounded",
    "Name": "Bounded",
    "StepDataSuccessRetentionHours": 2**31 - 1,
    "NextBillDateUtc": "9999-12-31T09:59:59-14:00",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("StepDataSuccessRetentionHours", INT64_PAST, "less than or equal to 2147483647"),
        ("StepDataErroredRetentionHours", INT32_PAST, "less than or equal to 2147483647"),
        ("NextBillDateUtc", "9999-12-31T23:59:59-14:00", "is out of range"),
        ("NextBillDateUtc", "0001-01-01T00:00:00+14:00", "is out of range"),
        ("Name", "Acme\u0000Corp", "must not contain the NUL character"),
        ("Description", "half \ud800 a pair", "must not contain a lone surrogate"),
    ],
)
def test_account_fields_past_the_range_are_refused(
    api: httpx.Client, field: str, value: Any, message: str
) -> None:
    created = api.post("/v1.0/accounts", json=GOOD_ACCOUNT)
    assert created.status_code == 200, created.text
    assert created.json()["NextBillDateUtc"] == "9999-12-31T23:59:59Z"
    # Sent as JSON escapes, as a client would: a lone surrogate cannot be UTF-8.
    body = _json({"Id": "refused", "Name": "R", field: value})
    refused = api.post("/v1.0/accounts", content=body, headers=JSON)
    _refused(refused, field)
    assert message in refused.json()["Message"]
    assert api.get("/v1.0/accounts/refused").status_code == 404
    updated = api.put("/v1.0/accounts/bounded", content=_json({field: value}), headers=JSON)
    _refused(updated, field)
    assert api.get("/v1.0/accounts/bounded").json() == created.json()


def test_cycle_retention_past_the_range_is_refused(acme: httpx.Client) -> None:
    cycle = acme.post("/v1.0/cycles", json={"Name": "c"}).json()["Id"]
    kept = acme.put(f"/v1.0/cycles/{cycle}", json={"StepDataSuccessRetentionHours": 2**31 - 1})
    assert kept.status_code == 200, kept.text
    refused = acme.put(f"/v1.0/cycles/{cycle}", json={"StepDataSuccessRetentionHours": INT64_PAST})
    _refused(refused, "StepDataSuccessRetentionHours")
    hours = acme.get(f"/v1.0/cycles/{cycle}").json()["StepDataSuccessRetentionHours"]
    assert hours == 2**31 - 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("after", "9999-12-31T23:59:59-14:00"), ("before", "0001-01-01T00:00:00+14:00")],
)
def test_transaction_windows_past_the_calendar_are_refused(
    acme: httpx.Client, name: str, value: str
) -> None:
    edge = {"after": "9999-12-31T09:59:59-14:00", "before": "0001-01-01T14:00:00+14:00"}[name]
    assert acme.get("/v1.0/cycles/transactions", params={name: edge}).status_code == 200
    _refused(acme.get("/v1.0/cycles/transactions", params={name: value}), f"query parameter {name}")


@pytest.mark.parametrize(
    ("request_args", "field"),
    [
        pytest.param(("GET", "/v1.0/accounts/acme%00x"), "path parameter account_id", id="path"),
        pytest.param(
            ("GET", "/v1.0/connectors?orderBy=Name%00"), "query parameter orderBy", id="query"
        ),
        pytest.param(
            ("PUT", "/v1.0/accounts/acme", {"Timezone": "UTC", "AuditInfo": "\x00"}),
            "AuditInfo",
            id="body",
        ),
        pytest.param(
            (
                "PUT",
                "/v1.0/connectors/{connector}/partnerproperties",
                [{"Name": "X", "Value": "a\x00"}],
            ),
            "0.Value",
            id="body-list",
        ),
        pytest.param(
            ("POST", "/v1.0/accounts", {"Id": "n", "Name": "n", "Description\x00": "x"}),
            "Description\x00",
            id="body-key",
        ),
    ],
)
def test_nul_is_refused_everywhere(
    api: httpx.Client, acme: httpx.Client, request_args: tuple[Any, ...], field: str
) -> None:
    ids = _ids(api, acme)
    method, path, *body = request_args
    before = api.get("/v1.0/accounts").json()
    response = api.request(method, path.format(**ids), json=body[0] if body else None)
    _refused(response, field)
    assert "NUL" in response.json()["Message"]
    assert api.get("/v1.0/accounts").json() == before


def test_nul_in_a_token_request_is_refused(junction: Junction) -> None:
    with junction.http() as client:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "a\x00", "client_secret": "s"},
        )
    _refused(response, "client_id")


@pytest.mark.parametrize(
    ("path", "content_type", "body", "field"),
    [
        pytest.param(
            "/v1.0/connectors",
            "application/json",
            json.dumps({**contacts_definition(), "Description": "a\x00b"}),
            "Description",
            id="connector-json",
        ),
        pytest.param(
            "/v1.0/connectors",
            "application/yaml",
            'Name: "Contacts\\0"\nVersion: "1.0"\n',
            "Name",
            id="connector-yaml",
        ),
        pytest.param(
            "/v1.0/templates/import",
            "application/json",
            json.dumps({"Template": {"Name": "t\x00"}}),
            "Template.Name",
            id="template-import",
        ),
    ],
)
def test_nul_in_bodies_read_whole_is_refused(
    api: httpx.Client, path: str, content_type: str, body: str, field: str
) -> None:
    good = api.post("/v1.0/connectors", json=contacts_definition())
    assert good.status_code == 201, good.text
    before = (api.get("/v1.0/connectors").json(), api.get("/v1.0/templates").json())
    response = api.post(path, content=body.encode(), headers={"Content-Type": content_type})
    _refused(response, field)
    assert "NUL" in response.json()["Message"]
    assert (api.get("/v1.0/connectors").json(), api.get("/v1.0/templates").json()) == before
