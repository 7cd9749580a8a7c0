"""The retention pass: when step data goes, and what stays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.db.engine import Database
from junction.engine.models import SeenItem, StepRun, Transaction
from junction.engine.transactions import Status
from junction.reports.retention import purge_step_data
from junction.settings import Settings
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail
from tests.reports import seed
from tests.reports.conftest import T0, Reports

ENDED_AT = T0 + timedelta(minutes=1)  # seed.transaction ends them a minute in


def console(junction: Junction, success: int = 10, errored: int = 20) -> Settings:
    return junction.services.settings.model_copy(
        update={
            "step_data_success_retention_hours": success,
            "step_data_errored_retention_hours": errored,
        }
    )


def purge(junction: Junction, settings: Settings, now: datetime, **kwargs: Any) -> int:
    database = kwargs.pop("database", junction.services.database)
    return junction.run(purge_step_data(database=database, settings=settings, now=now, **kwargs))


def state(junction: Junction) -> dict[str, dict[str, Any]]:
    """Each transaction's purge times, values, payload and number of step data rows."""

    async def read() -> dict[str, dict[str, Any]]:
        async with junction.services.database.transaction(read_only=True) as session:
            steps = dict(
                (
                    await session.execute(
                        select(StepRun.transaction_id, func.count()).group_by(
                            StepRun.transaction_id
                        )
                    )
                ).all()
            )
            rows = await session.scalars(select(Transaction))
            return {
                row.id: {
                    "purge_after": row.purge_after,
                    "purged_at": row.purged_at,
                    "values": row.values,
                    "payload": row.payload,
                    "steps": steps.get(row.id, 0),
                }
                for row in rows
            }

    return junction.run(read())


def add(reports: Reports, cycle_id: str, status: Status, account_id: str = "acme") -> str:
    return seed.transaction(
        reports.junction,
        account_id=account_id,
        cycle_id=cycle_id,
        created_at=T0,
        status=status,
        steps=[{"output": {"Email": "ann@example.com"}}, {}],
        payload={"webhook": "body"},
    )


def set_cycle(reports: Reports, cycle_id: str, client: Any = None, **hours: int | None) -> None:
    changed = (client or reports.acme).put(f"/v1.0/cycles/{cycle_id}", json=hours)
    assert changed.status_code == 200, changed.text


def set_account(reports: Reports, account_id: str, **hours: int | None) -> None:
    changed = reports.partner.put(f"/v1.0/accounts/{account_id}", json=hours)
    assert changed.status_code == 200, changed.text


def test_precedence_cycle_then_account_then_console(reports: Reports) -> None:
    # acme: no account hours. other: account hours 3 / 4.
    set_account(reports, "other", StepDataSuccessRetentionHours=3, StepDataErroredRetentionHours=4)
    own = reports.cycle("Own hours")
    set_cycle(reports, own, StepDataSuccessRetentionHours=1, StepDataErroredRetentionHours=2)
    plain = reports.cycle("Console hours")
    theirs = reports.cycle("Account hours", reports.other)
    theirs_own = reports.cycle("Own success hours", reports.other)
    set_cycle(reports, theirs_own, reports.other, StepDataSuccessRetentionHours=5)

    expected_hours = {
        add(reports, own, Status.COMPLETED): 1,
        add(reports, own, Status.ERRORED): 2,
        add(reports, own, Status.STOPPED): 2,
        add(reports, theirs, Status.COMPLETED, "other"): 3,
        add(reports, theirs, Status.ERRORED, "other"): 4,
        add(reports, theirs_own, Status.COMPLETED, "other"): 5,
        add(reports, theirs_own, Status.STOPPED, "other"): 4,  # no cycle value: the account's
        add(reports, plain, Status.COMPLETED): 10,
        add(reports, plain, Status.ERRORED): 20,
    }
    settings = console(reports.junction)
    assert purge(reports.junction, settings, ENDED_AT) == 0
    scheduled = state(reports.junction)
    assert {i: scheduled[i]["purge_after"] - ENDED_AT for i in expected_hours} == {
        i: timedelta(hours=h) for i, h in expected_hours.items()
    }
    assert all(scheduled[i]["steps"] == 2 for i in expected_hours)

    # Due at its hour exactly, not before; each pass purges what has come due.
    purged_by: dict[int, set[str]] = {}
    for hours in (1, 2, 3, 4, 5, 10, 20):
        before = purge(reports.junction, settings, ENDED_AT + timedelta(hours=hours, seconds=-1))
        assert before == 0
        now = ENDED_AT + timedelta(hours=hours)
        count = purge(reports.junction, settings, now)
        after = state(reports.junction)
        purged_by[hours] = {i for i, row in after.items() if row["purged_at"] == now}
        assert count == len(purged_by[hours])
    assert purged_by == {
        h: {i for i, hours in expected_hours.items() if hours == h} for h in purged_by
    }


