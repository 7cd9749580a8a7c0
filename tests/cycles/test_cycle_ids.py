"""Cycles, steps and edges created with the caller's own GUIDs (recreating Cyclr cycles)."""

from __future__ import annotations

import httpx
import pytest

CYCLE_ID = "6a1f0c9e-2b3d-4e5f-8a7b-0c1d2e3f4a5b"
STEP_IDS = ("0e8d6c4a-1b2c-4d3e-9f80-a1b2c3d4e5f6", "9f1e2d3c-4b5a-4697-8877-665544332211")
EDGE_ID = "c0ffee00-1234-4abc-8def-0123456789ab"


def _recreate(account: httpx.Client) -> str:
    # Written in capitals, as a client may have stored them: kept in the canonical form.
    created = account.post("/v1.0/cycles", json={"Id": CYCLE_ID.upper(), "Name": "Moved"})
    assert created.status_code == 201, created.text
    assert created.json()["Id"] == CYCLE_ID
    path = f"/v1.0/cycles/{CYCLE_ID}"
    for step_id, name in zip(STEP_IDS, ("Wait", "Done"), strict=True):
        kind = "Delay" if name == "Wait" else "Stop"
        body: dict[str, object] = {"Id": step_id, "Name": name, "StepType": kind}
        if kind == "Delay":
            body["DelaySeconds"] = 60
        step = account.post(f"{path}/steps", json=body)
        assert step.status_code == 201, step.text
        assert (step.json()["Id"], step.json()["StepKey"]) == (step_id, step_id)
    edge = account.post(
        f"{path}/edges",
        json={"Id": EDGE_ID, "TailStepId": STEP_IDS[0], "HeadStepId": STEP_IDS[1]},
    )
    assert edge.status_code == 201, edge.text
    assert edge.json()["Id"] == EDGE_ID
    return path


def test_a_cycle_is_recreated_with_its_ids(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, account = clients
    path = _recreate(account)
    assert account.get(path).json()["Name"] == "Moved"
    assert [s["Id"] for s in account.get(f"{path}/steps").json()] == list(STEP_IDS)
    assert account.get(f"{path}/steps/{STEP_IDS[1]}").json()["Name"] == "Done"
    assert account.get(f"{path}/edges/{EDGE_ID}").json()["TailStepId"] == STEP_IDS[0]
    # Without an Id each still gets a new GUID.
    plain = account.post("/v1.0/cycles", json={"Name": "Fresh"})
    assert plain.status_code == 201
    assert plain.json()["Id"] not in (CYCLE_ID, "")


def test_an_id_in_use_is_refused_naming_id(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    path = _recreate(account)
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).status_code == 200
    refusals = [
        account.post("/v1.0/cycles", json={"Id": CYCLE_ID, "Name": "Again"}),
        # Ids are unique across accounts too.
        account.post(
            "/v1.0/cycles",
            json={"Id": CYCLE_ID, "Name": "Elsewhere"},
            headers={"X-Cyclr-Account": "other"},
        ),
        account.post(
            f"{path}/steps", json={"Id": STEP_IDS[0], "Name": "Twice", "StepType": "Stop"}
        ),
        account.post(
            f"{path}/steps",
            json={"Id": EDGE_ID, "Name": "X", "StepType": "Delay", "DelaySeconds": 5},
        ),
    ]
    messages = [f"Id: '{CYCLE_ID}' is already in use"] * 2 + [
        f"Id: '{STEP_IDS[0]}' is already in use"
    ]
    for response, message in zip(refusals, messages, strict=False):
        assert response.status_code == 400, response.text
        assert response.json()["Message"] == message
    # An edge id is not a step id: another table, so the last one was accepted.
    assert refusals[3].status_code == 201
    third = refusals[3].json()["Id"]
    edge = account.post(
        f"{path}/edges", json={"Id": EDGE_ID, "TailStepId": third, "HeadStepId": STEP_IDS[0]}
    )
    assert edge.status_code == 400
    assert edge.json()["Message"] == f"Id: '{EDGE_ID}' is already in use"
    assert len(account.get(f"{path}/steps").json()) == 3
    assert len(account.get(f"{path}/edges").json()) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("not-a-guid", "Id: 'not-a-guid' is not a GUID", id="text"),
        pytest.param(
            "6a1f0c9e2b3d4e5f8a7b0c1d2e3f4a5b", "Id: '6a1f0c9e2b3d4e5f8a7b0c1d2e3f4a5b'", id="bare"
        ),
        pytest.param("6a1f0c9e-2b3d-4e5f-8a7b-0c1d2e3f4a5g", "is not a GUID", id="non-hex"),
        pytest.param(42, "Id: Input should be a valid string", id="number"),
    ],
)
def test_a_malformed_id_is_refused_naming_id(
    clients: tuple[httpx.Client, httpx.Client], value: object, message: str
) -> None:
    _, account = clients
    path = _recreate(account)
    answers = [
        account.post("/v1.0/cycles", json={"Id": value, "Name": "Bad"}),
        account.post(f"{path}/steps", json={"Id": value, "Name": "Bad", "StepType": "Stop"}),
        account.post(
            f"{path}/edges",
            json={"Id": value, "TailStepId": STEP_IDS[0], "HeadStepId": STEP_IDS[1]},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["Message"].startswith("Id: ")
        assert message in answer.json()["Message"]
    assert len(account.get("/v1.0/cycles").json()) == 1
