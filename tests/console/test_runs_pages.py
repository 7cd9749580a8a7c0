"""The console's Runs pages through HTTP: every account's transactions with their filters and
pages, one transaction's step data, incidents, and replaying one or many transactions after a
confirmation (an administrator's change, in the audit log; refused to a viewer)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from junction.engine.models import Transaction
from junction.engine.transactions import Status
from tests.console.support import csrf_of
from tests.fixtures.server import Junction
from tests.reports import seed
from tests.reports.conftest import T0

LINK = re.compile(r'href="/console/runs/([0-9a-f-]{36})"')

EXCHANGE = {
    "Method": "POST",
    "Url": "https://crm.example.com/contacts",
    "RequestHeaders": {"Authorization": "********", "Content-Type": "application/json"},
    "RequestBody": json.dumps({"email": "ann@example.com", "name": "Ann"}),
    "StatusCode": 422,
    "ResponseHeaders": {"Content-Type": "application/json"},
    "ResponseBody": json.dumps({"error": "email already taken"}),
    "DurationMs": 41.5,
    "Attempt": 1,
    "Error": None,
}


@dataclass
class Seeded:
    junction: Junction
    orders: str  # acme's cycle
    invoices: str  # acme's other cycle
    theirs: str  # other's cycle
    ids: dict[str, str]

    def add(self, status: Status, minutes: int, **changes: Any) -> str:
        changes.setdefault("cycle_id", self.orders)
        changes.setdefault("account_id", "acme")
        return seed.transaction(
            self.junction, created_at=T0 + timedelta(minutes=minutes), status=status, **changes
        )


def seed_runs(junction: Junction) -> Seeded:
    """Accounts acme (cycles Orders and Invoices) and other (Theirs), and a transaction in
    each ended status, one running. The clock is set just after them, so that the retention
    sweep (which may run at any moment) does not purge their step data as months old."""
    junction.clock.now = T0 + timedelta(hours=2)
    token = junction.token()
    partner = junction.http(token)
    for account_id in ("acme", "other"):
        created = partner.post("/v1.0/accounts", json={"Id": account_id, "Name": account_id})
        assert created.status_code == 200, created.text
    cycles = []
    for account_id, name in (("acme", "Orders"), ("acme", "Invoices"), ("other", "Theirs")):
        answer = junction.http(token, account=account_id).post("/v1.0/cycles", json={"Name": name})
        assert answer.status_code == 201, answer.text
        cycles.append(answer.json()["Id"])
    found = Seeded(junction, cycles[0], cycles[1], cycles[2], ids={})
    found.ids = {
        "errored": found.add(
            Status.ERRORED,
            0,
            message="Failed to call the method",
            steps=[
                {"output": {"Id": 7, "Name": "Ann"}},
                {"status": "Error", "message": "HTTP 422", "exchanges": [EXCHANGE]},
            ],
        ),
        "stopped": found.add(Status.STOPPED, 10, cycle_id=found.invoices),
        "completed": found.add(Status.COMPLETED, 20, step_id=None, steps=[{}]),
        "running": found.add(Status.RUNNING, 30),
        "theirs": found.add(Status.ERRORED, 40, account_id="other", cycle_id=found.theirs),
    }
    return found


@pytest.fixture
def seeded(junction: Junction) -> Seeded:
    return seed_runs(junction)


def listed(page: httpx.Response) -> set[str]:
    return set(LINK.findall(page.text))


def stored(junction: Junction, transaction_id: str) -> Transaction:
    async def read() -> Transaction:
        async with junction.services.database.transaction(read_only=True) as session:
            row = await session.get(Transaction, transaction_id)
            assert row is not None
            return row

    return junction.run(read())


def audit_of(junction: Junction) -> list[dict[str, Any]]:
    answer = junction.http(junction.token()).get(
        "/v1.0/audit", params={"targetKind": "transaction"}
    )
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


@pytest.fixture
def wakes(junction: Junction, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(junction.services.dispatcher, "wake", lambda: calls.append(1))
    return calls


def test_list_and_filters(seeded: Seeded, admin: httpx.Client) -> None:
    ids = seeded.ids
    everything = admin.get("/console/runs")
    assert everything.status_code == 200, everything.text
    assert listed(everything) == set(ids.values())
    # Newest first, with the cycle's name and account.
    order = [i for i in LINK.findall(everything.text)]
    assert order == [ids[k] for k in ("theirs", "running", "completed", "stopped", "errored")]
    assert "Orders" in everything.text
    assert "Theirs" in everything.text

    cases = {
        "account=other": {"theirs"},
        f"cycle={seeded.invoices}": {"stopped"},
        "status=Errored": {"errored", "theirs"},
        "account=acme&status=Errored": {"errored"},
        "after=2026-03-01T12:10&before=2026-03-01T12:30": {"stopped", "completed"},
        "account=acme&status=Stopped&after=2026-03-01T12:05": {"stopped"},
        "status=Queued": set(),
    }
    for query, wanted in cases.items():
        page = admin.get(f"/console/runs?{query}")
        assert page.status_code == 200, (query, page.text)
        assert listed(page) == {ids[k] for k in wanted}, query
    assert "No transactions match these filters" in admin.get("/console/runs?status=Queued").text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        pytest.param("status=Nope", "status", "'Nope' is not a status", id="status"),
        pytest.param("after=yesterday", "after", "'yesterday' is not a date", id="date"),
        pytest.param(
            "after=2026-03-02T00:00&before=2026-03-01T00:00",
            "before",
            "must be later than Created from",
            id="window",
        ),
        pytest.param("account=nobody", "account", "No account with Id", id="account"),
        pytest.param("cycle=nothing", "cycle", "No cycle with Id", id="cycle"),
    ],
)
def test_bad_filter_is_shown_beside_it(
    seeded: Seeded, admin: httpx.Client, query: str, field: str, message: str
) -> None:
    page = admin.get(f"/console/runs?{query}")
    assert page.status_code == 400, page.text
    assert f'id="f-{field}-error"' in page.text
    assert message in html.unescape(page.text)
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', page.text)
    # What was typed stays; nothing is listed under a filter that means nothing.
    assert listed(page) == set()


def test_pages_newest_first(junction: Junction, admin: httpx.Client) -> None:
    partner = junction.http(junction.token())
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "acme"}).is_success
    cycle = junction.http(junction.token(), account="acme").post(
        "/v1.0/cycles", json={"Name": "Bulk"}
    )
    made = [
        seed.transaction(
            junction,
            account_id="acme",
            cycle_id=cycle.json()["Id"],
            created_at=T0 + timedelta(seconds=n // 2),  # pairs share a time: the Id breaks ties
        )
        for n in range(53)
    ]
    first = admin.get("/console/runs?account=acme")
    shown = LINK.findall(first.text)
    assert len(shown) == 50
    older = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert older
    assert 'rel="prev"' not in first.text
    second = admin.get(older.group(1).replace("&amp;", "&"))
    rest = LINK.findall(second.text)
    assert len(rest) == 3
    assert not set(rest) & set(shown)
    assert set(shown) | set(rest) == set(made)
    assert "account=acme" in older.group(1)
    newer = re.search(r'rel="prev" href="([^"]+)"', second.text)
    assert newer
    again = admin.get(newer.group(1).replace("&amp;", "&"))
    assert LINK.findall(again.text) == shown


def test_transaction_page(seeded: Seeded, admin: httpx.Client) -> None:
    errored = seeded.ids["errored"]
    page = admin.get(f"/console/runs/{errored}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Orders" in text
    assert "Failed to call the method" in text
    assert "Schedule" in text
    assert "1. Step 1" in text
    assert "2. Step 2" in text
    assert "jn-runs-step-error" in text
    # The redacted request and the response, pretty-printed in collapsible parts.
    assert "<details><summary>Request</summary>" in text
    assert "&#34;email&#34;: &#34;ann@example.com&#34;" in text
    assert "&#34;error&#34;: &#34;email already taken&#34;" in text
    assert "********" in text
    assert "POST https://crm.example.com/contacts" in text
    assert "&#34;Name&#34;: &#34;Ann&#34;" in text  # step 1's output
    assert f'href="/console/runs/{errored}">Refresh' in text
    assert 'data-final="true"' in text
    assert admin.get("/console/runs/no-such-transaction").status_code == 404

    running = seeded.ids["running"]
    live = admin.get(f"/console/runs/{running}")
    assert 'data-final="false"' in live.text
    assert "console-runs.js" in live.text
    state = admin.get(f"/console/runs/{running}/state")
    assert state.json() == {"Id": running, "Status": "Running", "StepCount": 0, "Final": False}
    assert admin.get(f"/console/runs/{errored}/state").json()["Final"] is True


def test_replay_one(
    seeded: Seeded, admin: httpx.Client, wakes: list[int], junction: Junction
) -> None:
    errored = seeded.ids["errored"]
    page = admin.get(f"/console/runs/{errored}")
    assert f'href="/console/runs/replay?id={errored}"' in page.text
    confirm = admin.get(f"/console/runs/replay?id={errored}")
    assert confirm.status_code == 200
    assert errored in confirm.text
    assert "Replay 1 transaction" in confirm.text
    assert stored(junction, errored).status == "Errored"  # confirming changed nothing
    assert wakes == []

    done = admin.post("/console/runs/replay", data={"csrf": csrf_of(confirm), "id": errored})
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/console/runs/{errored}?notice=")
    assert stored(junction, errored).status == "Queued"
    assert wakes == [1]
    entries = audit_of(junction)
    assert [(e["Action"], e["TargetId"], e["Actor"]) for e in entries] == [
        ("transaction.replay", errored, "console:admin")
    ]
    assert (entries[0]["Before"], entries[0]["After"]) == (
        {"Status": "Errored"},
        {"Status": "Queued"},
    )


def test_replay_many(
    seeded: Seeded, admin: httpx.Client, wakes: list[int], junction: Junction
) -> None:
    ids = seeded.ids
    listing = admin.get("/console/runs")
    boxes = set(re.findall(r'type="checkbox" name="id" value="([^"]+)"', listing.text))
    assert boxes == {ids["errored"], ids["stopped"], ids["theirs"]}
    chosen = [ids["errored"], ids["theirs"], ids["completed"], ids["running"], "nothing-here"]
    confirm = admin.get("/console/runs/replay", params=[("id", i) for i in chosen])
    assert confirm.status_code == 200
    assert all(i in confirm.text for i in chosen)
    assert "No transaction has these Ids: nothing-here" in confirm.text

    done = admin.post("/console/runs/replay", data={"csrf": csrf_of(confirm), "id": chosen})
    assert done.status_code == 200, done.text
    assert "2 transactions" in done.text
    assert "It completed; only Errored or Stopped transactions can be replayed" in done.text
    assert "It is still in progress (Running)" in done.text
    assert "No transaction with this Id" in done.text
    assert [stored(junction, i).status for i in (ids["errored"], ids["theirs"])] == [
        "Queued",
        "Queued",
    ]
    assert wakes == [1]
    assert {e["TargetId"] for e in audit_of(junction)} == {ids["errored"], ids["theirs"]}

    nothing = admin.get("/console/runs/replay")
    assert nothing.status_code == 303
    assert "notice=" in nothing.headers["location"]


def test_viewer_cannot_replay(
    seeded: Seeded, viewer: httpx.Client, wakes: list[int], junction: Junction
) -> None:
    errored = seeded.ids["errored"]
    listing = viewer.get("/console/runs")
    assert listing.status_code == 200
    assert errored in listing.text
    assert 'type="checkbox"' not in listing.text
    assert "Replay selected" not in listing.text
    page = viewer.get(f"/console/runs/{errored}")
    assert "/console/runs/replay" not in page.text
    assert viewer.get(f"/console/runs/replay?id={errored}").status_code == 403
    refused = viewer.post("/console/runs/replay", data={"csrf": csrf_of(listing), "id": errored})
    assert refused.status_code == 403
    assert stored(junction, errored).status == "Errored"
    assert wakes == []
    assert audit_of(junction) == []


def test_incidents(seeded: Seeded, admin: httpx.Client) -> None:
    j = seeded.junction
    errored = seeded.ids["errored"]
    mine = seed.incident(
        j,
        account_id="acme",
        cycle_id=seeded.orders,
        level="Error",
        created_at=T0 + timedelta(minutes=1),
        transaction_id=errored,
    )
    warned = seed.incident(
        j,
        account_id="acme",
        cycle_id=seeded.invoices,
        level="Warning",
        created_at=T0 + timedelta(minutes=2),
        short_message="Slow answer",
    )
    theirs = seed.incident(
        j, account_id="other", cycle_id=seeded.theirs, level="Error", created_at=T0
    )
    del mine, warned, theirs
    page = admin.get("/console/runs/incidents")
    assert page.status_code == 200, page.text
    assert page.text.index("Slow answer") < page.text.index("Failed to call the method")
    assert f'href="/console/runs/{errored}"' in page.text
    assert page.text.count("<tr>") == 4  # the header and three incidents

    assert admin.get("/console/runs/incidents?account=other").text.count("<tr>") == 2
    by_cycle = admin.get(f"/console/runs/incidents?cycle={seeded.invoices}")
    assert by_cycle.text.count("<tr>") == 2
    assert "Slow answer" in by_cycle.text
    assert admin.get("/console/runs/incidents?level=Error").text.count("<tr>") == 3
    bad = admin.get("/console/runs/incidents?level=Loud")
    assert bad.status_code == 400
    assert "'Loud' is not a level" in html.unescape(bad.text)
