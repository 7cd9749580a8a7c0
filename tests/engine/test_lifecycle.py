"""Stopping and finishing cycles, schedules (StartTime, RunOnce), one scheduler among many
processes, the per-account limit, shutdown, and retention on a running server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from junction.dispatch.local import LocalDispatcher
from junction.dispatch.worker import Worker
from junction.engine import transactions as tx
from junction.engine.models import StepRun, Transaction
from junction.engine.runner import Engine, EngineOptions
from junction.reports import retention
from junction.services import worker_beside
from tests.engine.hooks import wait_for
from tests.engine.test_flows import activate, settled, transactions
from tests.engine.test_tools_and_splitting import add, document, hook
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import InstalledFlow, install_flow, scheduled_sync
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import PROCRASTINATE, Junction

DELAY = {"Key": "wait", "Name": "An hour", "StepType": "Delay", "DelaySeconds": 3600}


def delayed_flow(junction: Junction, crm: CrmApi, mailer: MailerApi) -> tuple[InstalledFlow, str]:
    flow = install_flow(junction, crm, mailer, document(hook(), DELAY, add("hook")))
    return flow, activate(flow, {})["Webhooks"][0]["Url"]


def test_stop_ends_started_transactions(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    flow, url = delayed_flow(junction, crm, mailer)
    httpx.post(url, json=crm.add_contact(email="a@example.com"))
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    stopped = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/deactivate")
    assert stopped.status_code == 200
    [item] = transactions(flow)
    assert (item["Status"], item["Message"]) == ("Stopped", "Transaction Stopped")
    junction.clock.advance(timedelta(hours=2))
    activate(flow, {})
    junction.dispatcher.wake()
    assert transactions(flow)[0]["Status"] == "Stopped"
    assert mailer.subscribers == []


def test_finish_and_stop_lets_transactions_end(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, url = delayed_flow(junction, crm, mailer)
    httpx.post(url, json=crm.add_contact(email="b@example.com"))
    wait_for(lambda: transactions(flow)[0]["Status"] == "Waiting")
    finishing = flow.account.put(
        f"/v1.0/cycles/{flow.cycle_id}/deactivate", params={"finishQueuedTransactions": "true"}
    )
    assert finishing.json()["Status"] == "Paused"
    # While it drains it takes no calls and no changes.
    assert httpx.post(url, json={"email": "c@example.com"}).status_code == 409
    change = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}", json={"Name": "Renamed"})
    assert change.status_code == 409
    junction.clock.advance(timedelta(hours=1, seconds=1))
    [item] = settled(flow, 1)
    assert item["Status"] == "Completed"
    assert [s["email"] for s in mailer.subscribers] == ["b@example.com"]
    junction.run(junction.dispatcher.housekeep())
    renamed = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}", json={"Name": "Renamed"})
    assert renamed.status_code == 200, renamed.text


def test_the_queue_of_a_cycle_stopped_for_a_day_is_cancelled(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow, _ = delayed_flow(junction, crm, mailer)
    flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/deactivate")

    async def queue_one() -> str:
        row = tx.new_row(
            account_id=flow.account_id,
            cycle_id=flow.cycle_id,
            step_id=flow.step_ids["hook"],
            origin="Webhook",
            now=junction.clock(),
            payload={"email": "q@example.com"},
        )
        async with junction.services.database.transaction() as session:
            await tx.insert_rows(session, [row])
        return str(row["id"])

    queued = junction.run(queue_one())
    junction.clock.advance(timedelta(hours=23))
    junction.run(junction.dispatcher.housekeep())
    assert transactions(flow)[0]["Status"] == "Queued"
    junction.clock.advance(timedelta(hours=2))
    junction.run(junction.dispatcher.housekeep())
    [item] = transactions(flow)
    assert (item["Id"], item["Status"]) == (queued, "Stopped")


def test_start_time_and_run_once(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    flow = install_flow(junction, crm, mailer, scheduled_sync())
    start = junction.clock.now + timedelta(hours=1)
    activate(flow, {"StartTime": start.isoformat(), "RunOnce": True})
    junction.run(junction.dispatcher.tick())
    assert crm.requests_to("GET", "/contacts") == []
    junction.clock.advance(timedelta(hours=1))
    wait_for(lambda: len(crm.requests_to("GET", "/contacts")) == 1)
    wait_for(lambda: flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Status"] == "Paused")
    junction.clock.advance(timedelta(days=1))
    junction.run(junction.dispatcher.tick())
    assert len(crm.requests_to("GET", "/contacts")) == 1


def test_only_one_process_schedules(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    """A second process on the same database: whoever holds the scheduler lease ticks.
    With workers, any may tick (procrastinate runs each tick once; tests/dispatch), and two
    ticks at the same moment still queue a due run once."""
    if junction.backend == PROCRASTINATE:
        flow = install_flow(junction, crm, mailer, scheduled_sync())
        start = junction.clock.now + timedelta(hours=1)
        activate(flow, {"StartTime": start.isoformat(), "Interval": 60})
        worker = worker_beside(junction.services)  # another process: a job queue of its own
        # Stopped, so that only the two ticks below run (not the periodic one).
        junction.run(junction.dispatcher.stop(grace=0.1))
        try:
            junction.clock.advance(timedelta(hours=1))

            async def both() -> list[int]:
                server = junction.dispatcher
                assert isinstance(server, Worker)
                ticks = [server.tick(), worker.tick()]
                return list(await asyncio.gather(*ticks))

            assert sorted(junction.run(both())) == [0, 1]
        finally:
            junction.run(junction.dispatcher.start())
        return
    engine = junction.engine
    assert engine is not None
    other = LocalDispatcher(
        engine=Engine(
            database=engine.database,
            gateway=engine.gateway,
            clock=junction.clock,
            notifier=engine.notifier,
            options=EngineOptions(
                owner="another-process",
                lease=timedelta(seconds=60),
                retry_schedule=[60],
                consecutive_error_limit=0,
            ),
        ),
        database=engine.database,
        clock=junction.clock,
        concurrency=1,
        account_limit=1,
        poll_interval=1,
        stopped_queue_after=timedelta(hours=24),
    )
    junction.run(junction.dispatcher.tick())  # the server holds the lease now
    assert junction.run(other.tick()) is None
    # The server's lease runs out unrenewed: its scheduler is not told that time moved.
    listeners, junction.clock.listeners = junction.clock.listeners, []
    try:
        junction.clock.advance(timedelta(minutes=5))
    finally:
        junction.clock.listeners = listeners
    assert junction.run(other.tick()) == 0  # ...so the other process takes over
    assert junction.run(junction.dispatcher.tick()) is None


def test_an_account_runs_at_most_its_limit_at_once(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    dispatcher = junction.dispatcher
    limit = dispatcher.account_limit
    dispatcher.account_limit = 2
    mailer.delay_seconds = 0.3
    seen: list[int] = []
    try:
        flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
        url = activate(flow, {})["Webhooks"][0]["Url"]
        for n in range(6):
            httpx.post(url, json={"email": f"n{n}@example.com"})

        def count() -> bool:
            seen.append(sum(1 for t in transactions(flow) if t["Status"] == "Running"))
            return all(t["Status"] == "Completed" for t in transactions(flow))

        wait_for(count)
    finally:
        dispatcher.account_limit = limit
        mailer.delay_seconds = 0
    assert max(seen) <= 2
    assert len(mailer.subscribers) == 6


def test_shutdown_hands_back_what_it_could_not_finish(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    engine = junction.engine
    assert engine is not None
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
    flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/activate", json={})
    mailer.delay_seconds = 1.5  # well past the spare's grace below
    spare = LocalDispatcher(
        engine=engine,
        database=engine.database,
        clock=junction.clock,
        concurrency=1,
        account_limit=1,
        poll_interval=0.05,
        stopped_queue_after=timedelta(hours=24),
    )

    async def run_and_stop() -> None:
        async with engine.database.transaction() as session:
            await tx.insert_rows(
                session,
                [
                    tx.new_row(
                        account_id=flow.account_id,
                        cycle_id=flow.cycle_id,
                        step_id=flow.step_ids["hook"],
                        origin="Webhook",
                        now=junction.clock(),
                        payload={"email": "s@example.com"},
                    )
                ],
            )
        await junction.dispatcher.stop(grace=0.1)  # the server's own stops claiming
        await spare.start()
        for _ in range(100):
            if spare.running:
                break
            await asyncio.sleep(0.02)
        await spare.stop(grace=0.2)

    try:
        junction.run(run_and_stop())
        [item] = transactions(flow)
        # Released, not stuck behind an expired lease: Queued and due at once.
        assert item["Status"] == "Queued"
    finally:
        mailer.delay_seconds = 0
        junction.run(junction.dispatcher.start())
    wait_for(lambda: transactions(flow)[0]["Status"] == "Completed", timeout=20)


def test_retention_removes_step_data_on_time(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))
    updated = flow.partner.put(
        f"/v1.0/accounts/{flow.account_id}",
        json={"Name": flow.account_id, "StepDataSuccessRetentionHours": 2},
    )
    assert updated.status_code == 200, updated.text
    url = activate(flow, {})["Webhooks"][0]["Url"]
    httpx.post(url, json={"email": "r@example.com"})
    [item] = settled(flow, 1)

    def purge_at(hours: int) -> int:
        return junction.run(
            retention.purge_step_data(
                database=junction.services.database,
                settings=junction.services.settings,
                now=junction.clock.now + timedelta(hours=hours),
            )
        )

    async def step_rows() -> int:
        async with junction.services.database.transaction(read_only=True) as session:
            rows = await session.scalars(
                select(StepRun.id).join(Transaction).where(Transaction.id == item["Id"])
            )
            return len(list(rows))

    assert purge_at(1) == 0
    assert junction.run(step_rows()) == 2
    assert purge_at(3) == 1
    assert junction.run(step_rows()) == 0
    [after] = transactions(flow)
    assert (after["Status"], after["StepDataPurged"]) == ("Completed", True)
