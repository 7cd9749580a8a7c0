"""PostgreSQL stopped and started again during a webhook burst loses no accepted call.

A private PostgreSQL cluster (``tests.fixtures.pg_cluster``) is crashed (``pg_ctl stop -m
immediate``) while webhook calls pour in and transactions run, and started again a few
seconds later. While it is down, a webhook call must be refused with 503 (the sender keeps
its data), never acknowledged and then lost. Afterwards every acknowledged call's
transaction ends Completed and its item reaches the target API; the calls refused during
the outage are sent again, as a real sender does, so in the end every item arrives.

It runs twice: ``junction serve`` alone with the local dispatcher, and ``junction serve``
with one ``junction worker`` (the procrastinate dispatcher). Every process must live
through the outage: a database that goes away for a few seconds is an ordinary event, not
a reason to exit.

A call may be stored just before the crash without its answer getting out; it is sent
again, so the database may hold a few more transactions than there are items, and the
target may see a few items twice (steps run at least once).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.fixtures.items import ItemsApi, counts, set_up_cycle
from tests.fixtures.pg_cluster import PgCluster, private_cluster
from tests.fixtures.process import JunctionProcess, WorkerProcess

# Real junction processes: part of the full run, not of the fast path.
pytestmark = pytest.mark.slow

ITEMS = 600
SENDERS = 30  # webhook calls in flight
CRASH_AFTER = 150  # acknowledged calls before the database goes down
OUTAGE_SECONDS = 3.0  # calls keep coming this long while it is down
BACKOFF_SECONDS = 0.25  # a sender's pause after a refused call
WORKERS = 16  # transactions run at once (and the per-account limit)
LEASE_SECONDS = 5
RESEND_SECONDS = 30  # how long the sender keeps trying after the restart
DEADLINE_SECONDS = 80  # for every transaction to end once the database is back

ENDED = ("Completed", "Errored", "Stopped")
UNFINISHED = ("Queued", "Running", "Waiting")


@dataclass
class Refusal:
    item: int
    at: float  # time.monotonic()
    status: int | None  # None: no answer (a connection error)
    detail: str


@dataclass
class Sender:
    """Sends items; one counts as accepted only when the server answered 2xx."""

    url: str
    accepted: dict[int, str] = field(default_factory=dict)  # item → TransactionId
    refusals: list[Refusal] = field(default_factory=list)
    to_resend: list[int] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # any other answer: a failure

    async def post(self, client: httpx.AsyncClient, item: int) -> bool:
        """One call; True when accepted. A refusal is recorded, anything else too."""
        try:
            answer = await client.post(self.url, json={"item": item})
        except httpx.TransportError as exc:
            self.refusals.append(Refusal(item, time.monotonic(), None, repr(exc)))
            return False
        if answer.is_success:
            assert item not in self.accepted, f"item {item} accepted twice"
            self.accepted[item] = answer.json()["TransactionId"]
            return True
        if answer.status_code == 503 and answer.headers.get("Retry-After"):
            self.refusals.append(Refusal(item, time.monotonic(), 503, answer.text))
        else:
            self.unexpected.append(f"item {item}: {answer.status_code} {answer.text}")
        return False

    async def burst(self, items: list[int], stop: asyncio.Event) -> list[int]:
        """Send ``items`` with SENDERS in flight until ``stop``; a refused item is kept for
        later and the sender pauses. Returns what was not sent yet."""
        queue = list(reversed(items))
        limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def worker() -> None:
                while queue and not stop.is_set():
                    item = queue.pop()
                    if not await self.post(client, item):
                        self.to_resend.append(item)
                        await asyncio.sleep(BACKOFF_SECONDS)

            await asyncio.gather(*(worker() for _ in range(SENDERS)))
        return list(reversed(queue))

    async def resend(self, items: list[int], deadline: float) -> None:
        """Send each item until it is accepted (or the deadline passes), as a sender that
        was refused does once the service is back."""
        queue = list(reversed(items))
        limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def worker() -> None:
                while queue:
                    item = queue.pop()
                    while not await self.post(client, item):
                        assert time.monotonic() < deadline, f"item {item} still refused"
                        await asyncio.sleep(BACKOFF_SECONDS)

            await asyncio.gather(*(worker() for _ in range(SENDERS)))


@dataclass
class Outage:
    started: float = 0.0  # when the crash began (time.monotonic())
    accepted_before: int = 0
    received_before: int = 0
    unsent: list[int] = field(default_factory=list)


async def burst_with_outage(sender: Sender, cluster: PgCluster, target: ItemsApi) -> Outage:
    """Send every item; once CRASH_AFTER were accepted (and some are still on their way to
    the target), crash the database and keep sending for OUTAGE_SECONDS. The database is
    left down."""
    outage = Outage()
    stop = asyncio.Event()

    async def crasher() -> None:
        while True:
            accepted = len(sender.accepted)
            if accepted >= CRASH_AFTER and sum(target.items().values()) < accepted:
                break
            # An engine that keeps up with every call leaves no moment with accepted
            # items not yet at the target: crash anyway rather than never.
            if accepted >= CRASH_AFTER * 2:
                break
            await asyncio.sleep(0.005)
        outage.accepted_before = len(sender.accepted)
        outage.received_before = sum(target.items().values())
        outage.started = time.monotonic()
        await asyncio.to_thread(cluster.crash)
        await asyncio.sleep(OUTAGE_SECONDS)
        stop.set()

    crash = asyncio.create_task(crasher())
    outage.unsent = await sender.burst(list(range(ITEMS)), stop)
    assert crash.done(), "every item was sent before the crash; send more or crash sooner"
    await crash
    return outage


def read_database(cluster: PgCluster, cycle_id: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every transaction's status, and the names of its recorded steps in order."""
    statuses = {
        str(tid): str(status)
        for tid, status in cluster.query(
            f"SELECT id, status FROM transactions WHERE cycle_id = '{cycle_id}'"
        )
    }
    steps: dict[str, list[str]] = {}
    for tid, name in cluster.query(
        "SELECT s.transaction_id, s.step_name FROM transaction_steps s "
        f"JOIN transactions t ON t.id = s.transaction_id WHERE t.cycle_id = '{cycle_id}' "
        "ORDER BY s.transaction_id, s.sequence"
    ):
        steps.setdefault(str(tid), []).append(str(name))
    return statuses, steps


