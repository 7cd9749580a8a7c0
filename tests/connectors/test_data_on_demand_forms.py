"""Data on Demand's GET and /body forms, and methods listed by connector name and version."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=20)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def installed(junction: Junction, saas: ContactsApi) -> tuple[httpx.Client, int, int]:
    """An account client, the account connector id, and the connector id."""
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        connector = client.post("/v1.0/connectors", json=contacts_definition()).json()["Id"]
    api = junction.http(partner, account="acme")
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert row.status_code == 200, row.text
    return api, row.json()["Id"], connector


def test_get_form_takes_parameters_from_the_query_string(
    installed: tuple[httpx.Client, int, int], saas: ContactsApi
) -> None:
    api, ac, connector = installed
    by_name = api.get(f"/v1.0/account/connectors/{ac}/methods/contacts-get?ContactId=7")
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["email"] == "person7@example.com"
    assert saas.state.requests[-1]["path"] == "/contacts/7"

    methods = api.get(f"/v1.0/connectors/{connector}/methods").json()
    get_method = next(m for m in methods if m["MethodUniqueIdentifier"] == "contacts-get")
    param_id = get_method["Parameters"][0]["Id"]
    by_ids = api.get(
        f"/v1.0/account/connectors/{ac}/methods/{get_method['Id']}", params={str(param_id): 9}
    )
    assert by_ids.status_code == 200, by_ids.text
    assert by_ids.json()["id"] == 9

    listing = api.get(f"/v1.0/account/connectors/{ac}/methods/contacts-list")
    assert [c["id"] for c in listing.json()["contacts"]] == list(range(1, 21))


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        pytest.param("contacts-get?Bogus=1", 400, "Bogus", id="unknown-parameter"),
        pytest.param("contacts-get?ContactId=1&ContactId=2", 400, "ContactId", id="repeated"),
        pytest.param("contacts-get", 400, "ContactId", id="missing-parameter"),
        pytest.param("nope", 404, "nope", id="unknown-method"),
    ],
)
def test_get_form_refuses_bad_input(
    installed: tuple[httpx.Client, int, int], path: str, status: int, fragment: str
) -> None:
    api, ac, _ = installed
    response = api.get(f"/v1.0/account/connectors/{ac}/methods/{path}")
    assert response.status_code == status, response.text
    assert fragment in response.json()["Message"]


def test_get_form_reports_upstream_errors(installed: tuple[httpx.Client, int, int]) -> None:
    api, ac, _ = installed
    missing = api.get(f"/v1.0/account/connectors/{ac}/methods/contacts-get?ContactId=999")
    assert missing.status_code == 404
    assert missing.json()["UpstreamStatus"] == 404


def test_body_form_sends_the_body_as_is(
    installed: tuple[httpx.Client, int, int], saas: ContactsApi
) -> None:
    api, ac, _ = installed
    # Keys the method's request fields do not know are sent all the same.
    raw = '{"email": "raw@example.com", "nickname": "Raw", "tags": ["a"]}'
    created = api.post(
        f"/v1.0/account/connectors/{ac}/methods/contacts-create/body",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["nickname"] == "Raw"
    sent = saas.state.requests[-1]
    assert sent["method"] == "POST"
    assert sent["body"] == raw
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["X-Api-Key"] == API_KEY

    xml = "<contact><email>x@example.com</email></contact>"
    api.post(
        f"/v1.0/account/connectors/{ac}/methods/contacts-get/body?ContactId=3",
        content=xml,
        headers={"Content-Type": "application/xml"},
    )
    sent = saas.state.requests[-1]
    assert sent["path"] == "/contacts/3"
    assert sent["body"] == xml
    assert sent["headers"]["Content-Type"] == "application/xml"


@pytest.mark.parametrize(
    ("path", "content", "status", "fragment"),
    [
        pytest.param("contacts-create/body", "", 400, "Body", id="empty-body"),
        pytest.param("contacts-create/body?Bogus=1", "{}", 400, "Bogus", id="unknown-parameter"),
        pytest.param("nope/body", "{}", 404, "nope", id="unknown-method"),
    ],
)
def test_body_form_refuses_bad_input(
    installed: tuple[httpx.Client, int, int], path: str, content: str, status: int, fragment: str
) -> None:
    api, ac, _ = installed
    response = api.post(
        f"/v1.0/account/connectors/{ac}/methods/{path}",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert fragment in response.json()["Message"]


def test_other_accounts_cannot_call_the_account_connector(
    junction: Junction, installed: tuple[httpx.Client, int, int]
) -> None:
    _, ac, _ = installed
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"})
    other = junction.http(partner, account="other")
    assert other.get(f"/v1.0/account/connectors/{ac}/methods/contacts-list").status_code == 404
    body = other.post(
        f"/v1.0/account/connectors/{ac}/methods/contacts-create/body",
        content="{}",
        headers={"Content-Type": "application/json"},
    )
    assert body.status_code == 404


def test_methods_by_connector_name_and_version(junction: Junction) -> None:
    api = junction.http(junction.token())
    first = api.post("/v1.0/connectors", json=contacts_definition()).json()
    newer_document = contacts_definition() | {"Version": "2.0"}
    newer_document["Methods"] = [
        m for m in newer_document["Methods"] if m["MethodUniqueIdentifier"] != "contacts-create"
    ]
    added = api.post("/v1.0/connectors", json=newer_document)
    assert added.status_code == 201, added.text
    newer = added.json()

    old = api.get("/v1.0/connectors/Test Contacts/1.0/methods")
    assert old.status_code == 200, old.text
    assert old.json() == api.get(f"/v1.0/connectors/{first['Id']}/methods").json()
    assert len(old.json()) == 4

    by_name = api.get("/v1.0/connectors/test contacts/methods")
    assert by_name.status_code == 200, by_name.text
    assert by_name.json() == api.get(f"/v1.0/connectors/{newer['Id']}/methods").json()
    assert [m["MethodUniqueIdentifier"] for m in by_name.json()] == [
        "contacts-list",
        "contacts-get",
        "statuses-list",
    ]
    filtered = api.get("/v1.0/connectors/Test Contacts/1.0/methods", params={"query": "create"})
    assert [m["Name"] for m in filtered.json()] == ["Create Contact"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/v1.0/connectors/Test Contacts/9.9/methods", 404, id="unknown-version"),
        pytest.param("/v1.0/connectors/Nothing/1.0/methods", 404, id="unknown-name"),
        pytest.param("/v1.0/connectors/Nothing/methods", 404, id="unknown-name-only"),
        pytest.param("/v1.0/connectors/99999999999/methods", 400, id="id-out-of-range"),
    ],
)
def test_methods_by_name_refuse_unknown(junction: Junction, path: str, status: int) -> None:
    api = junction.http(junction.token())
    api.post("/v1.0/connectors", json=contacts_definition())
    response = api.get(path)
    assert response.status_code == status, response.text
    assert response.json()["Message"]
