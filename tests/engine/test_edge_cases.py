"""The engine's harder cases: fairness between accounts, orphans in due order, overlapping
trigger runs, retries of multi-call steps, seen items that outlive retention, a database
that fails a checkpoint, auto-paused cycles, and what incidents keep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from junction.cycles.models import Cycle
from junction.engine import transactions as tx
from junction.engine.models import Transaction
from junction.reports import retention
from tests.engine.hooks import wait_for
from tests.engine.test_flows import activate, settled, transactions
from tests.engine.test_tools_and_splitting import add, document, hook, listing
from tests.fixtures import engine_flows
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import (
    InstalledFlow,
    crm_definition,
    install_flow,
    scheduled_sync,
)
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction

# -- helpers ---------------------------------------------------------------------------------


def _row(flow: InstalledFlow, *, now: datetime, due: datetime, **extra: Any) -> dict[str, Any]:
    row = tx.new_row(
        account_id=flow.account_id,
        cycle_id=flow.cycle_id,
        step_id=flow.step_ids["hook"],
        origin="Webhook",
        now=now,
        payload={"email": "x@example.com"},
    )
    row["due_at"] = due
    row.update(extra)
    return row


def _insert(junction: Junction, rows: list[dict[str, Any]]) -> None:
    async def go() -> None:
        async with junction.services.database.transaction() as session:
            await tx.insert_rows(session, rows)

    junction.run(go())


def _claim(junction: Junction, **kwargs: Any) -> list[str]:
    async def go() -> list[str]:
        async with junction.services.database.transaction() as session:
            claimed = await tx.claim(
                session,
                owner="test-claimer",
                now=junction.clock(),
                lease=timedelta(seconds=60),
                **kwargs,
            )
        return [c.id for c in claimed]

    return junction.run(go())


def _with_dispatcher_stopped(junction: Junction, body: Callable[[], None]) -> None:
    """Run ``body`` with the server's dispatcher stopped (nothing claims behind our back);
    the engine tables are emptied before it starts again."""
    junction.run(junction.dispatcher.stop(grace=0.1))
    try:
        body()
    finally:

        async def wipe() -> None:
            async with junction.services.database.transaction() as session:
                await session.execute(delete(Transaction))

        junction.run(wipe())
        junction.run(junction.dispatcher.start())


def _in_progress(junction: Junction, flow: InstalledFlow) -> int:
    """In-progress transactions of the flow's cycle, read from the database (API tokens
    expire when a test moves the clock by days)."""

    async def go() -> int:
        async with junction.services.database.transaction(read_only=True) as session:
            rows = await session.scalars(
                select(Transaction.id).where(
                    Transaction.cycle_id == flow.cycle_id,
                    Transaction.status.in_([s.value for s in tx.IN_PROGRESS]),
                )
            )
            return len(list(rows))

    return junction.run(go())


def _flow(junction: Junction, crm: CrmApi, mailer: MailerApi) -> InstalledFlow:
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
    activate(flow, {})
    return flow


# -- per-account limit: one busy account starves every other account ----------------------


def test_a_busy_account_does_not_starve_other_accounts(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """One account's backlog, however old, does not keep another account's due work
    from being claimed while the first is at its concurrency limit."""
    busy = _flow(junction, crm, mailer)
    quiet = _flow(junction, crm, mailer)

    def body() -> None:
        now = junction.clock()
        _insert(
            junction,
            [_row(busy, now=now, due=now - timedelta(minutes=10, seconds=-i)) for i in range(40)],
        )
        [other] = [_row(quiet, now=now, due=now - timedelta(minutes=1))]
        _insert(junction, [other])
        # The busy account already runs its limit here; the quiet one runs nothing.
        claimed = _claim(junction, limit=8, account_room={busy.account_id: 0}, default_room=8)
        assert claimed == [other["id"]]

    _with_dispatcher_stopped(junction, body)


# -- orphaned Running rows sort last on PostgreSQL (NULL due_at) ---------------------------


def test_an_expired_lease_is_taken_over_in_due_order_on_both_databases(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """A transaction whose process died (lease expired) is taken over in due order on both
    databases, also when its due time is empty (NULLs sort differently on each)."""
    flow = _flow(junction, crm, mailer)

    def body() -> None:
        now = junction.clock()
        orphan = _row(
            flow,
            now=now - timedelta(hours=1),
            due=now - timedelta(hours=1),
            status=tx.Status.RUNNING.value,
            lease_owner="a-process-that-died",
            lease_expires_at=now - timedelta(minutes=30),
            steps_run=1,
        )
        orphan["due_at"] = None  # what checkpoint() writes for a Running transaction
        _insert(junction, [orphan])
        _insert(junction, [_row(flow, now=now, due=now - timedelta(minutes=1)) for _ in range(8)])
        claimed = _claim(junction, limit=1, default_room=8)
        # Its lease ran out half an hour before any queued row was due.
        assert claimed == [orphan["id"]]

    _with_dispatcher_stopped(junction, body)


# -- a trigger waiting for its retry does not hold back the next run: both run at once ----


def _plain_crm() -> dict[str, Any]:
    """The test CRM under another name, without an EntityIdentifier response field."""
    definition = crm_definition()
    definition["Name"] = "Test CRM Plain"
    for method in definition["Methods"]:
        for response_field in method.get("ResponseFields", []):
            response_field.pop("EntityIdentifier", None)
    return definition


def test_a_retried_trigger_and_the_next_scheduled_run_do_not_both_hand_items_on(
    junction: Junction, crm: CrmApi, mailer: MailerApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger waiting to retry holds the next scheduled run back, so two runs never read
    the same LastSuccessfulRunDate and hand the same items on twice."""
    monkeypatch.setattr(engine_flows, "crm_definition", _plain_crm)
    flow = install_flow(
        junction,
        crm,
        mailer,
        scheduled_sync("Test CRM Plain", settings={"StepErrorAction": "Retry"}),
    )
    clock = junction.clock
    start = clock.now
    activate(flow, {"Interval": 1})
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) == 1)  # found nothing: T0
    settled(flow, 0)
    crm.fail_next(1, 400)
    clock.advance(timedelta(minutes=1))  # run 1 fails: Waiting, its retry due at T0+2min
    wait_for(lambda: [t["Status"] for t in transactions(flow)] == ["Waiting"])
    for n in range(3):
        crm.add_contact(email=f"c{n}@example.com", created=start + timedelta(seconds=90))
    crm.delay_seconds = 2  # both runs are inside their GET at the same time
    try:
        clock.advance(timedelta(minutes=1))  # the retry is due; run 2 is held back by it
        wait_for(lambda: len(crm.requests_to("GET", "/contacts")) >= 3)
        wait_for(lambda: _in_progress(junction, flow) == 0)
    finally:
        crm.delay_seconds = 0
    emails = sorted(s["email"] for s in mailer.subscribers)
    assert emails == [f"c{n}@example.com" for n in range(3)], emails