def test_purged_data_is_gone_but_the_transaction_lists(reports: Reports) -> None:
    cycle_id = reports.cycle("Orders")
    done = add(reports, cycle_id, Status.COMPLETED)
    failed = add(reports, cycle_id, Status.ERRORED)
    now = ENDED_AT + timedelta(hours=10)
    assert purge(reports.junction, console(reports.junction, success=10, errored=11), now) == 1
    after = state(reports.junction)
    assert after[done] == {
        "purge_after": now,
        "purged_at": now,
        "values": {},
        "payload": None,
        "steps": 0,
    }
    assert after[failed]["purged_at"] is None
    assert after[failed]["steps"] == 2
    assert after[failed]["values"] == {"trigger": {"Id": 1}}

    listed = {
        item["Id"]: item
        for item in reports.acme.get(f"/v1.0/cycles/{cycle_id}/transactions").json()
    }
    assert (listed[done]["StepDataPurged"], listed[done]["Status"]) == (True, "Completed")
    assert listed[failed]["StepDataPurged"] is False
    detail = transaction_detail(reports.acme, cycle_id, done)
    assert (detail["StepDataPurged"], detail["Steps"], detail["StepCount"]) == (True, [], 2)
    assert len(reports.acme.get(f"/v1.0/cycles/{cycle_id}/transactions/{failed}").json()) == 2


def test_zero_hours_purges_once_ended(reports: Reports) -> None:
    set_account(reports, "acme", StepDataSuccessRetentionHours=3)
    cycle_id = reports.cycle("At once")
    # 0 on the cycle wins over the account's 3: zero is a value, not "unset".
    set_cycle(reports, cycle_id, StepDataSuccessRetentionHours=0)
    done = add(reports, cycle_id, Status.COMPLETED)
    failed = add(reports, cycle_id, Status.ERRORED)
    assert purge(reports.junction, console(reports.junction), ENDED_AT) == 1
    after = state(reports.junction)
    assert after[done]["purged_at"] == ENDED_AT
    assert after[failed]["purged_at"] is None
    assert after[failed]["purge_after"] == ENDED_AT + timedelta(hours=20)


def test_in_progress_transactions_are_never_purged(reports: Reports) -> None:
    cycle_id = reports.cycle("Busy")
    busy = {
        status: add(reports, cycle_id, status)
        for status in (Status.QUEUED, Status.RUNNING, Status.WAITING)
    }
    # Even one that somehow carries a purge time from before a replay.
    stale = seed.transaction(
        reports.junction,
        account_id="acme",
        cycle_id=cycle_id,
        created_at=T0,
        status=Status.QUEUED,
        steps=[{}],
        purge_after=T0,
    )
    later = ENDED_AT + timedelta(days=400)
    assert purge(reports.junction, console(reports.junction, 0, 0), later) == 0
    after = state(reports.junction)
    assert [after[i]["steps"] for i in busy.values()] == [2, 2, 2]
    assert all(after[i]["purge_after"] is None for i in busy.values())
    assert (after[stale]["purged_at"], after[stale]["steps"]) == (None, 1)


