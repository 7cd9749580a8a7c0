"""Replaying ended transactions (a Junction extension)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from junction.engine.models import Transaction
from junction.engine.transactions import Status
from tests.fixtures.server import Junction
from tests.reports import seed
from tests.reports.conftest import T0, Reports


def stored(junction: Junction, transaction_id: str) -> Transaction:
    async def read() -> Transaction:
        async with junction.services.database.transaction(read_only=True) as session:
            row = await session.get(Transaction, transaction_id)
            assert row is not None
            return row

    return junction.run(read())


@pytest.fixture
def wakes(reports: Reports, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(reports.junction.services.dispatcher, "wake", lambda: calls.append(1))
    return calls


@pytest.fixture
def ended(reports: Reports) -> dict[str, str]:
    orders = reports.cycle("Orders")
    theirs = reports.cycle("Theirs", reports.other)
    j = reports.junction

    def add(status: Status, minutes: int, **changes: Any) -> str:
        changes.setdefault("cycle_id", orders)
        changes.setdefault("account_id", "acme")
        return seed.transaction(
            j, created_at=T0 + timedelta(minutes=minutes), status=status, **changes
        )

    return {
        "orders": orders,
        "errored": add(Status.ERRORED, 0, message="Failed to call the method", attempt=2),
        "stopped": add(Status.STOPPED, 1, message="Transaction Stopped"),
        "completed": add(Status.COMPLETED, 2, step_id=None),
        "running": add(Status.RUNNING, 3),
        "purged": add(Status.ERRORED, 4, purged_at=T0 + timedelta(days=40)),
        "theirs": add(Status.ERRORED, 5, account_id="other", cycle_id=theirs),
    }


def test_replay_one(reports: Reports, ended: dict[str, str], wakes: list[int]) -> None:
    path = f"/v1.0/cycles/{ended['orders']}/transactions/{ended['errored']}/replay"
    replayed = reports.acme.post(path)
    assert replayed.status_code == 200, replayed.text
    body = replayed.json()
    assert (body["Id"], body["Status"], body["CurrentStepId"]) == (
        ended["errored"],
        "Queued",
        "step-2",
    )
    assert (body["EndedOnUtc"], body["Message"]) == (None, None)
    row = stored(reports.junction, ended["errored"])
    assert (row.status, row.due_at, row.attempt) == ("Queued", reports.junction.clock(), 0)
    assert wakes == [1]

    again = reports.acme.post(path)
    assert again.status_code == 409, again.text
    assert "still in progress (Queued)" in again.json()["Message"]
    assert wakes == [1]


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("completed", "It completed; only Errored or Stopped transactions can be replayed"),
        ("running", "It is still in progress (Running); only ended transactions can be replayed"),
        ("purged", "Its step data was purged (retention), so it cannot resume"),
    ],
)
def test_replay_one_refused(
    reports: Reports, ended: dict[str, str], wakes: list[int], which: str, reason: str
) -> None:
    response = reports.acme.post(
        f"/v1.0/cycles/{ended['orders']}/transactions/{ended[which]}/replay"
    )
    assert response.status_code == 409, response.text
    assert response.json() == {
        "Message": f"Transaction '{ended[which]}' cannot be replayed: {reason}"
    }
    before = stored(reports.junction, ended[which]).status
    assert before == {"completed": "Completed", "running": "Running", "purged": "Errored"}[which]
    assert wakes == []


def test_replay_one_of_another_account(reports: Reports, ended: dict[str, str]) -> None:
    response = reports.acme.post(
        f"/v1.0/cycles/{ended['orders']}/transactions/{ended['theirs']}/replay"
    )
    assert response.status_code == 404, response.text
    assert stored(reports.junction, ended["theirs"]).status == "Errored"


def test_replay_many_reports_each(
    reports: Reports, ended: dict[str, str], wakes: list[int]
) -> None:
    asked = ["stopped", "completed", "running", "purged", "theirs", "errored", "stopped"]
    response = reports.acme.post(
        "/v1.0/cycles/transactions/replay",
        json={
            "TransactionIds": [ended[k] for k in asked[:4]]
            + ["nope"]
            + [ended[k] for k in asked[4:]]
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Replayed": [ended["stopped"], ended["errored"]],
        "NotReplayed": [
            {
                "Id": ended["completed"],
                "Reason": "It completed; only Errored or Stopped transactions can be replayed",
            },
            {
                "Id": ended["running"],
                "Reason": "It is still in progress (Running); only ended "
                "transactions can be replayed",
            },
            {
                "Id": ended["purged"],
                "Reason": "Its step data was purged (retention), so it cannot resume",
            },
            {"Id": "nope", "Reason": "No transaction with this Id in the account"},
            {"Id": ended["theirs"], "Reason": "No transaction with this Id in the account"},
        ],
    }
    assert stored(reports.junction, ended["stopped"]).status == "Queued"
    assert stored(reports.junction, ended["theirs"]).status == "Errored"
    assert wakes == [1]


def test_replay_a_cycles_errored_or_stopped(
    reports: Reports, ended: dict[str, str], wakes: list[int]
) -> None:
    errored = reports.acme.post(
        "/v1.0/cycles/transactions/replay", json={"CycleId": ended["orders"]}
    )
    assert errored.status_code == 200, errored.text
    # The purged one is not even tried.
    assert errored.json() == {"Replayed": [ended["errored"]], "NotReplayed": []}
    stopped = reports.acme.post(
        "/v1.0/cycles/transactions/replay", json={"CycleId": ended["orders"], "Status": "Stopped"}
    )
    assert stopped.json() == {"Replayed": [ended["stopped"]], "NotReplayed": []}
    nothing = reports.acme.post(
        "/v1.0/cycles/transactions/replay", json={"CycleId": ended["orders"]}
    )
    assert nothing.json() == {"Replayed": [], "NotReplayed": []}
    assert wakes == [1, 1]
    statuses = {
        item["Id"]: item["Status"]
        for item in reports.acme.get(f"/v1.0/cycles/{ended['orders']}/transactions").json()
    }
    assert statuses == {
        ended["errored"]: "Queued",
        ended["stopped"]: "Queued",
        ended["completed"]: "Completed",
        ended["running"]: "Running",
        ended["purged"]: "Errored",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({}, "give either TransactionIds or CycleId", id="neither"),
        pytest.param(
            {"TransactionIds": ["a"], "CycleId": "b"},
            "give either TransactionIds or CycleId",
            id="both",
        ),
        pytest.param({"TransactionIds": []}, "TransactionIds: List should have at least 1"),
        pytest.param({"CycleId": "x", "Status": "Completed"}, "Status: Input should be"),
        pytest.param({"Ids": ["x"]}, "Ids: unknown field"),
    ],
)
def test_replay_bad_bodies(reports: Reports, body: dict[str, Any], message: str) -> None:
    response = reports.acme.post("/v1.0/cycles/transactions/replay", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["Message"]


def test_replay_another_accounts_cycle(reports: Reports, ended: dict[str, str]) -> None:
    theirs = reports.other.get("/v1.0/cycles").json()[0]["Id"]
    for cycle_id in (theirs, "no-such-cycle"):
        response = reports.acme.post("/v1.0/cycles/transactions/replay", json={"CycleId": cycle_id})
        # The same answer as for a cycle that exists nowhere, naming the field at fault.
        assert response.status_code == 400, response.text
        assert response.json() == {
            "Message": f"CycleId: No cycle with Id '{cycle_id}' in this account"
        }
    assert stored(reports.junction, ended["theirs"]).status == "Errored"


def test_replay_is_marked_as_an_extension(reports: Reports) -> None:
    paths = reports.acme.get("/openapi.json").json()["paths"]
    for path in (
        "/v1.0/cycles/transactions/replay",
        "/v1.0/cycles/{cycle_id}/transactions/{transaction_id}/replay",
    ):
        assert paths[path]["post"]["description"].startswith("Junction extension.")
    assert "Junction extension" not in paths["/v1.0/cycles/transactions"]["get"]["description"]
