"""StepErrorAction: Ignore, Retry after a wait, Stop the transaction, Stop the integration;
incidents, the transaction error webhook and pausing after repeated errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.engine.hooks import wait_for
from tests.engine.test_flows import activate, settled, transactions
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import InstalledFlow, install_flow, webhook_flow
from tests.fixtures.loopback import LoopbackApi
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail


class Receiver(LoopbackApi):
    """Somewhere to send notices to: records every POST."""

    def add_routes(self, app: Any) -> None:
        from aiohttp import web

        async def accept(_request: web.Request) -> web.Response:
            return web.json_response({}, status=200)

        app.router.add_post("/{tail:.*}", accept)


@pytest.fixture
def receiver() -> Any:
    with Receiver() as api:
        yield api


def flow_with(
    junction: Junction, crm: CrmApi, mailer: MailerApi, **settings: Any
) -> tuple[InstalledFlow, str]:
    flow = install_flow(junction, crm, mailer, webhook_flow(settings=settings))
    return flow, activate(flow, {})["Webhooks"][0]["Url"]


def send(url: str, crm: CrmApi, email: str) -> str:
    answer = httpx.post(url, json=crm.add_contact(email=email))
    assert answer.status_code == 200, answer.text
    transaction_id: str = answer.json()["TransactionId"]
    return transaction_id


def detail(flow: InstalledFlow, transaction_id: str) -> dict[str, Any]:
    return transaction_detail(flow.account, flow.cycle_id, transaction_id)


def incidents(flow: InstalledFlow) -> list[dict[str, Any]]:
    got = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/incidents")
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()
    return items


def test_ignore_ends_the_transaction_errored_with_an_incident(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
    mailer.fail_next(1, 500)
    transaction_id = send(url, crm, "a@example.com")
    [item] = settled(flow, 1)
    assert (item["Status"], item["ErrorCount"]) == ("Errored", 1)
    steps = detail(flow, transaction_id)["Steps"]
    assert steps[-1]["Status"] == "Error"
    assert steps[-1]["Exchanges"][0]["StatusCode"] == 500
    [incident] = incidents(flow)
    assert incident["IncidentLevel"] == "Error"
    assert incident["ShortMessage"] == "Failed to call the method"
    assert incident["StepId"] == flow.step_ids["add"]
    assert incident["TransactionId"] == transaction_id
    assert "HTTP Request:\nPOST " in incident["FullMessage"]
    # The cycle goes on: the next call is delivered.
    send(url, crm, "b@example.com")
    settled(flow, 2)
    assert [s["email"] for s in mailer.subscribers] == ["b@example.com"]


def test_continue_on_step_error_runs_the_following_steps(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    document = webhook_flow(settings={"ContinueOnStepError": True})
    # The mailer step fails; a second mailer step after it still runs.
    add = next(s for s in document["Steps"] if s["Key"] == "add")
    document["Steps"].append(dict(add, Key="again", Name="Add again"))
    document["Edges"].append({"TailStepKey": "add", "HeadStepKey": "again"})
    flow = install_flow(junction, crm, mailer, document)
    url = activate(flow, {})["Webhooks"][0]["Url"]
    mailer.fail_next(1, 500)
    transaction_id = send(url, crm, "c@example.com")
    [item] = settled(flow, 1)
    assert (item["Status"], item["ErrorCount"]) == ("Completed", 1)
    statuses = [s["Status"] for s in detail(flow, transaction_id)["Steps"]]
    assert statuses == ["Success", "Success", "Error", "Success"]
    assert [s["email"] for s in mailer.subscribers] == ["c@example.com"]


def test_retry_waits_on_the_schedule_then_succeeds(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Retry", RetryAttempts=3)
    mailer.fail_next(2, 500)
    transaction_id = send(url, crm, "d@example.com")
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    assert len(mailer.requests_to("POST", "/subscribers")) == 1
    # The test server's schedule is 60 s, then 120 s: nothing happens before it is due.
    junction.clock.advance(timedelta(seconds=59))
    junction.clock.advance(timedelta(seconds=2))
    wait_for(lambda: len(mailer.requests_to("POST", "/subscribers")) == 2)
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    junction.clock.advance(timedelta(seconds=121))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    steps = detail(flow, transaction_id)["Steps"]
    assert [(s["Status"], s["Attempt"]) for s in steps[2:]] == [
        ("Error", 1),
        ("Error", 2),
        ("Success", 3),
    ]
    assert [i["IncidentLevel"] for i in incidents(flow)] == ["Warning", "Warning"]
    assert [s["email"] for s in mailer.subscribers] == ["d@example.com"]


def test_retry_gives_up_after_the_last_attempt(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Retry", RetryAttempts=1)
    mailer.fail_next(5, 500)
    send(url, crm, "e@example.com")
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    junction.clock.advance(timedelta(seconds=61))
    [item] = settled(flow, 1)
    assert (item["Status"], item["Message"]) == ("Errored", "Out of retries")
    levels = sorted((i["IncidentLevel"], i["ShortMessage"]) for i in incidents(flow))
    assert levels == [("Error", "Out of retries"), ("Warning", "Failed to call the method")]


def test_stop_the_transaction(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="StopTransaction")
    mailer.fail_next(1, 500)
    send(url, crm, "f@example.com")
    [item] = settled(flow, 1)
    assert (item["Status"], item["Message"]) == ("Stopped", "Transaction Stopped")
    cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
    assert cycle["Status"] == "Active"


def test_stop_the_integration_pauses_the_cycle(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="StopIntegration")
    mailer.fail_next(1, 500)
    send(url, crm, "g@example.com")
    [item] = settled(flow, 1)
    assert item["Status"] == "Errored"
    cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
    assert cycle["Status"] == "Paused"
    assert httpx.post(url, json={"email": "h@example.com"}).status_code == 409


def test_a_rate_limited_call_waits_as_asked_whatever_the_action(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
    # Past what the runtime waits for inside one call (it gives up and the engine waits).
    mailer.fail_next(11, 429, headers={"Retry-After": "0"})
    send(url, crm, "i@example.com")
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    [incident] = incidents(flow)
    assert incident["IncidentLevel"] == "Warning"
    junction.clock.advance(timedelta(seconds=2))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    assert [s["email"] for s in mailer.subscribers] == ["i@example.com"]


def test_the_transaction_error_webhook_gets_cyclrs_payload(
    junction: Junction, crm: CrmApi, mailer: MailerApi, receiver: Receiver
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
    settings = flow.partner.put(
        f"/v1.0/accounts/{flow.account_id}",
        json={
            "Name": flow.account_id,
            "TransactionErrorWebhookEnabled": True,
            "TransactionErrorWebhookUrl": f"{receiver.base_url}/errors",
        },
    )
    assert settings.status_code == 200, settings.text
    mailer.fail_next(1, 500)
    transaction_id = send(url, crm, "j@example.com")
    settled(flow, 1)
    wait_for(lambda: len(receiver.requests) == 1)
    notice = receiver.requests[0].json()
    assert notice["AccountId"] == flow.account_id
    assert notice["CycleId"] == flow.cycle_id
    assert notice["StepId"] == flow.step_ids["add"]
    assert notice["TransactionId"] == transaction_id
    assert notice["Message"] == "Failed to call the method"
    assert notice["IncidentLevel"] == "Error"
    assert notice["StepType"] == 1
    assert "500" in notice["Detail"]
    assert set(notice) >= {"Timestamp", "AccountName", "CycleName", "StepName", "Detail"}


def test_repeated_errors_pause_the_cycle_and_notify(
    junction: Junction, crm: CrmApi, mailer: MailerApi, receiver: Receiver
) -> None:
    settings = junction.services.settings
    engine = junction.engine
    assert engine is not None
    limit, url_before = settings.consecutive_error_limit, engine.notifier.notification_url
    settings.consecutive_error_limit = 3
    engine.options.consecutive_error_limit = 3
    engine.notifier.notification_url = f"{receiver.base_url}/notices"
    try:
        flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
        mailer.fail_next(100, 500)
        for n in range(3):
            send(url, crm, f"k{n}@example.com")
            settled(flow, n + 1)
        wait_for(lambda: len(receiver.requests) == 1)
        notice = receiver.requests[0].json()
        assert (notice["Event"], notice["CycleId"]) == ("CyclePaused", flow.cycle_id)
        cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
        assert cycle["Status"] == "Paused"
        assert cycle["ErrorCount"] == 3
    finally:
        settings.consecutive_error_limit = limit
        engine.options.consecutive_error_limit = limit
        engine.notifier.notification_url = url_before


def test_a_success_resets_the_run_of_errors(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    engine = junction.engine
    assert engine is not None
    limit = engine.options.consecutive_error_limit
    engine.options.consecutive_error_limit = 2
    try:
        flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
        mailer.fail_next(1, 500)
        send(url, crm, "l1@example.com")
        settled(flow, 1)
        send(url, crm, "l2@example.com")
        settled(flow, 2)
        mailer.fail_next(1, 500)
        send(url, crm, "l3@example.com")
        settled(flow, 3)
        cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
        assert cycle["Status"] == "Active"
    finally:
        engine.options.consecutive_error_limit = limit
