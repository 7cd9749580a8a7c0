"""/v1.0/accounts: create, read, update, delete, list, sub-accounts; good and bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.fixtures.server import Junction

FULL = {
    "Id": "acme-001",
    "Name": "Acme",
    "Description": "Our first customer",
    "Timezone": "Europe/London",
    "AuditInfo": "audit",
    "TaskAuditInfo": "task audit",
    "NextBillDateUtc": "2027-01-01T00:00:00Z",
    "StepDataSuccessRetentionHours": 168,
    "StepDataErroredRetentionHours": 336,
    "TransactionErrorWebhookEnabled": True,
    "TransactionErrorWebhookUrl": "https://hooks.example.com/errors",
    "TransactionErrorWebhookIncludeWarnings": True,
}


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


def _create(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1.0/accounts", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_and_read_with_every_field(api: httpx.Client) -> None:
    created = _create(api, FULL)
    for field, value in FULL.items():
        assert created[field] == value, field
    assert created["CreatedDate"].endswith("Z")
    assert created["ParentAccountId"] is None
    assert api.get("/v1.0/accounts/acme-001").json() == created


def test_defaults(api: httpx.Client) -> None:
    created = _create(api, {"Name": "Minimal"})
    assert len(created["Id"]) == 36  # a generated GUID
    assert created["Timezone"] == "UTC"
    assert created["TransactionErrorWebhookEnabled"] is False
    assert created["StepDataSuccessRetentionHours"] is None


def test_webhook_url_gets_https_scheme(api: httpx.Client) -> None:
    created = _create(
        api,
        {
            "Name": "A",
            "TransactionErrorWebhookEnabled": True,
            "TransactionErrorWebhookUrl": "example.com/x",
        },
    )
    assert created["TransactionErrorWebhookUrl"] == "https://example.com/x"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "Name", id="missing-name"),
        pytest.param({"Name": "   "}, "Name", id="blank-name"),
        pytest.param({"Name": 12}, "Name", id="name-wrong-type"),
        pytest.param({"Name": "A", "Timezone": "Mars/Olympus"}, "Timezone", id="bad-timezone"),
        pytest.param({"Name": "A", "Timezone": 3}, "Timezone", id="timezone-wrong-type"),
        pytest.param(
            {"Name": "A", "StepDataSuccessRetentionHours": -10},
            "StepDataSuccessRetentionHours",
            id="negative-success-retention",
        ),
        pytest.param(
            {"Name": "A", "StepDataErroredRetentionHours": -1},
            "StepDataErroredRetentionHours",
            id="negative-error-retention",
        ),
        pytest.param(
            {"Name": "A", "StepDataErroredRetentionHours": "lots"},
            "StepDataErroredRetentionHours",
            id="retention-wrong-type",
        ),
        pytest.param(
            {"Name": "A", "TransactionErrorWebhookEnabled": True},
            "TransactionErrorWebhookUrl",
            id="webhook-enabled-without-url",
        ),
        pytest.param(
            {"Name": "A", "TransactionErrorWebhookUrl": "ftp://example.com"},
            "TransactionErrorWebhookUrl",
            id="webhook-url-bad-scheme",
        ),
        pytest.param(
            {"Name": "A", "TransactionErrorWebhookEnabled": "maybe"},
            "TransactionErrorWebhookEnabled",
            id="enabled-wrong-type",
        ),
        pytest.param({"Name": "A", "NextBillDateUtc": "soon"}, "NextBillDateUtc", id="bad-date"),
        pytest.param({"Name": "A", "Id": "has space"}, "Id", id="bad-id"),
        pytest.param({"Name": "A", "Nmae": "typo"}, "Nmae", id="unknown-field"),
        pytest.param(
            {"Name": "A", "ParentAccountId": "nobody"}, "ParentAccountId", id="unknown-parent"
        ),
    ],
)
def test_bad_create_input_names_the_field(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = api.post("/v1.0/accounts", json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["Message"]
    assert api.get("/v1.0/accounts").json() == []


def test_several_bad_fields_are_all_named(api: httpx.Client) -> None:
    response = api.post(
        "/v1.0/accounts", json={"Timezone": "Nowhere", "StepDataSuccessRetentionHours": -1}
    )
    message = response.json()["Message"]
    assert all(field in message for field in ("Name", "Timezone", "StepDataSuccessRetentionHours"))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"Name": ', id="truncated"),
        pytest.param(b"Name=Acme", id="not-json"),
        pytest.param(b"[1, 2]", id="json-array"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_json(api: httpx.Client, content: bytes) -> None:
    response = api.post(
        "/v1.0/accounts", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["Message"]
    assert "Traceback" not in response.text


def test_duplicate_id_is_400_and_keeps_the_original(api: httpx.Client) -> None:
    _create(api, {"Id": "dup", "Name": "Original"})
    response = api.post("/v1.0/accounts", json={"Id": "dup", "Name": "Impostor"})
    assert response.status_code == 400
    assert "already in use" in response.json()["Message"]
    assert api.get("/v1.0/accounts/dup").json()["Name"] == "Original"


def test_put_is_partial_and_null_clears(api: httpx.Client) -> None:
    _create(api, FULL)
    response = api.put(
        "/v1.0/accounts/acme-001",
        json={"Description": None, "StepDataSuccessRetentionHours": None, "Name": "Acme Ltd"},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["Name"] == "Acme Ltd"
    assert updated["Description"] is None
    assert updated["StepDataSuccessRetentionHours"] is None
    assert updated["StepDataErroredRetentionHours"] == 336  # omitted, so kept
    assert updated["Timezone"] == "Europe/London"
    cleared = api.put("/v1.0/accounts/acme-001", json={"Timezone": None}).json()
    assert cleared["Timezone"] == "UTC"


def test_put_accepts_a_body_read_from_get(api: httpx.Client) -> None:
    created = _create(api, FULL)
    body = {k: v for k, v in created.items()}
    body["Name"] = "Round trip"
    response = api.put("/v1.0/accounts/acme-001", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["CreatedDate"] == created["CreatedDate"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"Name": None}, "Name", id="null-name"),
        pytest.param({"Timezone": "Atlantis/Capital"}, "Timezone", id="bad-timezone"),
        pytest.param(
            {"StepDataErroredRetentionHours": -5}, "StepDataErroredRetentionHours", id="negative"
        ),
        pytest.param(
            {"TransactionErrorWebhookUrl": None},
            "TransactionErrorWebhookUrl",
            id="clear-url-while-enabled",
        ),
        pytest.param({"Id": "other"}, "Id", id="id-mismatch"),
        pytest.param({"ParentAccountId": "acme-001"}, "ParentAccountId", id="own-parent"),
        pytest.param({"ParentAccountId": "nobody"}, "ParentAccountId", id="unknown-parent"),
        pytest.param({"NextBillDateUtc": "tomorrow"}, "NextBillDateUtc", id="bad-date"),
        pytest.param({"Colour": "red"}, "Colour", id="unknown-field"),
    ],
)
def test_bad_update_loses_nothing(api: httpx.Client, body: dict[str, Any], field: str) -> None:
    before = _create(api, FULL)
    response = api.put("/v1.0/accounts/acme-001", json={**body, "Description": "should not stick"})
    assert response.status_code == 400, response.text
    assert field in response.json()["Message"]
    assert api.get("/v1.0/accounts/acme-001").json() == before


def test_unknown_account_is_404(api: httpx.Client) -> None:
    for response in (
        api.get("/v1.0/accounts/nope"),
        api.put("/v1.0/accounts/nope", json={"Name": "x"}),
        api.delete("/v1.0/accounts/nope"),
        api.get("/v1.0/accounts/nope/subaccounts"),
        api.get("/v1.0/accounts/nope/users"),
    ):
        assert response.status_code == 404
        assert "nope" in response.json()["Message"]


def test_paging_and_ordering(api: httpx.Client) -> None:
    for index in range(7):
        _create(api, {"Id": f"acc-{index}", "Name": f"Name {6 - index}"})
    first = api.get("/v1.0/accounts", params={"pageSize": 3, "orderBy": "Id"})
    assert [a["Id"] for a in first.json()] == ["acc-0", "acc-1", "acc-2"]
    assert first.headers["total-records"] == "7"
    assert first.headers["total-pages"] == "3"
    last = api.get("/v1.0/accounts", params={"pageSize": 3, "page": 3, "orderBy": "Id"})
    assert [a["Id"] for a in last.json()] == ["acc-6"]
    assert api.get("/v1.0/accounts", params={"page": 9}).json() == []
    by_name = api.get("/v1.0/accounts", params={"orderBy": "name", "sortOrderAsc": "false"})
    assert [a["Name"] for a in by_name.json()][:2] == ["Name 6", "Name 5"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"page": 0}, "page", id="page-zero"),
        pytest.param({"pageSize": 100000}, "pageSize", id="page-too-big"),
        pytest.param({"pageSize": "ten"}, "pageSize", id="page-size-not-number"),
        pytest.param({"orderBy": "Secret"}, "orderBy", id="unknown-order"),
        pytest.param({"sortOrderAsc": "sideways"}, "sortOrderAsc", id="bad-bool"),
    ],
)
def test_bad_paging(api: httpx.Client, params: dict[str, Any], field: str) -> None:
    response = api.get("/v1.0/accounts", params=params)
    assert response.status_code == 400
    assert field in response.json()["Message"]


def test_sub_accounts_and_cascading_delete(junction: Junction, api: httpx.Client) -> None:
    _create(api, {"Id": "parent", "Name": "Parent"})
    _create(api, {"Id": "child", "Name": "Child", "ParentAccountId": "parent"})
    _create(api, {"Id": "grandchild", "Name": "Grandchild", "ParentAccountId": "child"})
    _create(api, {"Id": "stranger", "Name": "Stranger"})
    subs = api.get("/v1.0/accounts/parent/subaccounts")
    assert [a["Id"] for a in subs.json()] == ["child"]
    assert subs.headers["total-records"] == "1"

    # A cycle of parents is refused.
    loop = api.put("/v1.0/accounts/parent", json={"ParentAccountId": "grandchild"})
    assert loop.status_code == 400
    assert "ParentAccountId" in loop.json()["Message"]

    assert api.put("/v1.0/accounts/child/users", json={"UserName": "ann"}).status_code == 200
    scoped = junction.token(scope="account:child")
    assert api.delete("/v1.0/accounts/parent").status_code == 200
    assert [a["Id"] for a in api.get("/v1.0/accounts").json()] == ["stranger"]
    with junction.http(scoped, account="child") as client:
        assert client.get("/v1.0/account").status_code == 401


def test_users(api: httpx.Client) -> None:
    _create(api, {"Id": "team", "Name": "Team"})
    assert api.get("/v1.0/accounts/team/users").json() == []
    added = api.put(
        "/v1.0/accounts/team/users", json={"UserName": "bob", "Password": "correct horse"}
    )
    assert added.status_code == 200, added.text
    assert added.json()["UserName"] == "bob"
    api.put("/v1.0/accounts/team/users", json={"UserName": "amy"})
    again = api.put(
        "/v1.0/accounts/team/users", json={"UserName": "bob", "Password": "new password"}
    )
    assert again.status_code == 200
    assert [u["UserName"] for u in api.get("/v1.0/accounts/team/users").json()] == ["amy", "bob"]
    assert "Password" not in api.get("/v1.0/accounts/team/users").text

    removed = api.request("DELETE", "/v1.0/accounts/team/users", json={"UserName": "bob"})
    assert removed.status_code == 200
    assert [u["UserName"] for u in api.get("/v1.0/accounts/team/users").json()] == ["amy"]


@pytest.mark.parametrize(
    ("method", "body", "status", "field"),
    [
        pytest.param("PUT", {"Password": "long enough"}, 400, "UserName", id="put-missing-name"),
        pytest.param(
            "PUT", {"UserName": "x", "Password": "short"}, 400, "Password", id="short-password"
        ),
        pytest.param("PUT", {"UserName": ["x"]}, 400, "UserName", id="name-wrong-type"),
        pytest.param("DELETE", {}, 400, "UserName", id="delete-missing-name"),
        pytest.param("DELETE", {"UserName": "ghost"}, 404, "ghost", id="delete-unknown-user"),
    ],
)
def test_bad_user_input(
    api: httpx.Client, method: str, body: dict[str, Any], status: int, field: str
) -> None:
    _create(api, {"Id": "team", "Name": "Team"})
    api.put("/v1.0/accounts/team/users", json={"UserName": "keep"})
    response = api.request(method, "/v1.0/accounts/team/users", json=body)
    assert response.status_code == status, response.text
    assert field in response.json()["Message"]
    assert [u["UserName"] for u in api.get("/v1.0/accounts/team/users").json()] == ["keep"]


def test_dates_without_offset_are_utc(api: httpx.Client) -> None:
    created = _create(api, {"Id": "naive", "Name": "N", "NextBillDateUtc": "2027-03-01T12:00:00"})
    assert created["NextBillDateUtc"] == "2027-03-01T12:00:00Z"
    shifted = api.put("/v1.0/accounts/naive", json={"NextBillDateUtc": "2027-03-01T12:00:00+02:00"})
    assert shifted.json()["NextBillDateUtc"] == "2027-03-01T10:00:00Z"
    assert api.get("/v1.0/accounts/naive").json()["NextBillDateUtc"] == "2027-03-01T10:00:00Z"


def test_concurrent_writes_all_succeed(junction: Junction, api: httpx.Client) -> None:
    """Simultaneous writers queue for the database instead of failing (SQLite's write lock)."""
    token = api.headers["Authorization"]

    def create(index: int) -> int:
        with httpx.Client(base_url=junction.base_url, headers={"Authorization": token}) as client:
            response = client.post("/v1.0/accounts", json={"Id": f"c{index}", "Name": f"C{index}"})
            return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(60)))
    assert statuses == [200] * 60
    assert api.get("/v1.0/accounts", params={"pageSize": 1}).headers["total-records"] == "60"
