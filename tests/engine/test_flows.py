"""The engine's acceptance flows: a CRM (API key, paged contacts) to a mailer (OAuth 2.0)
on a schedule and by webhook, through a decision and mapped fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.engine.hooks import wait_for
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import InstalledFlow, install_flow, scheduled_sync, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail


def transactions(flow: InstalledFlow, **query: Any) -> list[dict[str, Any]]:
    got = flow.account.get(
        f"/v1.0/cycles/{flow.cycle_id}/transactions", params={"pageSize": 500, **query}
    )
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()
    return items


def settled(flow: InstalledFlow, count: int) -> list[dict[str, Any]]:
    """Wait until ``count`` transactions exist and none is still in progress."""

    def done() -> bool:
        items = transactions(flow)
        return len(items) == count and all(
            t["Status"] in ("Completed", "Errored", "Stopped") for t in items
        )

    wait_for(done)
    return transactions(flow)


def activate(flow: InstalledFlow, body: dict[str, Any]) -> dict[str, Any]:
    answer = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/activate", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_scheduled_cycle_moves_only_new_active_contacts(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    clock = junction.clock
    start = clock.now
    crm.add_contact(email="old@example.com", created=clock.now - timedelta(days=1))
    flow = install_flow(junction, crm, mailer, scheduled_sync())
    activate(flow, {"Interval": 5})

    # The first run starts from now: the contact made yesterday is not handed on, and a
    # run that finds nothing leaves no transaction.
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) >= 1)
    first = crm.requests_to("GET", "/contacts")[0]
    assert first.query["created_after"] == clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert settled(flow, 0) == []

    crm.add_contact(
        email="ann@example.com", name="Ann Active", created=clock.now + timedelta(seconds=30)
    )
    crm.add_contact(
        email="bob@example.com", status="inactive", created=clock.now + timedelta(seconds=40)
    )
    crm.add_contact(email="cat@example.com", name="Cat", created=clock.now + timedelta(seconds=50))
    clock.advance(timedelta(minutes=5))
    items = settled(flow, 3)
    assert sorted(t["Status"] for t in items) == ["Completed"] * 3
    # One transaction per contact; they run side by side, so in no particular order.
    assert sorted(mailer.subscribers, key=lambda s: s["email"]) == [
        {"email": "ann@example.com", "full_name": "Ann Active", "list": "newsletter"},
        {"email": "cat@example.com", "full_name": "Cat", "list": "newsletter"},
    ]

    # The next run asks from the time of the last successful one, and the CRM's ids are
    # remembered: a contact the API hands back again is not moved twice.
    crm.add_contact(email="dan@example.com", created=clock.now + timedelta(minutes=30))
    clock.advance(timedelta(minutes=5))
    settled(flow, 4)
    clock.advance(timedelta(minutes=5))
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) >= 4)
    settled(flow, 4)
    assert [s["email"] for s in mailer.subscribers].count("dan@example.com") == 1
    asked = [r.query["created_after"] for r in crm.requests_to("GET", "/contacts")]
    # Each run asks from the start of the last successful one (the first run's own start).
    assert asked == [
        (start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (0, 0, 5, 10)
    ]
    cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
    # A run's start, in UTC (Cyclr's 0001-01-01T00:00:00 would mean never).
    last_run = datetime.fromisoformat(cycle["LastSuccessfulRunDate"])
    assert start <= last_run <= start + timedelta(minutes=15)


def test_the_reports_show_every_step_redacted(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow())
    url = activate(flow, {})["Webhooks"][0]["Url"]
    contact = crm.add_contact(email="eve@example.com", name="Eve")
    answer = httpx.post(url, json=contact)
    assert answer.status_code == 200, answer.text
    transaction_id = answer.json()["TransactionId"]
    settled(flow, 1)
    detail = transaction_detail(flow.account, flow.cycle_id, transaction_id)
    assert detail["Status"] == "Completed"
    assert [(s["StepName"], s["Status"]) for s in detail["Steps"]] == [
        (detail["Steps"][0]["StepName"], "Success"),
        (detail["Steps"][1]["StepName"], "Success"),
        (detail["Steps"][2]["StepName"], "Success"),
    ]
    assert detail["Steps"][0]["Output"] == [
        {"Id": contact["id"], "Email": "eve@example.com", "Name": "Eve", "Status": "active"}
    ]
    call = detail["Steps"][2]["Exchanges"][0]
    assert call["Method"] == "POST"
    assert call["StatusCode"] == 201
    assert "eve@example.com" in call["RequestBody"]
    assert call["ResponseBody"]
    assert '"id"' in call["ResponseBody"]
    token = mailer.requests_to("POST", "/subscribers")[0].header("Authorization")
    assert token
    assert token.startswith("Bearer ")
    assert token.split()[1] not in str(detail)
    assert mailer.subscribers == [
        {"email": "eve@example.com", "full_name": "Eve", "list": "newsletter"}
    ]


def test_an_inactive_contact_stops_at_the_decision(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow())
    url = activate(flow, {})["Webhooks"][0]["Url"]
    answer = httpx.post(url, json=crm.add_contact(email="x@example.com", status="inactive"))
    transaction_id = answer.json()["TransactionId"]
    settled(flow, 1)
    detail = transaction_detail(flow.account, flow.cycle_id, transaction_id)
    assert detail["Status"] == "Completed"
    assert [s["StepId"] for s in detail["Steps"]] == [
        flow.step_ids["new"],
        flow.step_ids["active"],
        flow.step_ids["skip"],
    ]
    assert mailer.subscribers == []
