"""Incidents: account-wide by level, per cycle, and deleting a cycle's incidents."""

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
def raised(reports: Reports) -> dict[str, str]:
    """Orders: e1, w1, e2 (an hour apart); Invoices: e3; the other account: x1."""
    orders, invoices = reports.cycle("Orders"), reports.cycle("Invoices")
    theirs = reports.cycle("Theirs", reports.other)
    j = reports.junction
    failed = seed.transaction(
        j,
        account_id="acme",
        cycle_id=orders,
        created_at=T0,
        status=Status.ERRORED,
        error_count=2,
        warning_count=1,
    )

    def at(hours: int) -> Any:
        return T0 + timedelta(hours=hours)

    return {
        "orders": orders,
        "invoices": invoices,
        "theirs": theirs,
        "failed": failed,
        "e1": seed.incident(
            j,
            account_id="acme",
            cycle_id=orders,
            level="Error",
            created_at=at(0),
            transaction_id=failed,
        ),
        "w1": seed.incident(
            j,
            account_id="acme",
            cycle_id=orders,
            level="Warning",
            created_at=at(1),
            short_message="Trigger Skipped",
        ),
        "e2": seed.incident(j, account_id="acme", cycle_id=orders, level="Error", created_at=at(2)),
        "e3": seed.incident(
            j, account_id="acme", cycle_id=invoices, level="Error", created_at=at(3)
        ),
        "x1": seed.incident(
            j, account_id="other", cycle_id=theirs, level="Error", created_at=at(1)
        ),
    }


def test_account_errors_and_warnings(reports: Reports, raised: dict[str, str]) -> None:
    errors = reports.acme.get("/v1.0/cycles/incidents/error")
    assert ids(errors) == [raised[k] for k in ("e3", "e2", "e1")]
    assert errors.headers["Total-Records"] == "3"
    assert errors.json()[2] == {
        "Id": raised["e1"],
        "CycleId": raised["orders"],
        "CycleName": "Orders",
        "IncidentLevel": "Error",
        "ShortMessage": "Failed to call the method",
        "FullMessage": "Failed to call the method: HTTP 500",
        "StepId": "step-1",
        "StepName": "Step 1",
        "TransactionId": raised["failed"],
        "CreatedOnUtc": "2026-03-01T12:00:00Z",
    }
    assert errors.json()[0]["CycleName"] == "Invoices"
    warnings = reports.acme.get("/v1.0/cycles/incidents/Warning")
    assert ids(warnings) == [raised["w1"]]
    assert warnings.json()[0]["ShortMessage"] == "Trigger Skipped"
    assert ids(reports.other.get("/v1.0/cycles/incidents/error")) == [raised["x1"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"sortOrderAsc": "true"}, ["e1", "e2", "e3"], id="oldest-first"),
        pytest.param({"after": "2026-03-01T14:00:00Z"}, ["e3", "e2"], id="after"),
        pytest.param({"before": "2026-03-01T14:00:00Z"}, ["e1"], id="before"),
        pytest.param({"pageSize": "2", "page": "2"}, ["e1"], id="paged"),
    ],
)
def test_account_errors_filtered(
    reports: Reports, raised: dict[str, str], query: dict[str, str], expected: list[str]
) -> None:
    response = reports.acme.get("/v1.0/cycles/incidents/error", params=query)
    assert ids(response) == [raised[k] for k in expected]


def test_unknown_level_is_refused(reports: Reports, raised: dict[str, str]) -> None:
    for path in (
        "/v1.0/cycles/incidents/fatal",
        f"/v1.0/cycles/{raised['orders']}/incidents?level=fatal",
    ):
        response = reports.acme.get(path)
        assert response.status_code == 400, response.text
        assert response.json()["Message"] == (
            "level: 'fatal' is not an incident level; use Error or Warning"
        )


def test_one_cycles_incidents(reports: Reports, raised: dict[str, str]) -> None:
    path = f"/v1.0/cycles/{raised['orders']}/incidents"
    assert ids(reports.acme.get(path)) == [raised[k] for k in ("e2", "w1", "e1")]
    assert ids(reports.acme.get(path, params={"level": "warning"})) == [raised["w1"]]
    assert ids(reports.acme.get(path, params={"level": "Error", "sortOrderAsc": True})) == [
        raised["e1"],
        raised["e2"],
    ]
    assert reports.acme.get(f"/v1.0/cycles/{raised['theirs']}/incidents").status_code == 404


def test_delete_a_cycles_incidents_leaves_transactions(
    reports: Reports, raised: dict[str, str]
) -> None:
    refused = reports.acme.delete(f"/v1.0/cycles/{raised['theirs']}/incidents")
    assert refused.status_code == 404, refused.text
    assert ids(reports.other.get("/v1.0/cycles/incidents/error")) == [raised["x1"]]

    deleted = reports.acme.delete(f"/v1.0/cycles/{raised['orders']}/incidents")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"Message": "3 incident(s) deleted.", "Deleted": 3}
    assert reports.acme.get(f"/v1.0/cycles/{raised['orders']}/incidents").json() == []
    assert ids(reports.acme.get("/v1.0/cycles/incidents/error")) == [raised["e3"]]
    (transaction,) = reports.acme.get(f"/v1.0/cycles/{raised['orders']}/transactions").json()
    assert (transaction["Id"], transaction["Status"]) == (raised["failed"], "Errored")
    assert (transaction["ErrorCount"], transaction["WarningCount"]) == (2, 1)

    again = reports.acme.delete(f"/v1.0/cycles/{raised['orders']}/incidents")
    assert again.json()["Deleted"] == 0