class CountingDatabase:
    """The server's database, counting the write transactions a pass opens."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        self.transactions += 1
        async with self.database.transaction(read_only=read_only) as session:
            yield session


def test_purge_in_chunks(reports: Reports) -> None:
    cycle_id = reports.cycle("Many")
    made = [add(reports, cycle_id, Status.COMPLETED) for _ in range(5)]
    counting = CountingDatabase(reports.junction.services.database)
    settings = console(reports.junction, success=0)
    assert purge(reports.junction, settings, ENDED_AT, chunk=2, database=counting) == 5
    # Scheduling 2+2+1, purging 2+2+1, and one look for old seen items; more when the
    # server's own work held the writer meanwhile (chunks then get smaller: see below).
    assert counting.transactions >= 7
    after = state(reports.junction)
    assert all((after[i]["purged_at"], after[i]["steps"]) == (ENDED_AT, 0) for i in made)
    assert purge(reports.junction, settings, ENDED_AT, chunk=2, database=counting) == 0


class BusyDatabase(CountingDatabase):
    """As if live work held the writer each time: a transaction begins 10 ms late."""

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        await asyncio.sleep(0.01)
        async with super().transaction(read_only=read_only) as session:
            yield session


def test_chunks_get_small_while_the_writer_is_busy(reports: Reports) -> None:
    settings = console(reports.junction, success=0)
    database = reports.junction.services.database

    def purged_through(counting: CountingDatabase, name: str) -> list[str]:
        cycle_id = reports.cycle(name)
        made = [add(reports, cycle_id, Status.COMPLETED) for _ in range(40)]
        assert purge(reports.junction, settings, ENDED_AT, chunk=10, database=counting) == 40
        return made

    calm = CountingDatabase(database)
    purged_through(calm, "Calm")
    # Scheduling 10+10+10+10+0, purging the same, one look for old seen items (more if
    # the server's own work happened to hold the writer meanwhile).
    assert calm.transactions >= 5 + 5 + 1
    busy = BusyDatabase(database)
    made = purged_through(busy, "Busy")
    # The first chunk of 10 waited for the writer: the other 30 go 2 at a time, then one
    # empty look.
    assert busy.transactions == 5 + (1 + 15 + 1) + 1
    after = state(reports.junction)
    assert all((after[i]["purged_at"], after[i]["steps"]) == (ENDED_AT, 0) for i in made)


def test_old_seen_items_are_forgotten(reports: Reports) -> None:
    cycle_id = reports.cycle("Trigger")
    step = reports.acme.post(
        f"/v1.0/cycles/{cycle_id}/steps", json={"Name": "Stop", "StepType": "Stop"}
    )
    assert step.status_code == 201, step.text
    now = T0 + timedelta(days=100)
    seed.seen_items(
        reports.junction,
        cycle_step_id=step.json()["Id"],
        seen={f"item-{hours}": now - timedelta(hours=hours) for hours in (1, 743, 745, 999, 1001)},
    )

    async def keys() -> list[str]:
        async with reports.junction.services.database.transaction(read_only=True) as session:
            return sorted(await session.scalars(select(SeenItem.item_key)))

    # Kept for the errored retention, but never less than 31 days (744 hours).
    purge(reports.junction, console(reports.junction, errored=0), now, chunk=1)
    assert reports.junction.run(keys()) == ["item-1", "item-743"]
    seed.seen_items(
        reports.junction,
        cycle_step_id=step.json()["Id"],
        seen={f"item-{hours}": now - timedelta(hours=hours) for hours in (745, 999, 1001)},
    )
    purge(reports.junction, console(reports.junction, errored=1000), now)
    assert reports.junction.run(keys()) == ["item-1", "item-743", "item-745", "item-999"]


def test_chunk_must_be_positive(reports: Reports) -> None:
    with pytest.raises(ValueError, match="chunk must be at least 1"):
        purge(reports.junction, console(reports.junction), T0, chunk=0)
