"""Edge cases of the procrastinate dispatcher, each once a bug.

The server and one worker share this process (``running_junction(PROCRASTINATE, ...)``).
What a worker killed by SIGKILL (or cut off by a database outage) leaves behind is written
straight into procrastinate's tables: the job stays 'doing', owned by a worker whose
heartbeat has stopped.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy.engine import make_url

from junction.dispatch.jobs import RUN_TRANSACTION, SWEEP, TICK, Due, lane
from junction.dispatch.worker import Worker
from junction.engine import transactions as tx
from tests.cycles.conftest import clients, saas
from tests.engine.hooks import (
    WebhookCycle,
    chain,
    create_step,
    hook_step,
    install_webhook_cycle,
    wait_for,
)
from tests.fixtures.databases import fresh_database
from tests.fixtures.process import JunctionProcess, WorkerProcess
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import PROCRASTINATE, Junction, running_junction

__all__ = ["clients", "saas"]

Clients = tuple[httpx.Client, httpx.Client]


@pytest.fixture(scope="module")
def junction_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Junction]:
    with running_junction(PROCRASTINATE, tmp_path_factory.mktemp("dispatch-edges")) as server:
        yield server


def conninfo(junction: Junction) -> str:
    url = junction.services.settings.resolved_database_url
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def worker_of(junction: Junction) -> Worker:
    worker = junction.dispatcher
    assert isinstance(worker, Worker)
    return worker


def record(worker: Worker, name: str, seen: list[float]) -> Callable[[], None]:
    """Note the time of every run of a periodic task; returns the undo."""
    task = worker.queue.app.tasks[name]
    inner: Callable[..., Awaitable[Any]] = task.func

    async def recorded(timestamp: int) -> Any:
        seen.append(time.monotonic())
        return await inner(timestamp=timestamp)

    task.func = recorded

    def undo() -> None:
        task.func = inner

    return undo


def dead_worker(db: psycopg.Connection[Any]) -> int:
    """A procrastinate worker that stopped sending heartbeats an hour ago (SIGKILL)."""
    row = db.execute(
        "INSERT INTO procrastinate_workers (last_heartbeat) "
        "VALUES (now() - interval '1 hour') RETURNING id"
    ).fetchone()
    assert row is not None
    return int(row[0])


def leave_doing(
    db: psycopg.Connection[Any],
    worker_id: int,
    *,
    task: str,
    lock: str,
    queueing_lock: str,
    args: str,
) -> int:
    """The job a killed worker was running: 'doing', its worker silent. Inserted when the
    live worker is not running one of the same lock (the lock is unique among 'doing')."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with db.transaction():
                # The live worker prunes workers silent for long: the dead one may be gone
                # already, and comes back with its job in one transaction.
                db.execute(
                    "INSERT INTO procrastinate_workers (id, last_heartbeat) OVERRIDING SYSTEM "
                    "VALUE VALUES (%s, now() - interval '1 hour') ON CONFLICT (id) DO NOTHING",
                    (worker_id,),
                )
                row = db.execute(
                    "INSERT INTO procrastinate_jobs "
                    "(queue_name, task_name, lock, queueing_lock, args, status, worker_id) "
                    "VALUES ('junction', %s, %s, %s, %s::jsonb, 'doing', %s) RETURNING id",
                    (task, lock, queueing_lock, args, worker_id),
                ).fetchone()
            assert row is not None
            return int(row[0])
        except psycopg.errors.UniqueViolation:
            assert time.monotonic() < deadline
            time.sleep(0.005)


def forget(db: psycopg.Connection[Any], worker_id: int) -> None:
    db.execute("DELETE FROM procrastinate_jobs WHERE worker_id = %s", (worker_id,))
    db.execute("DELETE FROM procrastinate_workers WHERE id = %s", (worker_id,))


# -- a periodic job left 'doing' by a dead worker ----------------------------------


