"""``junction accounts``, ``cycles`` and ``transactions``: against a live server's database,
the same answers as the API, filters, and one clear line for every bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from junction.engine.transactions import Status
from tests.cli.operator import Operator
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail
from tests.reports import seed
from tests.reports.conftest import T0, Reports, reports

__all__ = ["reports"]


@pytest.fixture
def operator(junction: Junction) -> Operator:
    return Operator(junction)


# -- accounts --------------------------------------------------------------------------


def test_accounts_list_and_search(reports: Reports, operator: Operator) -> None:
    for account_id, name in (("globex", "Globex"), ("acme-eu", "ACME Europe"), ("pct", "100%")):
        created = reports.partner.post("/v1.0/accounts", json={"Id": account_id, "Name": name})
        assert created.status_code == 200, created.text
    listed = operator.json("accounts", "list")
    # Oldest first, then by Id (the test clock stands still).
    assert [a["Id"] for a in listed] == ["acme", "acme-eu", "globex", "other", "pct"]
    api = reports.partner.get("/v1.0/accounts", params={"pageSize": 50}).json()
    assert listed == sorted(api, key=lambda a: [a["CreatedDate"], a["Id"]])

    assert [a["Id"] for a in operator.json("accounts", "list", "--search", "AcMe")] == [
        "acme",
        "acme-eu",
    ]
    # Wildcards of SQL are plain characters in a search.
    assert [a["Id"] for a in operator.json("accounts", "list", "--search", "%")] == ["pct"]
    assert operator.json("accounts", "list", "--search", "_") == []
    assert [a["Id"] for a in operator.json("accounts", "list", "--limit", "2")] == [
        "acme",
        "acme-eu",
    ]

    table = operator("accounts", "list", "--search", "europe")
    assert "ACME Europe" in table
    assert "Globex" not in table


# -- cycles ----------------------------------------------------------------------------


@pytest.fixture
def two_cycles(reports: Reports) -> dict[str, str]:
    orders = reports.cycle("Orders")
    reports.junction.clock.advance(timedelta(seconds=1))  # listed oldest first
    return {"orders": orders, "theirs": reports.cycle("Theirs", reports.other)}


def test_cycles_list_as_the_api_shows_them(
    reports: Reports, operator: Operator, two_cycles: dict[str, str]
) -> None:
    listed = operator.json("cycles", "list")
    assert [(c["Id"], c["AccountId"]) for c in listed] == [
        (two_cycles["orders"], "acme"),
        (two_cycles["theirs"], "other"),
    ]
    api = reports.acme.get(f"/v1.0/cycles/{two_cycles['orders']}").json()
    api.pop("Webhooks")
    mine = {k: v for k, v in listed[0].items() if k not in ("AccountId", "Webhooks")}
    assert mine == api

    assert [c["Name"] for c in operator.json("cycles", "list", "--account", "other")] == ["Theirs"]
    assert len(operator.json("cycles", "list", "--status", "paused")) == 2
    assert operator.json("cycles", "list", "--status", "Active") == []
    table = operator("cycles", "list")
    assert all(text in table for text in ("Orders", "Theirs", two_cycles["orders"]))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param(
            ("cycles", "list", "--status", "Running"),
            "error: --status: 'Running' is not one of Active, Paused",
            id="list-bad-status",
        ),
        pytest.param(
            ("cycles", "list", "--account", "nobody"),
            "error: --account: No account with Id 'nobody'",
            id="list-unknown-account",
        ),
        pytest.param(
            ("cycles", "pause", "no-such-cycle"),
            "error: No cycle with Id 'no-such-cycle'",
            id="pause-unknown",
        ),
        pytest.param(
            ("cycles", "activate", "no-such-cycle"),
            "error: No cycle with Id 'no-such-cycle'",
            id="activate-unknown",
        ),
        pytest.param(
            ("cycles", "activate", "x", "--start-time", "tomorrow"),
            "error: --start-time: 'tomorrow' is not a date or date and time in ISO 8601 "
            "(e.g. 2026-03-01 or 2026-03-01T12:00:00Z)",
            id="activate-bad-start-time",
        ),
    ],
)
def test_cycles_bad_input(
    operator: Operator, two_cycles: dict[str, str], args: tuple[str, ...], line: str
) -> None:
    assert operator.error(*args) == line


def test_activate_with_an_interval_not_offered(
    reports: Reports, operator: Operator, two_cycles: dict[str, str]
) -> None:
    line = operator.error("cycles", "activate", two_cycles["orders"], "--interval", "7")
    assert line == (
        "error: --interval: 7 is not allowed; use one of "
        "1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080"
    )
    assert reports.acme.get(f"/v1.0/cycles/{two_cycles['orders']}").json()["Status"] == "Paused"


def test_a_cycle_with_unmet_prerequisites_stays_paused(
    reports: Reports, operator: Operator, two_cycles: dict[str, str]
) -> None:
    line = operator.error("cycles", "activate", two_cycles["orders"])
    assert line.startswith("error: The cycle cannot be activated yet: "), line
    assert reports.acme.get(f"/v1.0/cycles/{two_cycles['orders']}").json()["Status"] == "Paused"


# -- transactions ----------------------------------------------------------------------


@pytest.fixture
def stored(reports: Reports, two_cycles: dict[str, str]) -> dict[str, str]:
    j = reports.junction

    def add(status: Status, minutes: int, **changes: Any) -> str:
        changes.setdefault("cycle_id", two_cycles["orders"])
        changes.setdefault("account_id", "acme")
        # Made months before the server's clock: without a purge time of its own, the
        # server's retention upkeep would purge an ended one at any moment of the test.
        changes.setdefault("purge_after", j.clock() + timedelta(days=30))
        return seed.transaction(
            j, created_at=T0 + timedelta(minutes=minutes), status=status, **changes
        )

    return {
        **two_cycles,
        "errored": add(
            Status.ERRORED,
            0,
            message="Failed to call the method",
            steps=[{}, {"status": "Error", "message": "HTTP 500"}],
        ),
        "stopped": add(Status.STOPPED, 1, message="Transaction Stopped"),
        "completed": add(Status.COMPLETED, 2, step_id=None),
        "running": add(Status.RUNNING, 3),
        "their_errored": add(
            Status.ERRORED, 4, account_id="other", cycle_id=two_cycles["theirs"], message="x"
        ),
    }


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["Id"] for item in items]


def test_transactions_list_and_filters(
    reports: Reports, operator: Operator, stored: dict[str, str]
) -> None:
    s = stored
    newest_first = [s["their_errored"], s["running"], s["completed"], s["stopped"], s["errored"]]
    listed = operator.json("transactions", "list")
    assert ids(listed) == newest_first
    # The API's answer, plus the account (the command spans accounts).
    api = reports.acme.get("/v1.0/cycles/transactions").json()
    assert [{k: v for k, v in t.items() if k != "AccountId"} for t in listed[1:]] == api
    assert {t["AccountId"] for t in listed} == {"acme", "other"}

    def filtered(*args: str) -> list[str]:
        return ids(operator.json("transactions", "list", *args))

    assert filtered("--account", "other") == [s["their_errored"]]
    assert filtered("--cycle", s["orders"]) == newest_first[1:]
    assert filtered("--account", "acme", "--cycle", s["orders"], "--status", "errored") == [
        s["errored"]
    ]
    assert filtered("--status", "Errored") == [s["their_errored"], s["errored"]]
    # after: inclusive, before: exclusive; no offset means UTC.
    assert filtered("--after", "2026-03-01T12:01:00", "--before", "2026-03-01T12:03:00Z") == [
        s["completed"],
        s["stopped"],
    ]
    assert filtered("--after", "2026-03-01T13:01:00+01:00") == newest_first[:4]
    assert filtered("--limit", "2") == newest_first[:2]

    table = operator("transactions", "list", "--status", "Stopped")
    assert all(text in table for text in (s["stopped"], "Transaction Stopped"))
    assert s["errored"] not in table


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param(
            ("--status", "Failed"),
            "error: --status: 'Failed' is not one of Queued, Running, Waiting, Completed, "
            "Errored, Stopped",
            id="bad-status",
        ),
        pytest.param(
            ("--after", "2026-13-01"),
            "error: --after: '2026-13-01' is not a date or date and time in ISO 8601 "
            "(e.g. 2026-03-01 or 2026-03-01T12:00:00Z)",
            id="bad-after",
        ),
        pytest.param(
            ("--after", "2026-03-02", "--before", "2026-03-01"),
            "error: --before: must be later than --after",
            id="before-not-after-after",
        ),
        pytest.param(
            ("--account", "nobody"), "error: --account: No account with Id 'nobody'", id="account"
        ),
        pytest.param(
            ("--cycle", "nothing"), "error: --cycle: No cycle with Id 'nothing'", id="cycle"
        ),
    ],
)
def test_transactions_list_bad_input(
    operator: Operator, stored: dict[str, str], args: tuple[str, ...], line: str
) -> None:
    assert operator.error("transactions", "list", *args) == line


def test_transactions_list_of_a_cycle_of_another_account(
    operator: Operator, stored: dict[str, str]
) -> None:
    line = operator.error("transactions", "list", "--account", "acme", "--cycle", stored["theirs"])
    assert line == f"error: --cycle: No cycle with Id '{stored['theirs']}' in this account"


def test_transactions_show(reports: Reports, operator: Operator, stored: dict[str, str]) -> None:
    shown = operator.json("transactions", "show", stored["errored"])
    api = transaction_detail(reports.acme, stored["orders"], stored["errored"])
    assert shown == {**api, "AccountId": "acme"}
    assert [step["Status"] for step in shown["Steps"]] == ["Success", "Error"]
    only = operator.json("transactions", "show", stored["errored"], "--query", "http 500")
    assert [step["Sequence"] for step in only["Steps"]] == [2]

    text = operator("transactions", "show", stored["errored"])
    assert all(part in text for part in ("Failed to call the method", "HTTP 500", "Step 2"))
    assert operator.error("transactions", "show", "nope") == "error: No transaction with Id 'nope'"


def status_of(reports: Reports, cycle_id: str, transaction_id: str, client: Any = None) -> str:
    got = (client or reports.acme).get(
        f"/v1.0/cycles/{cycle_id}/transactions/{transaction_id}/summary"
    )
    assert got.status_code == 200, got.text
    status: str = got.json()["Status"]
    return status


def test_replay_by_ids(reports: Reports, operator: Operator, stored: dict[str, str]) -> None:
    s = stored
    # The cycles are Paused: what is replayed stays Queued, for the test to see.
    answer = operator.json("transactions", "replay", s["errored"], s["their_errored"])
    assert answer == {"Replayed": [s["errored"], s["their_errored"]], "NotReplayed": []}
    assert status_of(reports, s["orders"], s["errored"]) == "Queued"
    assert status_of(reports, s["theirs"], s["their_errored"], reports.other) == "Queued"

    text = operator("transactions", "replay", s["stopped"])
    assert text.startswith("Queued 1 transaction(s) again; a running `junction "), text
    assert status_of(reports, s["orders"], s["stopped"]) == "Queued"


def test_replay_refused_names_each_reason(
    reports: Reports, operator: Operator, stored: dict[str, str]
) -> None:
    s = stored
    answer = operator.json("transactions", "replay", s["completed"], s["errored"], "nope", code=1)
    assert answer == {
        "Replayed": [s["errored"]],
        "NotReplayed": [
            {
                "Id": s["completed"],
                "Reason": "It completed; only Errored or Stopped transactions can be replayed",
            },
            {"Id": "nope", "Reason": "No transaction with this Id in the account"},
        ],
    }
    assert status_of(reports, s["orders"], s["completed"]) == "Completed"
    line = operator.error("transactions", "replay", s["running"])
    assert line == (
        f"not replayed: {s['running']}: It is still in progress (Running); only ended "
        "transactions can be replayed"
    )


def test_replay_a_cycles_stopped(
    reports: Reports, operator: Operator, stored: dict[str, str]
) -> None:
    s = stored
    answer = operator.json("transactions", "replay", "--cycle", s["orders"], "--status", "stopped")
    assert answer == {"Replayed": [s["stopped"]], "NotReplayed": []}
    assert status_of(reports, s["orders"], s["errored"]) == "Errored"
    assert operator.json("transactions", "replay", "--cycle", s["orders"])["Replayed"] == [
        s["errored"]
    ]
    assert operator("transactions", "replay", "--cycle", s["orders"]) == "Nothing to replay.\n"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param((), "error: give transaction Ids or --cycle, not both", id="nothing"),
        pytest.param(
            ("some-id", "--cycle", "c"),
            "error: give transaction Ids or --cycle, not both",
            id="both",
        ),
        pytest.param(
            ("--cycle", "c", "--status", "Completed"),
            "error: --status: 'Completed' cannot be replayed; use Errored or Stopped",
            id="status-not-replayable",
        ),
        pytest.param(
            ("--cycle", "c", "--status", "Broken"),
            "error: --status: 'Broken' is not one of Queued, Running, Waiting, Completed, "
            "Errored, Stopped",
            id="bad-status",
        ),
        pytest.param(("--cycle", "c"), "error: --cycle: No cycle with Id 'c'", id="unknown-cycle"),
    ],
)
def test_replay_bad_input(
    reports: Reports,
    operator: Operator,
    stored: dict[str, str],
    args: tuple[str, ...],
    line: str,
) -> None:
    assert operator.error("transactions", "replay", *args) == line
    # Nothing changed.
    assert status_of(reports, stored["orders"], stored["errored"]) == "Errored"