def assert_alive(server: JunctionProcess, workers: list[WorkerProcess], when: str) -> None:
    running = server.process is not None and server.process.poll() is None
    assert running, f"junction serve exited {when}"
    for process in workers:
        assert process.alive, f"junction worker exited {when}"


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    with private_cluster() as running:
        yield running


@pytest.mark.parametrize("dispatcher", ["local", "procrastinate"])
def test_no_accepted_webhook_is_lost_when_the_database_goes_down(
    dispatcher: str, cluster: PgCluster, tmp_path: Path
) -> None:
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    target = ItemsApi()
    target.delay_seconds = 0.02  # so that work is in flight when the database goes
    server = JunctionProcess(
        tmp_path / "data",
        database_url=cluster.url,
        dispatcher=dispatcher,
        outbound_allow_loopback="true",
        lease_seconds=LEASE_SECONDS,
        poll_interval_seconds=0.2,
        worker_concurrency=WORKERS,
        account_concurrency_limit=WORKERS,
    )
    worker = WorkerProcess(server, "worker", concurrency=WORKERS)
    workers = [worker] if dispatcher == "procrastinate" else []
    try:
        target.start()
        server.start()
        for process in workers:
            process.start()
        account, cycle_id, url = set_up_cycle(server, target.base_url, "Outage")
        sender = Sender(url)
        phase("set-up")

        outage = asyncio.run(burst_with_outage(sender, cluster, target))
        phase("burst and outage")
        assert sender.unexpected == [], sender.unexpected[:10]
        # Refused only while the database was down, and refused visibly: a 503 (or, at
        # worst, a call that got no answer), never a 2xx for what was not stored.
        early = [r for r in sender.refusals if r.at < outage.started]
        assert early == [], early[:5]
        refused_503 = sum(1 for r in sender.refusals if r.status == 503)
        no_answer = [r for r in sender.refusals if r.status is None]
        assert refused_503 > 0, "no call was refused while the database was down"
        assert_alive(server, workers, "while the database was down")

        cluster.start()
        phase("database back")
        resend = sorted(set(sender.to_resend) - set(sender.accepted)) + outage.unsent
        asyncio.run(sender.resend(resend, time.monotonic() + RESEND_SECONDS))
        assert sender.unexpected == [], sender.unexpected[:10]
        assert sorted(sender.accepted) == list(range(ITEMS))
        assert len(set(sender.accepted.values())) == ITEMS
        phase("rest sent")

        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            # Every call was acknowledged, so "All" only grows by late resends, which are
            # done: once the later count of Completed reaches it, every transaction ended.
            found = counts(account, cycle_id, ("Completed",))
            if found["All"] >= ITEMS and found["Completed"] == found["All"]:
                break
            assert time.monotonic() < deadline, (
                f"not all Completed in time: {counts(account, cycle_id, (*UNFINISHED, *ENDED))}"
            )
            time.sleep(0.5)
        found = counts(account, cycle_id, (*UNFINISHED, *ENDED))
        assert found["Completed"] == found["All"], found
        assert all(found[s] == 0 for s in (*UNFINISHED, "Errored", "Stopped")), found
        phase("all Completed")
        account.close()

        assert_alive(server, workers, "after the outage")

        stored, steps = read_database(cluster, cycle_id)
        missing = [i for i, t in sender.accepted.items() if t not in stored]
        assert missing == [], f"acknowledged, then lost: items {missing[:20]}"
        assert Counter(stored.values()) == {"Completed": len(stored)}
        assert all(steps.get(t) == ["Item sent", "Create item"] for t in stored), (
            "each transaction's step data is its two steps, recorded once"
        )
        # Stored during the crash without the answer getting out; their items were sent
        # again.
        unacknowledged = len(stored) - ITEMS
        assert 0 <= unacknowledged <= len(sender.refusals)

        received = target.items()
        assert sorted(received) == list(range(ITEMS)), "an item never reached the target"
        duplicates = sum(received.values()) - ITEMS
        # At most one repeat per transaction running at the crash, plus the items of
        # unacknowledged calls that were stored and then sent again.
        assert duplicates <= WORKERS + unacknowledged, (duplicates, unacknowledged)
        assert all(r.status == 201 for r in target.requests if r.status is not None)
        print(
            f"\ndatabase outage ({dispatcher}): crashed after {outage.accepted_before} "
            f"accepted, {outage.received_before} received; {refused_503} calls refused with "
            f"503 and {len(no_answer)} without an answer; {len(resend)} items sent again; "
            f"{unacknowledged} stored but unacknowledged; {duplicates} duplicate deliveries; "
            f"{time.monotonic() - started:.1f} s ({phases})"
        )
    except BaseException:
        print(f"--- junction serve ---\n{server.log_tail(60)}")
        for process in workers:
            print(f"--- junction worker ---\n{process.log_tail(60)}")
        print(f"--- postgres ---\n{cluster.log_tail()}")
        raise
    finally:
        for process in workers:
            process.kill()
        server.kill()
        target.stop()
