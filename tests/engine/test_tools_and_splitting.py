"""Delay and Wait Until steps, collection splitting, and Get steps that page."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx

from tests.engine.hooks import wait_for
from tests.engine.test_flows import activate, settled, transactions
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import install_flow, scheduled_sync
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail


def field(step: str, name: str) -> dict[str, Any]:
    return {"MappingType": "StepData", "SourceStepKey": step, "SourceField": name}


def hook() -> dict[str, Any]:
    return {
        "Key": "hook",
        "Name": "Contact created",
        "ConnectorName": "Test CRM",
        "MethodUniqueIdentifier": "contact-created",
    }


def add(source: str) -> dict[str, Any]:
    return {
        "Key": "add",
        "Name": "Add subscriber",
        "ConnectorName": "Test Mailer",
        "MethodUniqueIdentifier": "subscriber-add",
        "FieldMappings": [
            {"Name": "Email", **field(source, "Email")},
            {"Name": "List", "MappingType": "StaticValue", "Value": "customers"},
        ],
    }


def document(*steps: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    keys = [s["Key"] for s in steps]
    return {
        "Name": "Tools",
        "Settings": settings or {},
        "Steps": list(steps),
        "Edges": [{"TailStepKey": a, "HeadStepKey": b} for a, b in itertools.pairwise(keys)],
    }


def test_a_delay_waits_without_a_worker(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    delay = {"Key": "wait", "Name": "Ten minutes", "StepType": "Delay", "DelaySeconds": 600}
    flow = install_flow(junction, crm, mailer, document(hook(), delay, add("hook")))
    url = activate(flow, {})["Webhooks"][0]["Url"]
    httpx.post(url, json=crm.add_contact(email="later@example.com"))
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    junction.clock.advance(timedelta(seconds=599))
    assert transactions(flow)[0]["Status"] == "Waiting"
    assert mailer.subscribers == []
    junction.clock.advance(timedelta(seconds=2))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    assert [s["email"] for s in mailer.subscribers] == ["later@example.com"]


def test_wait_until_a_date_from_the_data(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    until = {
        "Key": "until",
        "Name": "Until",
        "StepType": "WaitUntil",
        "WaitUntil": field("hook", "Name"),
    }
    flow = install_flow(junction, crm, mailer, document(hook(), until, add("hook")))
    url = activate(flow, {})["Webhooks"][0]["Url"]
    when = junction.clock.now + timedelta(hours=2)
    body = crm.add_contact(email="dated@example.com") | {"name": when.isoformat()}
    httpx.post(url, json=body)
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    junction.clock.advance(timedelta(hours=2, seconds=1))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"

    # Not a date: the step errors with Cyclr's message.
    answer = httpx.post(url, json=crm.add_contact(email="undated@example.com") | {"name": "soon"})
    transaction_id = answer.json()["TransactionId"]
    settled(flow, 2)
    detail = transaction_detail(flow.account, flow.cycle_id, transaction_id)
    assert detail["Status"] == "Errored"
    assert detail["Message"] == "Field is not a valid DateTime"


def listing() -> dict[str, Any]:
    return {
        "Key": "list",
        "Name": "All contacts",
        "ConnectorName": "Test CRM",
        "MethodUniqueIdentifier": "contacts-new",
    }


def test_a_get_step_reads_every_page_and_all_steps_splits_it(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    for n in range(25):  # three pages of ten
        crm.add_contact(email=f"p{n}@example.com")
    flow = install_flow(
        junction,
        crm,
        mailer,
        document(hook(), listing(), add("list"), settings={"CollectionSplitType": "AllSteps"}),
    )
    url = activate(flow, {})["Webhooks"][0]["Url"]
    httpx.post(url, json={"id": 1, "email": "go@example.com"})
    items = settled(flow, 25)
    assert {t["Status"] for t in items} == {"Completed"}
    assert sorted(t["Origin"] for t in items).count("Split") == 24
    assert len(crm.requests_to("GET", "/contacts")) == 3
    assert sorted(s["email"] for s in mailer.subscribers) == sorted(
        f"p{n}@example.com" for n in range(25)
    )


def test_without_splitting_a_step_maps_each_item_of_a_collection(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    for n in range(3):
        crm.add_contact(email=f"q{n}@example.com")
    # FirstStep splits only the trigger: the list below stays one transaction, and the
    # step mapping from it calls the mailer once per contact.
    flow = install_flow(junction, crm, mailer, document(hook(), listing(), add("list")))
    url = activate(flow, {})["Webhooks"][0]["Url"]
    answer = httpx.post(url, json={"id": 1, "email": "go@example.com"})
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    assert [s["email"] for s in mailer.subscribers] == [f"q{n}@example.com" for n in range(3)]
    steps = flow.account.get(
        f"/v1.0/cycles/{flow.cycle_id}/transactions/{answer.json()['TransactionId']}"
    ).json()
    assert len(steps[2]["Exchanges"]) == 3


def test_split_none_keeps_a_trigger_run_in_one_transaction(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(
        junction, crm, mailer, scheduled_sync(settings={"CollectionSplitType": "None"})
    )
    activate(flow, {"Interval": 60})
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) == 1)
    for n in range(3):
        crm.add_contact(
            email=f"r{n}@example.com", created=junction.clock.now + timedelta(minutes=1)
        )
    junction.clock.advance(timedelta(hours=1))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    assert sorted(s["email"] for s in mailer.subscribers) == [f"r{n}@example.com" for n in range(3)]


def test_a_step_overrides_the_cycles_splitting(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    for n in range(4):
        crm.add_contact(email=f"s{n}@example.com")
    step = listing() | {"CollectionSplitType": "AllSteps"}
    flow = install_flow(junction, crm, mailer, document(hook(), step, add("list")))
    url = activate(flow, {})["Webhooks"][0]["Url"]
    httpx.post(url, json={"id": 1, "email": "go@example.com"})
    assert len(settled(flow, 4)) == 4
