"""Data on Demand and method tests, end to end: Junction calling a real API on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=250)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def installed(junction: Junction, saas: ContactsApi) -> tuple[httpx.Client, int, int]:
    """An account client, the account connector id, and the connector id."""
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        document = contacts_definition()
        document["Methods"][1]["TimeoutSeconds"] = 1
        connector = client.post("/v1.0/connectors", json=document).json()["Id"]
    api = junction.http(partner, account="acme")
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert row.status_code == 200, row.text
    return api, row.json()["Id"], connector


def _call(
    api: httpx.Client, ac: int, method: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return api.post(f"/v1.0/account/connectors/{ac}/methods/{method}", json=body or {})


def test_calls_by_unique_identifier_and_by_ids(
    installed: tuple[httpx.Client, int, int], saas: ContactsApi
) -> None:
    api, ac, connector = installed
    first_page = _call(api, ac, "contacts-list")
    assert first_page.status_code == 200, first_page.text
    assert [c["id"] for c in first_page.json()["contacts"]] == list(range(1, 101))
    sent = saas.state.requests[-1]
    assert sent["headers"]["X-Api-Key"] == API_KEY
    assert sent["headers"]["X-Region"] == "eu"  # the property's default value
    assert "page=1" in sent["path"]

    one = _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 7}})
    assert one.json()["email"] == "person7@example.com"

    methods = api.get(f"/v1.0/connectors/{connector}/methods").json()
    get_method = next(m for m in methods if m["MethodUniqueIdentifier"] == "contacts-get")
    by_ids = _call(
        api, ac, str(get_method["Id"]), {"Parameters": {str(get_method["Parameters"][0]["Id"]): 8}}
    )
    assert by_ids.json()["id"] == 8

    created = _call(
        api,
        ac,
        "contacts-create",
        {"Fields": {"Email": "new@example.com", "Name": "New", "Vip": "true"}},
    )
    assert created.status_code == 200, created.text
    assert created.json()["profile"] == {"name": "New"}
    assert created.json()["vip"] is True


def test_upstream_errors(installed: tuple[httpx.Client, int, int], saas: ContactsApi) -> None:
    api, ac, _ = installed
    missing = _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 999}})
    assert missing.status_code == 404
    assert missing.json()["UpstreamStatus"] == 404
    assert "no contact 999" in missing.json()["UpstreamBody"]
    assert missing.json()["Message"]

    invalid = _call(api, ac, "contacts-create", {"Fields": {"Name": "no email"}})
    assert invalid.status_code == 400  # a required request field is missing: caught before calling
    assert "Email" in invalid.json()["Message"]

    saas.state.fail_next = 2
    recovered = _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}})
    assert recovered.status_code == 200  # two 503s, then success

    saas.state.delay_seconds = 1.5  # past the method's 1 s timeout
    slow = _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}})
    assert slow.status_code == 504
    saas.state.delay_seconds = 0


def test_wrong_key_is_reported_not_passed_through_as_ours(
    installed: tuple[httpx.Client, int, int],
) -> None:
    api, ac, _ = installed
    api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "wrong-key"})
    response = _call(api, ac, "contacts-list")
    assert response.status_code == 400
    assert response.json()["UpstreamStatus"] == 401


@pytest.mark.parametrize(
    ("method", "body", "status", "fragment"),
    [
        pytest.param("nope", {}, 404, "nope", id="unknown-method"),
        pytest.param(
            "contacts-get", {"Parameters": {"Bogus": 1}}, 400, "Bogus", id="unknown-parameter"
        ),
        pytest.param("contacts-create", {"Fields": {"Bogus": 1}}, 400, "Bogus", id="unknown-field"),
        pytest.param("contacts-get", {}, 400, "ContactId", id="missing-parameter"),
        pytest.param("contacts-get", {"Params": {}}, 400, "Params", id="bad-body"),
        pytest.param(
            "contacts-create",
            {"Fields": {"Email": "a@b.c", "Vip": "perhaps"}},
            400,
            "Vip",
            id="bad-boolean",
        ),
    ],
)
def test_bad_calls(
    installed: tuple[httpx.Client, int, int],
    method: str,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    api, ac, _ = installed
    response = _call(api, ac, method, body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["Message"]


def test_unauthenticated_connector(installed: tuple[httpx.Client, int, int]) -> None:
    api, ac, _ = installed
    api.put(f"/v1.0/account/connectors/{ac}/deauthenticate")
    response = _call(api, ac, "contacts-list")
    assert response.status_code == 400
    assert "not authenticated" in response.json()["Message"]


def test_method_test_endpoint_redacts_secrets(installed: tuple[httpx.Client, int, int]) -> None:
    api, ac, _ = installed
    missing = api.get(f"/v1.0/account/connectors/{ac}/test/contacts-get")
    assert missing.status_code == 400  # ContactId is required: the caller's mistake, not the API's
    assert "ContactId" in missing.json()["Message"]
    listed = api.get(f"/v1.0/account/connectors/{ac}/test/contacts-list").json()
    assert listed["Success"] is True
    assert len(listed["Records"]) == 100
    api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "wrong-key"})
    failed = api.get(f"/v1.0/account/connectors/{ac}/test/contacts-list").json()
    assert (failed["Success"], failed["StatusCode"]) == (False, 401)
    assert failed["Exchanges"][-1]["Status"] == 401
    assert "wrong-key" not in str(failed)
    api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": API_KEY})
    tried = api.post(
        f"/v1.0/account/connectors/{ac}/test/contacts-get", json={"Parameters": {"ContactId": 3}}
    )
    body = tried.json()
    assert body["Success"] is True
    assert body["Records"] == [{"Id": 3, "Email": "person3@example.com"}]
    assert len(body["Exchanges"]) == 1
    assert body["Exchanges"][0]["Status"] == 200
    assert set(body["Exchanges"][0]) >= {
        "Method",
        "Url",
        "RequestHeaders",
        "ResponseBody",
        "DurationMs",
    }
    assert API_KEY not in tried.text


def test_blocked_addresses(junction: Junction, installed: tuple[httpx.Client, int, int]) -> None:
    api, ac, _ = installed
    api.post(
        f"/v1.0/account/connectors/{ac}/properties",
        json={"Name": "ApiBase", "Value": "http://169.254.169.254/latest"},
    )
    response = _call(api, ac, "contacts-list")
    assert response.status_code == 400
    assert "169.254.169.254" in response.json()["Message"]


def test_error_messages_never_carry_credentials(junction: Junction, saas: ContactsApi) -> None:
    partner = junction.token()
    document = contacts_definition()
    document["Name"] = "Query Key"
    document["Authentication"][0]["ApiKey"] = {"Location": "QueryString", "Name": "key"}
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        connector = client.post("/v1.0/connectors", json=document).json()["Id"]
    api = junction.http(partner, account="acme")
    secret = "query-secret-9876"
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={
            "AuthValue": secret,
            "Properties": [{"Name": "ApiBase", "Value": "http://127.0.0.1:99999"}],
        },
    ).json()
    response = _call(api, row["Id"], "contacts-list")
    assert response.status_code in (400, 502), response.text
    assert secret not in response.text
    assert "[redacted]" in response.json()["Message"]  # the URL was quoted, key hidden
    tried = api.get(f"/v1.0/account/connectors/{row['Id']}/test/contacts-list")
    assert secret not in tried.text


def test_a_trigger_lists_its_values(installed: tuple[httpx.Client, int, int]) -> None:
    api, ac, _ = installed
    listed = api.post(f"/v1.0/account/connectors/{ac}/triggers/statuses")
    assert listed.status_code == 200, listed.text
    assert listed.json() == [{"Name": "Active", "Value": "a"}]
    unknown = api.post(f"/v1.0/account/connectors/{ac}/triggers/colours")
    assert unknown.status_code == 404
    assert unknown.json()["Message"] == "Connector 'Test Contacts' has no trigger 'colours'"


@pytest.mark.parametrize(
    ("script", "status", "words"),
    [
        (
            "function after_action() { method_response = {count: method_response.contacts.length};"
            " return true; }",
            200,
            '{"count":100}',
        ),
        ("function before_action() { return false; }", 409, "was not sent"),
        ("function after_action() { throw new Error('no way'); }", 502, "Error: no way"),
    ],
)
def test_connector_scripts_shape_data_on_demand(
    junction: Junction, saas: ContactsApi, script: str, status: int, words: str
) -> None:
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        document = contacts_definition() | {"Script": script}
        connector = client.post("/v1.0/connectors", json=document).json()["Id"]
    api = junction.http(partner, account="acme")
    ac = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    ).json()["Id"]
    before = len(saas.state.requests)
    answer = _call(api, ac, "contacts-list")
    assert answer.status_code == status, answer.text
    assert words in answer.text.replace(" ", "") or words in answer.text
    if status == 409:
        assert len(saas.state.requests) == before


def test_changes_of_the_account_connector_apply_to_the_next_call(
    installed: tuple[httpx.Client, int, int], saas: ContactsApi
) -> None:
    """Opened connections are reused between calls, but never past a change: a new property
    value, a new credential or a removed property applies to the very next call."""
    api, ac, _ = installed
    assert _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}}).status_code == 200
    assert saas.state.requests[-1]["headers"]["X-Region"] == "eu"

    region = api.post(
        f"/v1.0/account/connectors/{ac}/properties", json={"Name": "X-Region", "Value": "us"}
    )
    assert region.status_code in (200, 201), region.text
    assert _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}}).status_code == 200
    assert saas.state.requests[-1]["headers"]["X-Region"] == "us"

    removed = api.delete(f"/v1.0/account/connectors/{ac}/properties/{region.json()['Id']}")
    assert removed.status_code == 200, removed.text
    assert _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}}).status_code == 200
    assert saas.state.requests[-1]["headers"]["X-Region"] == "eu"

    rekeyed = api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "another-key"})
    assert rekeyed.status_code == 200, rekeyed.text
    refused = _call(api, ac, "contacts-get", {"Parameters": {"ContactId": 1}})
    assert saas.state.requests[-1]["headers"]["X-Api-Key"] == "another-key"
    assert refused.status_code != 200