@pytest.mark.parametrize("task", [TICK, SWEEP])
def test_a_periodic_job_of_a_killed_worker_does_not_stop_that_task(
    junction: Junction, task: str
) -> None:
    """A worker killed while it ran the tick (or the sweep) leaves that job 'doing' under
    the task's lock. The next run of the task must not wait for ever behind it.

    The sweep retries stalled jobs with ``retry_job`` ('doing' -> 'todo'), which breaks
    the unique index on the queueing lock: the next timestamp's job of the same task is
    always 'todo' already (deferred every second, waiting for the lock). The error is
    swallowed, the job stays 'doing', the task never runs again. For the sweep itself it
    is worse: nothing runs the recovery any more (stalled transaction jobs, due waits)."""
    worker = worker_of(junction)
    runs: list[float] = []
    undo = record(worker, task, runs)
    with psycopg.connect(conninfo(junction), autocommit=True) as db:
        dead = dead_worker(db)
        try:
            wait_for(lambda: len(runs) >= 1, timeout=10)
            leave_doing(db, dead, task=task, lock=task, queueing_lock=task, args='{"timestamp": 1}')
            killed_at = time.monotonic()
            time.sleep(6)
            after = [t for t in runs if t > killed_at]
            left = db.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE worker_id = %s", (dead,)
            ).fetchone()
            assert after, (
                f"{task} has not run once in the 6 s after a worker died running it "
                f"(its job is still 'doing': {left})"
            )
        finally:
            forget(db, dead)
            undo()


# -- a transaction's stalled job with a second job queued, in one lane --------------

HOOK_TO_CONTACTS = {
    "Name": "Hook to contacts",
    "Steps": [hook_step(), create_step()],
    "Edges": chain("hook", "create"),
}


def completed_transaction(cycle: WebhookCycle) -> str:
    answer = httpx.post(cycle.url, json={"email": "first@example.com"})
    assert answer.status_code == 200, answer.text
    transaction_id: str = answer.json()["TransactionId"]
    cycle.wait_status(transaction_id, "Completed")
    return transaction_id


def orphan_copy(
    db: psycopg.Connection[Any], template: str, owner: str, new: str | None = None
) -> tuple[str, str]:
    """A new transaction like ``template``, Running at its second step under ``owner``'s
    lease, which expired long ago (its worker died); returns (id, account id)."""
    new = new or str(uuid.uuid4())
    db.execute(
        """
        INSERT INTO transactions (id, account_id, cycle_id, status, step_id, due_at,
            lease_owner, lease_expires_at, attempt, origin, parent_id, values, payload,
            steps_run, error_count, warning_count, message, created_at, started_at,
            ended_at, updated_at, purge_after, purged_at)
        SELECT %(new)s, t.account_id, t.cycle_id, 'Running', s.step_id, t.created_at,
            %(owner)s, '2000-01-01T00:00:00Z', 0, t.origin, NULL, t.values, NULL,
            0, 0, 0, NULL, t.created_at, t.started_at, NULL, t.updated_at, NULL, NULL
        FROM transactions t
        JOIN transaction_steps s ON s.transaction_id = t.id AND s.sequence = 2
        WHERE t.id = %(template)s
        """,
        {"new": new, "template": template, "owner": owner},
    )
    row = db.execute("SELECT account_id FROM transactions WHERE id = %s", (new,)).fetchone()
    assert row is not None
    return new, str(row[0])


