"""The trigger steps of many cycles in one query agree with each cycle's own structure."""

from __future__ import annotations

import httpx

from junction.cycles import structure
from junction.cycles.models import Cycle
from tests.fixtures.server import Junction


def _cycle(account: httpx.Client, name: str, steps: list[tuple[str, str]]) -> tuple[str, list[str]]:
    created = account.post("/v1.0/cycles", json={"Name": name})
    assert created.status_code == 201, created.text
    path = f"/v1.0/cycles/{created.json()['Id']}"
    ids = []
    for step_name, kind in steps:
        step = account.post(f"{path}/steps", json={"Name": step_name, "StepType": kind})
        assert step.status_code == 201, step.text
        ids.append(step.json()["Id"])
    return created.json()["Id"], ids


def _edge(account: httpx.Client, cycle_id: str, tail: str, head: str) -> None:
    made = account.post(
        f"/v1.0/cycles/{cycle_id}/edges",
        json={"TailStepId": tail, "HeadStepId": head, "EdgeType": "True"},
    )
    assert made.status_code in (200, 201), made.text


def test_one_query_finds_the_trigger_each_structure_finds(
    junction: Junction, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    _, account = clients
    # A start, the step it leads to and a note beside them: the start is the trigger.
    noted, (start, stop, _) = _cycle(
        account, "Noted", [("Start", "Decision"), ("Done", "Stop"), ("Note", "Annotation")]
    )
    _edge(account, noted, start, stop)
    # Two steps no edge enters: no trigger.
    split, _ = _cycle(account, "Two starts", [("One", "Stop"), ("Other", "Stop")])
    # Notes only: nothing to start with.
    notes, _ = _cycle(account, "Notes", [("A", "Annotation"), ("B", "Annotation")])
    empty, _ = _cycle(account, "Empty", [])
    cycle_ids = [noted, split, notes, empty]

    async def both() -> tuple[dict[str, str | None], dict[str, str | None]]:
        async with junction.services.database.transaction() as session:
            found = await structure.triggers(session=session, cycle_ids=cycle_ids)
            each: dict[str, str | None] = {}
            for cycle_id in cycle_ids:
                cycle = await session.get_one(Cycle, cycle_id)
                trigger = (await structure.load(session=session, cycle=cycle)).trigger()
                each[cycle_id] = trigger.id if trigger is not None else None
            return found, each

    found, each = junction.run(both())
    assert found == each
    assert found == {noted: start, split: None, notes: None, empty: None}
