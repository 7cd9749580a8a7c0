"""Rows the engine would write, inserted directly (the reports only read them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from junction.engine.models import Incident, SeenItem, StepRun
from junction.engine.transactions import ENDED, Status, insert_rows, new_id, new_row
from tests.fixtures.server import Junction


def transaction(
    junction: Junction,
    *,
    account_id: str,
    cycle_id: str,
    created_at: datetime,
    status: Status = Status.COMPLETED,
    step_id: str | None = "step-2",
    steps: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> str:
    """One transaction; an ended one ended a minute after it was created, unless told.

    ``steps`` are step data rows (sequence, step_id... filled in when omitted).
    """
    row = new_row(
        account_id=account_id,
        cycle_id=cycle_id,
        step_id=step_id,
        origin="Schedule",
        now=created_at,
        values={"trigger": {"Id": 1}},
        status=status,
    )
    if status is not Status.QUEUED:
        row.update(due_at=None, started_at=created_at + timedelta(seconds=1))
    if status in ENDED:
        row["ended_at"] = created_at + timedelta(minutes=1)
    row["steps_run"] = len(steps or [])
    row.update(changes)

    async def write() -> None:
        async with junction.services.database.transaction() as session:
            await insert_rows(session, [row])
            if steps:
                await session.execute(
                    insert(StepRun),
                    [
                        {
                            "transaction_id": row["id"],
                            "sequence": number,
                            "step_id": f"step-{number}",
                            "step_name": f"Step {number}",
                            "status": "Success",
                            "attempt": 1,
                            "started_at": created_at + timedelta(seconds=number),
                            "duration_ms": 12.5,
                            "exchanges": [],
                            "output": None,
                            "message": None,
                            **step,
                        }
                        for number, step in enumerate(steps, start=1)
                    ],
                )

    junction.run(write())
    transaction_id: str = row["id"]
    return transaction_id


def incident(
    junction: Junction,
    *,
    account_id: str,
    cycle_id: str,
    level: str,
    created_at: datetime,
    transaction_id: str | None = None,
    short_message: str = "Failed to call the method",
) -> str:
    row: dict[str, Any] = {
        "id": new_id(),
        "account_id": account_id,
        "cycle_id": cycle_id,
        "transaction_id": transaction_id,
        "step_id": "step-1",
        "step_name": "Step 1",
        "level": level,
        "short_message": short_message,
        "full_message": f"{short_message}: HTTP 500",
        "created_at": created_at,
    }

    async def write() -> None:
        async with junction.services.database.transaction() as session:
            await session.execute(insert(Incident), [row])

    junction.run(write())
    incident_id: str = row["id"]
    return incident_id


def seen_items(junction: Junction, *, cycle_step_id: str, seen: dict[str, datetime]) -> None:
    async def write() -> None:
        async with junction.services.database.transaction() as session:
            await session.execute(
                insert(SeenItem),
                [
                    {"cycle_step_id": cycle_step_id, "item_key": key, "seen_at": when}
                    for key, when in seen.items()
                ],
            )

    junction.run(write())