# -- Retry re-sends the items of a collection that already succeeded -----------------------


def test_retry_does_not_resend_items_that_succeeded(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """A step mapped from a collection calls the API once per item; when one item fails it
    is not retried, which would repeat the calls that succeeded (as in Cyclr, only steps
    that make one request are retried)."""
    crm.add_contact(email="first@example.com")
    crm.add_contact(email="")  # the mailer answers 422 (or the request cannot be built)
    crm.add_contact(email="third@example.com")
    flow = install_flow(
        junction,
        crm,
        mailer,
        document(
            hook(),
            listing(),
            add("list"),
            settings={"StepErrorAction": "Retry", "RetryAttempts": 1},
        ),
    )
    url = activate(flow, {})["Webhooks"][0]["Url"]
    httpx.post(url, json={"id": 1, "email": "go@example.com"})
    [item] = settled(flow, 1)
    assert item["Status"] == "Errored"
    emails = [s["email"] for s in mailer.subscribers]
    assert emails.count("first@example.com") == 1, emails


# -- seen items are forgotten after 31 days although the API still returns them ----------


def test_seen_items_are_not_handed_on_again_after_retention(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """An id the API keeps returning stays seen: its seen time is refreshed on every run,
    so the retention of seen items never lets it through again."""
    clock = junction.clock
    flow = install_flow(junction, crm, mailer, scheduled_sync())
    activate(flow, {"Interval": 1440})
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) == 1)
    settled(flow, 0)
    # An item the API keeps returning (its date is after every run's filter).
    crm.add_contact(email="sticky@example.com", created=clock.now + timedelta(days=90))
    for _day in range(35):
        clock.advance(timedelta(days=1))
        runs = len(crm.requests_to("GET", "/contacts"))

        def ran(before: int = runs) -> bool:
            return len(crm.requests_to("GET", "/contacts")) > before

        # Ticked here rather than waiting for the next tick (once a second with workers).
        junction.run(junction.dispatcher.tick())
        junction.dispatcher.wake()
        wait_for(ran)
        wait_for(lambda: _in_progress(junction, flow) == 0)
        junction.run(
            retention.purge_step_data(
                database=junction.services.database,
                settings=junction.services.settings,
                now=clock.now,
            )
        )
    emails = [s["email"] for s in mailer.subscribers]
    assert emails.count("sticky@example.com") == 1, emails


