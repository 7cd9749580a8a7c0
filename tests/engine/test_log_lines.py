"""The engine's log lines: one for an errored transaction, one for a cycle paused after
repeated errors, one for a lease taken over from a process that let it expire, each with
the ids of the transaction it is about; nothing for work that succeeds."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from junction.engine import transactions as tx
from junction.logs import TransactionIds
from tests.engine.hooks import wait_for
from tests.engine.test_error_actions import flow_with, send
from tests.engine.test_flows import settled
from tests.fixtures.crm import CrmApi
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(TransactionIds())  # as configure_logging's handler does

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Junction's log records (INFO and up) from here on, with the ids its handler would
    attach: a handler of its own, since the ids are read in the thread that logs."""
    junction = logging.getLogger("junction")
    kept, level = Kept(), junction.level
    junction.addHandler(kept)
    junction.setLevel(logging.INFO)
    try:
        yield kept.records
    finally:
        junction.removeHandler(kept)
        junction.setLevel(level)


def engine_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "junction.engine"]


def ids(record: logging.LogRecord) -> tuple[object, object, object]:
    fields = record.__dict__
    return fields.get("account_id"), fields.get("cycle_id"), fields.get("transaction_id")


def test_an_errored_transaction_logs_one_warning_with_its_ids(
    junction: Junction, crm: CrmApi, mailer: MailerApi, records: list[logging.LogRecord]
) -> None:
    flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
    send(url, crm, "fine@example.com")
    settled(flow, 1)
    mailer.fail_next(1, 500)
    failing = send(url, crm, "failing@example.com")
    items = settled(flow, 2)
    assert {t["Id"]: t["Status"] for t in items}[failing] == "Errored"
    assert sorted(t["Status"] for t in items) == ["Completed", "Errored"]

    def errored() -> list[logging.LogRecord]:
        return [r for r in engine_lines(records) if "Errored" in r.getMessage()]

    wait_for(lambda: len(errored()) >= 1)
    [line] = errored()
    assert line.levelno == logging.WARNING
    assert line.getMessage() == "transaction ended Errored: Failed to call the method"
    assert ids(line) == (flow.account_id, flow.cycle_id, failing)
    assert line.__dict__["step_id"] == flow.step_ids["add"]
    # Successful work writes nothing.
    assert [r.getMessage() for r in engine_lines(records)] == [line.getMessage()]


def test_a_cycle_paused_after_repeated_errors_logs_one_warning(
    junction: Junction, crm: CrmApi, mailer: MailerApi, records: list[logging.LogRecord]
) -> None:
    engine = junction.engine
    assert engine is not None
    limit = engine.options.consecutive_error_limit
    engine.options.consecutive_error_limit = 2
    try:
        flow, url = flow_with(junction, crm, mailer, StepErrorAction="Ignore")
        mailer.fail_next(100, 500)
        send(url, crm, "p1@example.com")
        settled(flow, 1)
        last = send(url, crm, "p2@example.com")
        settled(flow, 2)
    finally:
        engine.options.consecutive_error_limit = limit

    def paused() -> list[logging.LogRecord]:
        return [r for r in engine_lines(records) if "paused" in r.getMessage()]

    wait_for(lambda: len(paused()) >= 1)
    [line] = paused()
    assert line.levelno == logging.WARNING
    assert line.getMessage() == "cycle paused after 2 transactions in a row ended with an error"
    assert ids(line) == (flow.account_id, flow.cycle_id, last)


def test_a_lease_taken_over_logs_one_line_with_the_previous_owner(
    junction: Junction, crm: CrmApi, mailer: MailerApi, records: list[logging.LogRecord]
) -> None:
    flow, _ = flow_with(junction, crm, mailer)
    now = junction.clock()
    orphan = tx.new_row(
        account_id=flow.account_id,
        cycle_id=flow.cycle_id,
        step_id=flow.step_ids["new"],
        origin="Webhook",
        now=now - timedelta(minutes=5),
        payload=crm.add_contact(email="orphan@example.com"),
        status=tx.Status.RUNNING,
    )
    # A process that died holding it: its lease ran out a minute ago.
    orphan |= {
        "lease_owner": "gone-host:4242:0badcafe",
        "lease_expires_at": now - timedelta(minutes=1),
        "started_at": now - timedelta(minutes=5),
    }

    async def insert() -> None:
        async with junction.services.database.transaction() as session:
            await tx.insert_rows(session, [orphan])

    junction.run(insert())
    junction.dispatcher.wake()
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"

    def taken() -> list[logging.LogRecord]:
        return [r for r in engine_lines(records) if "took over" in r.getMessage()]

    wait_for(lambda: len(taken()) >= 1)
    [line] = taken()
    assert line.levelno == logging.INFO
    assert line.getMessage() == "took over the lease of gone-host:4242:0badcafe, which had expired"
    assert line.__dict__["previous_owner"] == "gone-host:4242:0badcafe"
    assert ids(line) == (flow.account_id, flow.cycle_id, orphan["id"])


def test_each_refused_webhook_call_logs_one_line_naming_its_cycle(
    junction: Junction, crm: CrmApi, mailer: MailerApi, records: list[logging.LogRecord]
) -> None:
    flow, url = flow_with(junction, crm, mailer)
    identifier = url.rsplit("/", 1)[1]
    settings = junction.services.settings

    def refusals() -> list[tuple[int, str, object]]:
        found = [r for r in records if r.name == "junction.webhooks"]
        return [(r.levelno, r.getMessage(), r.__dict__.get("cycle_id")) for r in found]

    assert httpx.post(url, json={"email": "taken@example.com"}).status_code == 200
    bad = httpx.post(url, content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    limit = settings.webhook_max_bytes
    settings.webhook_max_bytes = 100
    try:
        large = httpx.post(url, json={"email": "x" * 200})
    finally:
        settings.webhook_max_bytes = limit
    assert large.status_code == 413
    unknown = httpx.post(f"{junction.base_url}/api/webhook/no-such-address", json={})
    assert unknown.status_code == 404
    stopped = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/deactivate", json={})
    assert stopped.status_code == 200, stopped.text
    paused = httpx.post(url, json={"email": "late@example.com"})
    assert paused.status_code == 409

    warning, info = logging.WARNING, logging.INFO
    assert refusals() == [
        (warning, f"webhook call refused (400): {bad.json()['Message']}", flow.cycle_id),
        (warning, f"webhook call refused (413): {large.json()['Message']}", flow.cycle_id),
        (info, "webhook call refused (404): No webhook at this address", None),
        (warning, f"webhook call refused (409): {paused.json()['Message']}", flow.cycle_id),
    ]
    # The address is the webhook's secret, the body the sender's data: neither is written.
    assert not any(identifier in r.getMessage() or "late@" in r.getMessage() for r in records)
