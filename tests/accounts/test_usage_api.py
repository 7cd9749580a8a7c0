"""GET /v1.0/accounts/{id}/usage: tasks counted by Cyclr's rules, by period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.engine.hooks import wait_for
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import InstalledFlow, install_flow, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    with CrmApi() as api:
        yield api


@pytest.fixture
def mailer() -> Iterator[MailerApi]:
    with MailerApi() as api:
        yield api


def _usage(client: httpx.Client, account_id: str, **query: str) -> dict[str, Any]:
    answer = client.get(f"/v1.0/accounts/{account_id}/usage", params=query)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _ended(flow: InstalledFlow, count: int) -> None:
    def done() -> bool:
        items = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/transactions").json()
        return len(items) == count and all(
            t["Status"] in ("Completed", "Errored", "Stopped") for t in items
        )

    wait_for(done)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tasks_are_counted_by_cyclrs_rules(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow())
    partner = flow.partner
    assert _usage(partner, flow.account_id)["TasksUsed"] == 0

    url = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/activate", json={}).json()["Webhooks"][0][
        "Url"
    ]
    # An active contact: the webhook trigger and the mailer's action count (2); the
    # Decision between them is a tool that ran cleanly (free).
    active = crm.add_contact(email="ann@example.com", name="Ann")
    assert httpx.post(url, json=active).status_code == 200
    # An inactive one: the trigger counts; the Decision and the Stop tool are free.
    inactive = crm.add_contact(email="bob@example.com", status="inactive")
    assert httpx.post(url, json=inactive).status_code == 200
    _ended(flow, 2)
    assert _usage(partner, flow.account_id)["TasksUsed"] == 3

    # Data on Demand: a call that reached the API counts; one refused before it does not.
    ac = flow.crm_account_connector_id
    called = flow.account.post(f"/v1.0/account/connectors/{ac}/methods/contacts-new", json={})
    assert called.status_code == 200, called.text
    refused = flow.account.post(
        f"/v1.0/account/connectors/{ac}/methods/contacts-new", json={"Parameters": {"Nope": 1}}
    )
    assert refused.status_code == 400
    usage = _usage(partner, flow.account_id)
    assert usage["TasksUsed"] == 4
    assert usage["Id"] == flow.account_id

    # The default period is the current calendar month (UTC).
    now = junction.clock.now
    start = datetime.fromisoformat(usage["StartTime"])
    end = datetime.fromisoformat(usage["EndTime"])
    assert (start.day, start.hour, start.minute) == (1, 0, 0)
    assert start <= now < end
    assert end.day == 1
    assert end - start >= timedelta(days=28)

    # A period before the work counts nothing; one around it counts all of it.
    before = _usage(
        partner,
        flow.account_id,
        startTime=_iso(now - timedelta(days=2)),
        endTime=_iso(now - timedelta(days=1)),
    )
    assert before["TasksUsed"] == 0
    assert before["StartTime"].startswith(_iso(now - timedelta(days=2))[:19])
    junction.clock.advance(timedelta(seconds=1))  # "up to now" ends before this instant
    around = _usage(partner, flow.account_id, startTime=_iso(now - timedelta(hours=1)))
    assert around["TasksUsed"] == 4
    # Later tasks fall in a later period.
    junction.clock.advance(timedelta(hours=2))
    later = crm.add_contact(email="cat@example.com", status="inactive")
    assert httpx.post(url, json=later).status_code == 200
    _ended(flow, 3)
    junction.clock.advance(timedelta(seconds=1))
    again = _usage(
        partner, flow.account_id, startTime=around["StartTime"], endTime=around["EndTime"]
    )
    assert again["TasksUsed"] == 4
    since = _usage(partner, flow.account_id, startTime=_iso(now + timedelta(hours=1)))
    assert since["TasksUsed"] == 1

    # Another account used nothing.
    partner.post("/v1.0/accounts", json={"Id": "quiet", "Name": "Quiet"})
    assert _usage(partner, "quiet")["TasksUsed"] == 0


def test_a_sub_account_counts_its_own_tasks(junction: Junction) -> None:
    """Sub-accounts' usage is not rolled up into their parent's."""
    partner = junction.http(junction.token())
    partner.post("/v1.0/accounts", json={"Id": "parent", "Name": "Parent"})
    partner.post(
        "/v1.0/accounts", json={"Id": "child", "Name": "Child", "ParentAccountId": "parent"}
    )
    assert _usage(partner, "parent")["TasksUsed"] == 0
    assert _usage(partner, "child")["TasksUsed"] == 0


@pytest.mark.parametrize(
    ("account", "query", "status", "fragment"),
    [
        pytest.param("nobody", {}, 404, "nobody", id="unknown-account"),
        pytest.param(
            "acme",
            {"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"},
            400,
            "endTime",
            id="end-before-start",
        ),
        pytest.param("acme", {"endTime": "2026-03-01T00:00:00Z"}, 400, "endTime", id="empty"),
        pytest.param("acme", {"startTime": "yesterday"}, 400, "startTime", id="not-a-date"),
    ],
)
def test_bad_usage_queries(
    junction: Junction, account: str, query: dict[str, str], status: int, fragment: str
) -> None:
    partner = junction.http(junction.token())
    partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
    answer = partner.get(f"/v1.0/accounts/{account}/usage", params=query)
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["Message"]