# -- a database hiccup during a checkpoint ends the transaction Errored for good ----------


def test_a_failed_checkpoint_write_is_retried_not_turned_into_an_error(
    junction: Junction, crm: CrmApi, mailer: MailerApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient database error while writing a checkpoint is retried, not turned into
    an Errored transaction."""
    flow = _flow(junction, crm, mailer)
    real = tx.checkpoint
    failures = {"left": 1}

    async def flaky(session: Any, claimed: Any, **kwargs: Any) -> None:
        if failures["left"] and kwargs["change"].status is tx.Status.COMPLETED:
            failures["left"] -= 1
            raise OperationalError("UPDATE transactions", {}, Exception("database is locked"))
        await real(session, claimed, **kwargs)

    monkeypatch.setattr(tx, "checkpoint", flaky)
    url = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Webhooks"][0]["Url"]
    httpx.post(url, json={"email": "hiccup@example.com"})
    wait_for(lambda: failures["left"] == 0)
    junction.clock.advance(timedelta(minutes=2))  # any lease has run out
    junction.dispatcher.wake()
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed", item


# -- an auto-paused cycle keeps Waiting transactions forever -------------------------------


def test_transactions_of_a_cycle_paused_for_errors_do_not_wait_forever(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """A cycle paused for repeated errors leaves nothing in progress for ever: its waiting
    transactions are stopped."""
    engine = junction.engine
    assert engine is not None
    steps = [
        hook(),
        {
            "Key": "check",
            "Name": "Bad?",
            "StepType": "Decision",
            "Conditions": [
                {
                    "Left": {
                        "MappingType": "StepData",
                        "SourceStepKey": "hook",
                        "SourceField": "Email",
                    },
                    "Operator": "Equals",
                    "Right": {"MappingType": "StaticValue", "Value": "bad@example.com"},
                }
            ],
        },
        add("hook") | {"Key": "now", "Name": "Add now"},
        {"Key": "wait", "Name": "Later", "StepType": "Delay", "DelaySeconds": 3600},
        add("hook"),
    ]
    doc = document(*steps)
    doc["Edges"] = [
        {"TailStepKey": "hook", "HeadStepKey": "check"},
        {"TailStepKey": "check", "HeadStepKey": "now", "EdgeType": "True"},
        {"TailStepKey": "check", "HeadStepKey": "wait", "EdgeType": "False"},
        {"TailStepKey": "wait", "HeadStepKey": "add"},
    ]
    flow = install_flow(junction, crm, mailer, doc)
    url = activate(flow, {})["Webhooks"][0]["Url"]
    limit = engine.options.consecutive_error_limit
    engine.options.consecutive_error_limit = 1
    try:
        waiting = httpx.post(url, json={"email": "w@example.com"}).json()["TransactionId"]
        wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
        mailer.fail_next(1, 400)
        httpx.post(url, json={"email": "bad@example.com"})
        wait_for(
            lambda: flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Status"] == "Paused"
        )
    finally:
        engine.options.consecutive_error_limit = limit
    junction.clock.advance(timedelta(days=3))
    junction.run(junction.dispatcher.housekeep())
    status = next(t for t in transactions(flow) if t["Id"] == waiting)["Status"]
    assert status not in ("Waiting", "Running", "Queued"), status


# -- LogStepDataRequests off: the request body still lands in the incident -----------------


def test_request_bodies_are_not_kept_in_incidents_when_requests_are_not_logged(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """With LogStepDataRequests off, request and response bodies stay out of incidents (and
    so out of the transaction error webhook) as they stay out of step data."""
    flow = install_flow(
        junction,
        crm,
        mailer,
        document(hook(), add("hook"), settings={"LogStepDataRequests": False}),
    )
    url = activate(flow, {})["Webhooks"][0]["Url"]
    mailer.fail_next(1, 400)
    httpx.post(url, json={"email": "private.person@example.com"})
    [item] = settled(flow, 1)
    assert item["Status"] == "Errored"
    steps = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/transactions/{item['Id']}").json()
    assert "private.person" not in str(steps[-1]["Exchanges"])  # as designed
    [incident] = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/incidents").json()
    assert "private.person" not in (incident["FullMessage"] or ""), incident["FullMessage"]


def test_a_success_resets_errors_counted_while_it_ran(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """Transactions run side by side: errors of others may raise the cycle's count after a
    transaction was claimed; its success still ends the run of errors."""
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
    url = activate(flow, {})["Webhooks"][0]["Url"]

    async def errors(value: int | None = None) -> int:
        async with junction.services.database.transaction() as session:
            cycle = await session.get(Cycle, flow.cycle_id)
            assert cycle is not None
            if value is not None:
                cycle.consecutive_errors = value
            return cycle.consecutive_errors

    mailer.delay_seconds = 1.0
    try:
        httpx.post(url, json={"email": "ran@example.com"})
        wait_for(lambda: [t["Status"] for t in transactions(flow)] == ["Running"])
        junction.run(errors(5))  # as if five others had ended Errored meanwhile
        wait_for(lambda: [t["Status"] for t in transactions(flow)] == ["Completed"])
    finally:
        mailer.delay_seconds = 0
    assert junction.run(errors()) == 0


def test_a_job_claims_its_transaction_only_when_due(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """``claim_one`` (a procrastinate job's claim): due and of a running cycle, once; a
    lease that ran out is taken over; not due yet, or of a paused cycle, never."""
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
    activate(flow, {})
    lease = timedelta(seconds=60)

    def body() -> None:
        async def go() -> list[object]:
            now = junction.clock()
            database = junction.services.database
            rows = [
                tx.new_row(
                    account_id=flow.account_id,
                    cycle_id=flow.cycle_id,
                    step_id=flow.step_ids["hook"],
                    origin="Webhook",
                    now=now,
                    payload={"email": "one@example.com"},
                )
                for _ in range(2)
            ]
            rows[1]["due_at"] = now + timedelta(minutes=5)
            async with database.transaction() as session:
                await tx.insert_rows(session, rows)
            seen: list[object] = []
            for transaction_id, owner, at in [
                (rows[0]["id"], "a", now),  # due: taken
                (rows[0]["id"], "b", now),  # held by a live lease
                (rows[0]["id"], "b", now + timedelta(minutes=2)),  # the lease ran out
                (rows[1]["id"], "a", now),  # not due yet
            ]:
                async with database.transaction() as session:
                    claimed = await tx.claim_one(
                        session, transaction_id, owner=owner, now=at, lease=lease
                    )
                seen.append((claimed.id, claimed.previous_owner) if claimed is not None else None)
            async with database.transaction() as session:
                cycle = await session.get(Cycle, flow.cycle_id)
                assert cycle is not None
                cycle.status = "Paused"
            async with database.transaction() as session:
                claimed = await tx.claim_one(
                    session, rows[1]["id"], owner="a", now=now + timedelta(hours=1), lease=lease
                )
            seen.append(claimed)
            return [seen, rows[0]["id"]]

        seen, first = junction.run(go())
        # The takeover knows whose lease it replaced (for its log line).
        assert seen == [(first, None), None, (first, "a"), None, None]

    _with_dispatcher_stopped(junction, body)
