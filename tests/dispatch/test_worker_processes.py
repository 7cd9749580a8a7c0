"""The procrastinate dispatcher with real processes on PostgreSQL: ``junction serve`` takes
the webhooks, ``junction worker`` processes run the transactions.

- One of two workers is killed (SIGKILL) in the middle of 1,000 transactions: the other
  finishes them all, none lost or stuck, and no step outcome is recorded twice (a killed
  worker's in-flight calls may reach the target twice: delivery is at least once).
- SIGTERM: the worker stops taking jobs, gives running transactions the grace period, hands
  back the rest, and exits 0; another worker finishes what it handed back.
- The per-account limit holds across workers.
- Start-up errors: the procrastinate dispatcher on SQLite, a worker without it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from tests.engine.test_crash_recovery import Sender
from tests.fixtures.databases import fresh_database
from tests.fixtures.items import STATUSES, ItemsApi, counts, set_up_cycle
from tests.fixtures.process import JunctionProcess, WorkerProcess

# Real junction processes: part of the full run, not of the fast path.
pytestmark = pytest.mark.slow

ITEMS = 1000
LEASE_SECONDS = 3
DEADLINE_SECONDS = 120


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgres", tmp_path) as url:
        yield url


def serving(tmp_path: Path, url: str, **settings: object) -> JunctionProcess:
    return JunctionProcess(
        tmp_path / "data",
        database_url=url,
        dispatcher="procrastinate",
        outbound_allow_loopback="true",
        lease_seconds=LEASE_SECONDS,
        serve_args=(),
        split_stderr=False,
        **settings,
    )


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as db:
        return list(db.execute(query).fetchall())


def wait_until_completed(account: httpx.Client, cycle_id: str, total: int) -> dict[str, int]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        found = counts(account, cycle_id, ("Completed",))
        if found["All"] >= total and found["Completed"] == found["All"]:
            return counts(account, cycle_id, STATUSES)
        assert time.monotonic() < deadline, f"not all Completed in time: {found}"
        time.sleep(0.5)


def test_a_killed_worker_loses_nothing(tmp_path: Path, database: str) -> None:
    target = ItemsApi()
    target.delay_seconds = 0.02
    server = serving(tmp_path, database, account_concurrency_limit=16)
    first = WorkerProcess(server, "worker-1", concurrency=8)
    second = WorkerProcess(server, "worker-2", concurrency=8)
    with target, server, first, second:
        server.start()
        account, cycle_id, url = set_up_cycle(server, target.base_url)
        first.start()
        second.start()
        sender = Sender(url)
        killed: dict[str, int] = {}

        async def send_and_kill() -> None:
            async def killer() -> None:
                # Polled: the target runs in another thread, with no event to wait on.
                while True:
                    if sum(target.items().values()) >= 250 and target.in_flight() > 0:
                        break
                    await asyncio.sleep(0.005)
                first.kill()
                killed.update(received=sum(target.items().values()), sent=len(sender.accepted))

            watch = asyncio.create_task(killer())
            assert await sender.send(list(range(ITEMS))) == []
            await asyncio.wait_for(watch, 60)

        asyncio.run(send_and_kill())
        assert sender.failed == [], (
            f"the server took every call; only a worker died: {sender.errors}"
        )
        assert killed["received"] < ITEMS, killed
        assert second.alive, second.log_tail()

        found = wait_until_completed(account, cycle_id, ITEMS)
        assert found["All"] == found["Completed"] == ITEMS, found
        account.close()

        received = target.items()
        assert sorted(received) == list(range(ITEMS)), "every item reached the target"
        statuses = Counter(
            status for (status,) in rows(database, "SELECT status FROM transactions")
        )
        assert statuses == {"Completed": ITEMS}
        twice = rows(
            database,
            "SELECT transaction_id, step_id, count(*) FROM transaction_steps "
            "GROUP BY transaction_id, step_id HAVING count(*) > 1",
        )
        assert twice == [], "a step outcome recorded twice"
        steps = rows(database, "SELECT count(*) FROM transaction_steps")
        assert steps == [(2 * ITEMS,)]
        left = rows(
            database,
            "SELECT status, count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'junction.run_transaction' GROUP BY status",
        )
        assert left == [], f"jobs left behind: {left}"


def test_sigterm_hands_back_what_is_running(tmp_path: Path, database: str) -> None:
    target = ItemsApi()
    target.delay_seconds = 3  # longer than the grace period
    server = serving(tmp_path, database, worker_shutdown_grace_seconds=0.5)
    leaving = WorkerProcess(server, "leaving", concurrency=4)
    staying = WorkerProcess(server, "staying", concurrency=4)
    with target, server, leaving, staying:
        server.start()
        account, cycle_id, url = set_up_cycle(server, target.base_url)
        leaving.start()
        sender = Sender(url)
        assert asyncio.run(sender.send(list(range(6)))) == []
        deadline = time.monotonic() + 30
        while target.in_flight() == 0:
            assert time.monotonic() < deadline, leaving.log_tail()
            time.sleep(0.02)
        started = time.monotonic()
        assert leaving.stop(timeout=20) == 0
        assert time.monotonic() - started < 10, "the grace period is half a second"
        # Handed back at their current step, Queued: not left Running under a lease.
        held = rows(database, "SELECT count(*) FROM transactions WHERE lease_owner IS NOT NULL")
        assert held == [(0,)]
        target.delay_seconds = 0
        staying.start()
        found = wait_until_completed(account, cycle_id, 6)
        assert found["Completed"] == 6, found
        assert sorted(target.items()) == list(range(6))
        account.close()


class GaugedItemsApi(ItemsApi):
    """Counts the calls it is answering at once, and the most ever."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def add_routes(self, app: web.Application) -> None:
        async def create(request: web.Request) -> web.Response:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                await asyncio.sleep(0.3)
                return web.json_response({"id": (await request.json())["item"]}, status=201)
            finally:
                with self.lock:
                    self.now -= 1

        app.router.add_post("/items", create)


def test_the_account_limit_holds_across_workers(tmp_path: Path, database: str) -> None:
    target = GaugedItemsApi()
    server = serving(tmp_path, database, account_concurrency_limit=3)
    workers = [WorkerProcess(server, f"worker-{n}", concurrency=8) for n in (1, 2)]
    with target, server, workers[0], workers[1]:
        server.start()
        account, cycle_id, url = set_up_cycle(server, target.base_url)
        for worker in workers:
            worker.start()
        assert asyncio.run(Sender(url).send(list(range(30)))) == []
        found = wait_until_completed(account, cycle_id, 30)
        assert found["Completed"] == 30, found
        account.close()
    assert target.most == 3, f"at most 3 of the account's transactions at once: {target.most}"


def junction(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {"JUNCTION_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    env |= {f"JUNCTION_{k.upper()}": v for k, v in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "junction", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_procrastinate_needs_postgresql(tmp_path: Path) -> None:
    for command in (("serve",), ("worker",)):
        done = junction(tmp_path, *command, dispatcher="procrastinate")
        assert done.returncode != 0
        assert "JUNCTION_DISPATCHER=procrastinate needs PostgreSQL" in done.stdout + done.stderr


def test_a_worker_needs_the_procrastinate_dispatcher(tmp_path: Path) -> None:
    done = junction(tmp_path, "worker")
    assert done.returncode != 0
    assert "set JUNCTION_DISPATCHER=procrastinate" in done.stdout + done.stderr
