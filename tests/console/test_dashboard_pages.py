"""The overview: the last day's transactions by hour and status, the error rate, the oldest
due work, the day's incidents and the cycles paused after repeated errors."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from junction.cycles.models import Cycle
from junction.engine.transactions import Status, insert_rows, new_row
from tests.fixtures.server import Junction
from tests.reports import seed

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _account_and_cycle(junction: Junction) -> str:
    token = junction.token()
    with junction.http(token) as partner:
        created = partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme Ltd"})
        assert created.status_code == 200, created.text
    with junction.http(token, account="acme") as acme:
        cycle = acme.post("/v1.0/cycles", json={"Name": "Contacts to CRM"})
        assert cycle.status_code == 201, cycle.text
        cycle_id: str = cycle.json()["Id"]
    return cycle_id


def _paused_for_errors(junction: Junction, cycle_id: str, errors: int) -> None:
    async def write() -> None:
        async with junction.services.database.transaction() as session:
            # What the engine leaves when it pauses a cycle at the limit: its run of errors.
            await session.execute(
                update(Cycle)
                .where(Cycle.id == cycle_id)
                .values(consecutive_errors=errors, stopped_at=NOW - timedelta(minutes=5))
            )

    junction.run(write())


def test_the_overview_counts_the_day_by_hour_and_status(
    junction: Junction, admin: httpx.Client
) -> None:
    junction.clock.now = NOW
    cycle_id = _account_and_cycle(junction)
    two_hours_ago = NOW.replace(minute=0) - timedelta(hours=2)  # 10:00
    for status in (Status.COMPLETED, Status.COMPLETED, Status.COMPLETED, Status.ERRORED):
        seed.transaction(
            junction, account_id="acme", cycle_id=cycle_id, created_at=two_hours_ago, status=status
        )
    # Outside the last 24 hours: not counted.
    seed.transaction(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        created_at=NOW - timedelta(hours=30),
        status=Status.ERRORED,
    )
    seed.transaction(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        created_at=NOW - timedelta(minutes=10),
        status=Status.QUEUED,
        due_at=NOW - timedelta(minutes=10),
    )
    seed.incident(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        level="Error",
        created_at=NOW - timedelta(hours=1),
        short_message="The CRM refused the contact",
    )
    _paused_for_errors(junction, cycle_id, junction.services.settings.consecutive_error_limit)

    page = admin.get("/console")
    assert page.status_code == 200, page.text
    text = page.text
    # The chart: an image with a title and a description of the figures.
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in text
    assert '<title id="chart-title">Transactions per hour by status' in text
    assert "5 transactions started since 13:00 UTC: Completed 3, Errored 1, Queued 1." in text
    assert "The busiest hour began at 10:00 with 4." in text
    # Three completed and one errored bars in the 10:00 slot.
    assert "10:00 Completed: 3" in text
    assert "10:00 Errored: 1" in text
    # The figures as a table: 24 hours, 10:00 with its counts.
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', text)
    assert len(rows) == 24
    assert rows[0] == "2026-02-28 13:00"
    assert rows[-1] == "2026-03-01 12:00"
    ten = re.search(r'<th scope="row">2026-03-01 10:00</th>((?:<td[^>]*>\d+</td>)+)', text)
    assert ten is not None
    assert re.findall(r">(\d+)<", ten.group(1)) == ["3", "1", "0", "0", "0", "0", "4"]
    # The error rate: errored of finished.
    assert "25.0%" in text
    assert '<a href="/console/runs?status=Errored">1 errored</a> of 4 finished' in text
    # The oldest due work.
    assert "has waited <strong>10 min</strong>" in text
    # The incident and the cycle paused after repeated errors, linked to their pages.
    assert "The CRM refused the contact" in text
    paused = text.split('id="paused"', 1)[1]
    assert 'href="/console/accounts/acme/cycles">Contacts to CRM</a>' in paused
    assert f'href="/console/runs?cycle={cycle_id}&amp;status=Errored"' in paused
    assert "25 errors in a row" in paused


def test_an_empty_overview_and_a_viewer(junction: Junction, viewer: httpx.Client) -> None:
    page = viewer.get("/console")
    assert page.status_code == 200
    assert "No transactions started in the last 24 hours." in page.text
    assert "Nothing is waiting." in page.text
    assert "No transaction finished." in page.text


def test_the_overview_stays_quick_with_thousands_of_rows(
    junction: Junction, admin: httpx.Client
) -> None:
    junction.clock.now = NOW
    cycle_id = _account_and_cycle(junction)
    statuses = [Status.COMPLETED] * 8 + [Status.ERRORED, Status.STOPPED]
    rows = []
    for n in range(5000):
        created = NOW - timedelta(minutes=n % (48 * 60))  # half of them older than a day
        row = new_row(
            account_id="acme",
            cycle_id=cycle_id,
            step_id=None,
            origin="Schedule",
            now=created,
            values={},
            status=statuses[n % len(statuses)],
        )
        row.update(due_at=None, started_at=created, ended_at=created)
        rows.append(row)

    async def write() -> None:
        async with junction.services.database.transaction() as session:
            await insert_rows(session, rows)

    junction.run(write())
    started = time.perf_counter()
    page = admin.get("/console")
    elapsed = time.perf_counter() - started
    assert page.status_code == 200
    # 24 hours of 60 minutes, from minute 0 to 1439 before 12:30, after 12:00 - 23 h.
    figures = re.search(r"(\d+) transactions started since 13:00 UTC", page.text)
    assert figures is not None
    in_window = sum(
        1
        for n in range(5000)
        if NOW - timedelta(minutes=n % 2880) >= datetime(2026, 2, 28, 13, tzinfo=UTC)
    )
    assert int(figures.group(1)) == in_window
    assert elapsed < 2, f"the overview took {elapsed:.2f} s"