def status_of(db: psycopg.Connection[Any], transaction_id: str) -> str:
    row = db.execute("SELECT status FROM transactions WHERE id = %s", (transaction_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_a_killed_workers_job_with_a_second_job_queued_does_not_block_the_lane(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    """Two processes dispatch the same transaction at once (the server after a change,
    a worker's sweep): both read "no job", one defers and a worker fetches it at once
    ('doing'), the other's defer then succeeds too, since the queueing lock is unique
    among 'todo' jobs only. The second job waits behind the first (same lane). If the
    worker running the first one dies, the sweep's ``retry_job`` of it fails on the
    queueing lock of the second, silently: the lane's lock stays held for ever, and every
    transaction of that lane (this one included) is stuck."""
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, HOOK_TO_CONTACTS)
    template = completed_transaction(cycle)
    queue = worker_of(junction).queue
    with psycopg.connect(conninfo(junction), autocommit=True) as db:
        dead = dead_worker(db)
        try:
            with db.transaction():
                stuck, account_id = orphan_copy(db, template, owner="killed-worker")
                # The first job: fetched by the worker that was then killed.
                leave_doing(
                    db,
                    dead,
                    task=RUN_TRANSACTION,
                    lock=lane(account_id, stuck, queue.lanes),
                    queueing_lock=f"transaction:{stuck}",
                    args=f'{{"transaction_id": "{stuck}"}}',
                )
            # The second job: the other process's defer, exactly as JobQueue queues it.
            junction.run(queue._defer([queue._job(Due(stuck, account_id))]))
            deadline = time.monotonic() + 8
            while status_of(db, stuck) != "Completed" and time.monotonic() < deadline:
                time.sleep(0.1)
            jobs = db.execute(
                "SELECT status, worker_id = %s FROM procrastinate_jobs "
                "WHERE queueing_lock = %s ORDER BY id",
                (dead, f"transaction:{stuck}"),
            ).fetchall()
            assert status_of(db, stuck) == "Completed", (
                f"stuck {status_of(db, stuck)}; its jobs (status, of the dead worker): {jobs}"
            )
        finally:
            forget(db, dead)
            db.execute("DELETE FROM procrastinate_jobs WHERE task_name = %s", (RUN_TRANSACTION,))


# -- periodic jobs before the backlog ----------------------------------------------


def test_periodic_jobs_are_not_fetched_after_the_whole_backlog(junction: Junction) -> None:
    """All jobs share one queue and priority 0; procrastinate fetches by (priority desc,
    id asc). The tick and the sweep deferred now come after every transaction job already
    queued in a free lane: with a backlog across many accounts, schedules, due waits and
    stalled-job recovery wait until the backlog is fetched."""
    worker = worker_of(junction)
    queue = worker.queue
    app = queue.app
    junction.run(worker.stop(grace=1))
    with psycopg.connect(conninfo(junction), autocommit=True) as db:
        probe = dead_worker(db)
        try:
            db.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
            backlog = [
                queue._job(Due(str(uuid.uuid4()), f"account-{n}")) for n in range(20)
            ]  # one transaction each of 20 accounts: 20 free lanes
            junction.run(queue._defer(backlog))
            deferrer = PeriodicDeferrer(registry=app.periodic_registry, **app.periodic_defaults)
            # Timestamps a little ahead: none of them was deferred by the stopped worker.
            junction.run(deferrer.defer_jobs(deferrer.get_previous_tasks(at=time.time() + 5)))
            order: list[str] = []
            while True:
                job = junction.run(app.job_manager.fetch_job(queues=None, worker_id=probe))
                if job is None:
                    break
                order.append(job.task_name)
            assert TICK in order, order
            assert SWEEP in order, order
            places = {name: order.index(name) + 1 for name in (TICK, SWEEP)}
            assert max(places.values()) <= 3, (
                f"fetched as number {places} of {len(order)}, after the transaction jobs"
            )
        finally:
            forget(db, probe)
            db.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
            junction.run(worker.start())


# -- a second job for what a worker runs already -----------------------------------


def test_a_worker_does_not_claim_what_it_is_running(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    """The local dispatcher passes ``exclude=`` what it runs to ``claim`` (a lease may look
    expired while a step outlives it); ``Worker.run_transaction`` does not. A second job
    for a transaction this worker is running (the sweep handed its job back as stalled
    after a long event-loop stall) makes it claim it again under the same owner: two runs
    of one transaction in one process, both passing the lease check of every checkpoint."""
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, HOOK_TO_CONTACTS)
    template = completed_transaction(cycle)
    worker = worker_of(junction)
    running = str(uuid.uuid4())
    # As if its first run were still going on here (its lease looks expired).
    worker._running[running] = tx.Claimed(
        running, "", "", None, {}, None, 0, 0, "", 0, 0, datetime.now(UTC)
    )
    before = len(saas.state.contacts)
    with psycopg.connect(conninfo(junction), autocommit=True) as db:
        try:
            orphan_copy(db, template, owner=worker.owner, new=running)
            junction.run(worker.run_transaction(running))
            assert len(saas.state.contacts) == before, "the same transaction ran twice here"
        finally:
            db.execute(
                "UPDATE transactions SET status = 'Stopped', lease_owner = NULL WHERE id = %s",
                (running,),
            )
            worker._running.pop(running, None)


# -- an in-process "no answer" and the answer another process gives ----------------

ANSWER_LATE = {
    "Name": "Answers after a slow step",
    "Steps": [
        hook_step(),
        create_step(),
        {
            "Key": "reply",
            "Name": "Reply",
            "StepType": "WebhookResponse",
            "ResponseStatus": 201,
            "FieldMappings": [{"Name": "ok", "MappingType": "StaticValue", "Value": "yes"}],
        },
    ],
    "Edges": chain("hook", "create", "reply"),
}


def test_a_lost_lease_does_not_answer_the_webhook_call_without_a_response(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    """The engine resolves the in-process future with None ("ended without a response")
    whenever ``Engine.run`` returns without Waiting: also on LeaseLost (another process
    took the transaction over and will answer), on a database set aside, and on a
    cancellation at shutdown. ``answers.wait`` takes that None as final, so the call is
    answered 200 "ended without a response" though the transaction goes on and answers."""
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, ANSWER_LATE)
    saas.state.delay_seconds = 1.5
    answers: list[httpx.Response] = []
    call = threading.Thread(
        target=lambda: answers.append(
            httpx.post(cycle.url, json={"email": "late@example.com"}, timeout=30)
        )
    )
    with psycopg.connect(conninfo(junction), autocommit=True) as db:
        try:
            call.start()
            wait_for(
                lambda: (
                    db.execute(
                        "SELECT count(*) FROM transactions WHERE status = 'Running'"
                    ).fetchone()
                    == (1,)
                ),
                timeout=10,
            )
            time.sleep(0.3)  # in the slow step
            # Another process takes it over (its lease had run out): this one's next
            # checkpoint raises LeaseLost. Then the taker "dies" too, so that this worker's
            # sweep gives it to this worker again, which runs it to its WebhookResponse.
            db.execute(
                "UPDATE transactions SET lease_owner = 'another-process', "
                "lease_expires_at = '2000-01-01T00:00:00Z' WHERE status = 'Running'"
            )
            saas.state.delay_seconds = 0
            call.join(30)
        finally:
            saas.state.delay_seconds = 0
    [answer] = answers
    listed = account.get(f"/v1.0/cycles/{cycle.id}/transactions").json()
    [only] = listed
    cycle.wait_status(only["Id"], "Completed")
    assert answer.status_code == 201, (
        f"answered {answer.status_code} {answer.json()} though the transaction went on to "
        "its WebhookResponse"
    )


# -- the housekeeping interval -----------------------------------------------------


@pytest.mark.parametrize("seconds", [45, 5400])
def test_housekeeping_keeps_its_interval(junction: Junction, seconds: float) -> None:
    """The housekeeping task looks often; its turn comes once per interval, whatever the
    interval (a cron could not say 45 s or 90 min)."""
    worker = junction.dispatcher
    assert isinstance(worker, Worker)
    runs: list[object] = []
    kept = worker.housekeeping_interval, worker.housekeep

    async def counted() -> None:
        runs.append(junction.clock())

    worker.housekeeping_interval = timedelta(seconds=seconds)
    worker.housekeep = counted  # type: ignore[method-assign]
    try:
        junction.run(worker.housekeeping_turn())
        junction.run(worker.housekeeping_turn())
        junction.clock.advance(timedelta(seconds=seconds - 1))
        junction.run(worker.housekeeping_turn())
        assert len(runs) == 1
        junction.clock.advance(timedelta(seconds=1))
        junction.run(worker.housekeeping_turn())
        assert len(runs) == 2
    finally:
        worker.housekeeping_interval, worker.housekeep = kept  # type: ignore[method-assign]


# -- real processes: SIGKILL while the tick and the sweep run -----------------------


def test_a_worker_killed_during_the_tick_and_sweep_does_not_stop_them(tmp_path: Path) -> None:
    """A worker process is killed while its tick and sweep jobs are running (they wait on
    a table lock, standing in for a slow database). Another worker must run the tick and
    the sweep again once the dead worker's heartbeat is a lease old (3 s)."""
    with fresh_database("postgres", tmp_path) as url:
        server = JunctionProcess(
            tmp_path / "data",
            database_url=url,
            dispatcher="procrastinate",
            lease_seconds=3,
        )
        killed = WorkerProcess(server, "killed", concurrency=4)
        other = WorkerProcess(server, "other", concurrency=2)
        info = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with server, killed, other, psycopg.connect(info, autocommit=True) as db:
            server.start()
            killed.start()

            def doing() -> set[str]:
                rows = db.execute(
                    "SELECT task_name FROM procrastinate_jobs WHERE status = 'doing'"
                ).fetchall()
                return {str(name) for (name,) in rows}

            def periodic_ran() -> bool:
                row = db.execute("SELECT count(*) FROM procrastinate_periodic_defers").fetchone()
                return row is not None and int(row[0]) > 0

            wait_for(periodic_ran, timeout=30)
            with psycopg.connect(info) as locker:
                locker.execute("LOCK TABLE cycles IN ACCESS EXCLUSIVE MODE")
                wait_for(lambda: {TICK, SWEEP} <= doing(), timeout=10)
                killed.kill()
                locker.rollback()
            other.start()
            # Once a lease (3 s) has passed, the other worker takes the jobs back and runs
            # them. It also runs its own ticks every second, so one look may catch a tick
            # of its own 'doing': asked until a look finds neither, which the killed
            # worker's jobs left 'doing' forever would never allow.
            try:
                wait_for(lambda: {TICK, SWEEP}.isdisjoint(doing()), timeout=20)
            except AssertionError:
                left = db.execute(
                    "SELECT task_name, status FROM procrastinate_jobs ORDER BY id"
                ).fetchall()
                raise AssertionError(
                    f"the tick and sweep of the killed worker are still 'doing': {left}\n"
                    + other.log_tail(10)
                ) from None
