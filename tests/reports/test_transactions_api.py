"""Listing transactions and reading their step data through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from junction.engine.transactions import Status
from tests.reports import seed
from tests.reports.conftest import T0, Reports


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["Id"] for item in response.json()]


@pytest.fixture
def listed(reports: Reports) -> dict[str, str]:
    """acme: Orders (a1 Completed, a2 Errored, a3 Running) and Invoices (b1); other: c1."""
    orders, invoices = reports.cycle("Orders"), reports.cycle("Invoices")
    theirs = reports.cycle("Theirs", reports.other)
    j = reports.junction
    made = {
        "orders": orders,
        "invoices": invoices,
        "theirs": theirs,
        "a1": seed.transaction(j, account_id="acme", cycle_id=orders, created_at=T0),
        "a2": seed.transaction(
            j,
            account_id="acme",
            cycle_id=orders,
            created_at=T0 + timedelta(hours=1),
            status=Status.ERRORED,
            steps=[{}, {"status": "Error"}],
            error_count=1,
            warning_count=2,
            message="Failed to call the method",
        ),
        "a3": seed.transaction(
            j,
            account_id="acme",
            cycle_id=orders,
            created_at=T0 + timedelta(hours=2),
            status=Status.RUNNING,
        ),
        "b1": seed.transaction(
            j, account_id="acme", cycle_id=invoices, created_at=T0 + timedelta(hours=3)
        ),
        "c1": seed.transaction(
            j, account_id="other", cycle_id=theirs, created_at=T0 + timedelta(minutes=30)
        ),
    }
    return made


def test_account_wide_list_is_newest_first_with_every_field(
    reports: Reports, listed: dict[str, str]
) -> None:
    response = reports.acme.get("/v1.0/cycles/transactions")
    assert ids(response) == [listed[k] for k in ("b1", "a3", "a2", "a1")]
    assert response.headers["Total-Records"] == "4"
    assert response.headers["Total-Pages"] == "1"
    errored = response.json()[2]
    assert errored == {
        "Id": listed["a2"],
        "CycleId": listed["orders"],
        "CycleName": "Orders",
        "Status": "Errored",
        "Origin": "Schedule",
        "CreatedOnUtc": "2026-03-01T13:00:00Z",
        "StartedOnUtc": "2026-03-01T13:00:01Z",
        "EndedOnUtc": "2026-03-01T13:01:00Z",
        "StepCount": 2,
        "ErrorCount": 1,
        "WarningCount": 2,
        "Message": "Failed to call the method",
        "CurrentStepId": "step-2",
        "StepDataPurged": False,
    }
    assert response.json()[0]["CycleName"] == "Invoices"
    assert ids(reports.other.get("/v1.0/cycles/transactions")) == [listed["c1"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"sortOrderAsc": "true"}, ["a1", "a2", "a3", "b1"], id="oldest-first"),
        pytest.param({"status": "Completed"}, ["b1", "a1"], id="status"),
        pytest.param({"status": "Running"}, ["a3"], id="status-running"),
        pytest.param({"after": "2026-03-01T13:00:00Z"}, ["b1", "a3", "a2"], id="after-inclusive"),
        pytest.param({"before": "2026-03-01T14:00:00Z"}, ["a2", "a1"], id="before-exclusive"),
        pytest.param(
            {"after": "2026-03-01T13:00:00", "before": "2026-03-01T15:00:00+01:00"},
            ["a2"],
            id="window-naive-is-utc",
        ),
        pytest.param({"page": "2", "pageSize": "3"}, ["a1"], id="second-page"),
        pytest.param({"page": "3", "pageSize": "3"}, [], id="past-the-end"),
    ],
)
def test_account_wide_filters_and_paging(
    reports: Reports, listed: dict[str, str], query: dict[str, str], expected: list[str]
) -> None:
    response = reports.acme.get("/v1.0/cycles/transactions", params=query)
    assert ids(response) == [listed[k] for k in expected]


def test_paging_headers(reports: Reports, listed: dict[str, str]) -> None:
    response = reports.acme.get("/v1.0/cycles/transactions", params={"pageSize": 3})
    assert ids(response) == [listed[k] for k in ("b1", "a3", "a2")]
    assert (response.headers["Total-Records"], response.headers["Total-Pages"]) == ("4", "2")
    filtered = reports.acme.get("/v1.0/cycles/transactions", params={"status": "Errored"})
    assert filtered.headers["Total-Records"] == "1"


def test_one_cycle(reports: Reports, listed: dict[str, str]) -> None:
    path = f"/v1.0/cycles/{listed['orders']}/transactions"
    response = reports.acme.get(path)
    assert ids(response) == [listed[k] for k in ("a3", "a2", "a1")]
    assert {item["CycleName"] for item in response.json()} == {"Orders"}
    assert ids(reports.acme.get(path, params={"status": "Errored"})) == [listed["a2"]]
    assert ids(
        reports.acme.get(path, params={"after": "2026-03-01T12:30:00Z", "sortOrderAsc": True})
    ) == [listed["a2"], listed["a3"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param({"status": "Done"}, "query parameter status: Input should be", id="status"),
        pytest.param({"after": "yesterday"}, "query parameter after:", id="after"),
        pytest.param({"before": "2026-13-01"}, "query parameter before:", id="before"),
        pytest.param(
            {"after": "2026-03-02T00:00:00Z", "before": "2026-03-01T00:00:00Z"},
            "before: must be later than after",
            id="empty-window",
        ),
        pytest.param({"orderBy": "Status"}, "orderBy: 'Status' is not sortable", id="order"),
        pytest.param({"pageSize": "0"}, "query parameter pageSize:", id="page-size"),
    ],
)
def test_bad_filters_name_the_field(
    reports: Reports, listed: dict[str, str], query: dict[str, str], message: str
) -> None:
    for path in ("/v1.0/cycles/transactions", f"/v1.0/cycles/{listed['orders']}/transactions"):
        response = reports.acme.get(path, params=query)
        assert response.status_code == 400, response.text
        assert message in response.json()["Message"]


def test_another_accounts_cycle_is_not_found(reports: Reports, listed: dict[str, str]) -> None:
    for path in (
        f"/v1.0/cycles/{listed['theirs']}/transactions",
        f"/v1.0/cycles/{listed['theirs']}/transactions/{listed['c1']}",
        "/v1.0/cycles/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f/transactions",
    ):
        response = reports.acme.get(path)
        assert response.status_code == 404, response.text
        assert response.json()["Message"].startswith("No cycle with Id")


def test_routes_are_not_taken_for_cycle_ids(reports: Reports, listed: dict[str, str]) -> None:
    assert reports.acme.get("/v1.0/cycles/transactions").status_code == 200
    assert reports.acme.get("/v1.0/cycles/incidents/error").json() == []
    # ...and the cycle routes still answer.
    assert reports.acme.get(f"/v1.0/cycles/{listed['orders']}").json()["Name"] == "Orders"
    assert sorted(c["Name"] for c in reports.acme.get("/v1.0/cycles").json()) == [
        "Invoices",
        "Orders",
    ]


def test_transaction_with_its_step_data(reports: Reports) -> None:
    orders, invoices = reports.cycle("Orders"), reports.cycle("Invoices")
    listing = {
        "Request": {
            "Method": "GET",
            "Url": "https://api.test/contacts",
            "Headers": {"Authorization": "[REDACTED]"},
        },
        "Response": {"Status": 200, "Body": '{"items": [{"email": "Ann@Example.com"}]}'},
    }
    failing = {
        "Request": {"Method": "POST", "Url": "https://crm.test/people", "Body": "{}"},
        "Response": {"Status": 500, "Body": "Server Exploded"},
    }
    transaction_id = seed.transaction(
        reports.junction,
        account_id="acme",
        cycle_id=orders,
        created_at=T0,
        status=Status.ERRORED,
        steps=[  # stored out of order: the answer follows the sequence
            {
                "sequence": 2,
                "step_name": "Create person",
                "status": "Error",
                "attempt": 3,
                "exchanges": [failing],
                "message": "The connector's API answered HTTP 500: Server Exploded",
            },
            {
                "sequence": 1,
                "step_name": "List contacts",
                "exchanges": [listing],
                "output": {"Email": "Ann@Example.com", "Count": 1},
            },
        ],
    )
    path = f"/v1.0/cycles/{orders}/transactions/{transaction_id}"
    summary = reports.acme.get(f"{path}/summary")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["Id"], body["Status"], body["CycleName"]) == (transaction_id, "Errored", "Orders")
    assert (body["StepCount"], body["StepDataPurged"]) == (2, False)
    assert "Steps" not in body
    # Cyclr answers the step items as an array, not an object holding them.
    detail = reports.acme.get(path)
    assert detail.status_code == 200, detail.text
    assert detail.json() == [
        {
            "Sequence": 1,
            "StepId": "step-2",
            "StepName": "List contacts",
            "Status": "Success",
            "Attempt": 1,
            "StartedOnUtc": "2026-03-01T12:00:02Z",
            "DurationMs": 12.5,
            "Exchanges": [listing],
            "Output": {"Email": "Ann@Example.com", "Count": 1},
            "Message": None,
        },
        {
            "Sequence": 2,
            "StepId": "step-1",
            "StepName": "Create person",
            "Status": "Error",
            "Attempt": 3,
            "StartedOnUtc": "2026-03-01T12:00:01Z",
            "DurationMs": 12.5,
            "Exchanges": [failing],
            "Output": None,
            "Message": "The connector's API answered HTTP 500: Server Exploded",
        },
    ]

    def found(text: str) -> list[str]:
        response = reports.acme.get(path, params={"query": text})
        assert response.status_code == 200, response.text
        return [step["StepName"] for step in response.json()]

    assert found("ann@example.COM") == ["List contacts"]  # output and exchange, any case
    assert found("exploded") == ["Create person"]  # message and response body
    assert found("[redacted]") == ["List contacts"]
    assert found("https://") == ["List contacts", "Create person"]
    assert found("nowhere to be seen") == []
    assert found("") == ["List contacts", "Create person"]

    # Only in its own cycle and account.
    for client, wrong in (
        (reports.acme, f"/v1.0/cycles/{invoices}/transactions/{transaction_id}"),
        (reports.acme, f"/v1.0/cycles/{orders}/transactions/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"),
    ):
        for each in (wrong, f"{wrong}/summary"):
            response = client.get(each)
            assert response.status_code == 404, response.text
            assert "No transaction with Id" in response.json()["Message"]
    assert reports.other.get(path).status_code == 404
    assert reports.other.get(f"{path}/summary").status_code == 404
