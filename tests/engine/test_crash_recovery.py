"""A crash loses no accepted webhook: ``junction serve`` is killed (SIGKILL) with
transactions in flight, started again on the same data folder, and every call it
acknowledged still reaches the target API (at least once) and ends Completed.

The server is a real process (``tests.fixtures.process``); the target API is an aiohttp
server in a thread of the test, answering each POST after 20 ms so that work is in flight
when the kill comes. Calls that failed because of the kill are sent again after the
restart, as a real sender does: such a call may have been stored before the kill without
its answer getting out, so the server may hold a few more transactions than there are
items, and the target may see a few items twice.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fixtures.items import STATUSES, ItemsApi, counts, set_up_cycle
from tests.fixtures.process import JunctionProcess

# Real junction processes: part of the full run, not of the fast path.
pytestmark = pytest.mark.slow

ITEMS = 1000
SENDERS = 50  # webhook calls in flight
KILL_AFTER = 400  # acknowledged calls before the kill
WORKERS = 16  # JUNCTION_WORKER_CONCURRENCY (and the per-account limit)
LEASE_SECONDS = 3
DEADLINE_SECONDS = 90


class Sender:
    """Sends each item once; an item counts as accepted only when the server said 2xx."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.accepted: dict[int, str] = {}  # item → TransactionId
        self.failed: list[int] = []  # no answer (the kill): to send again
        self.errors: list[str] = []  # why, for the failure message of a test

    async def send(self, items: list[int], stop: asyncio.Event | None = None) -> list[int]:
        """Send ``items`` with SENDERS in flight; what was not sent once ``stop`` is set."""
        queue = list(reversed(items))
        limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def worker() -> None:
                while queue and not (stop is not None and stop.is_set()):
                    item = queue.pop()
                    try:
                        answer = await client.post(self.url, json={"item": item})
                    except httpx.TransportError as exc:
                        self.failed.append(item)
                        self.errors.append(f"item {item}: {type(exc).__name__} {exc}")
                        continue
                    assert answer.is_success, f"item {item}: {answer.status_code} {answer.text}"
                    assert item not in self.accepted
                    self.accepted[item] = answer.json()["TransactionId"]

            await asyncio.gather(*(worker() for _ in range(SENDERS)))
        return list(reversed(queue))


async def send_until_killed(
    sender: Sender, server: JunctionProcess, target: ItemsApi
) -> dict[str, int]:
    """Send every item; kill the server once KILL_AFTER were accepted, some are at the
    target API right now and some are still queued. What the kill stopped is left in
    ``sender.failed`` or returned."""
    killed = asyncio.Event()
    seen: dict[str, int] = {}

    async def killer() -> None:
        while True:
            accepted = len(sender.accepted)
            in_flight = target.in_flight()
            if accepted >= KILL_AFTER and in_flight > 0:
                received = sum(target.items().values())
                if received < accepted:  # some are still queued
                    server.kill()
                    seen.update(accepted=accepted, received=received, in_flight=in_flight)
                    killed.set()
                    return
            await asyncio.sleep(0.002)

    watch = asyncio.create_task(killer())
    unsent = await sender.send(list(range(ITEMS)), stop=killed)
    assert killed.is_set(), "every item was sent before the kill; send more or kill sooner"
    await watch
    seen["failed"], seen["unsent"] = len(sender.failed), len(unsent)
    sender.failed.extend(unsent)
    return seen


def read_database(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every transaction's status, and the names of its recorded steps in order."""
    with sqlite3.connect(path) as db:
        statuses = dict(db.execute("SELECT id, status FROM transactions").fetchall())
        steps: dict[str, list[str]] = {}
        for transaction_id, name in db.execute(
            "SELECT transaction_id, step_name FROM transaction_steps "
            "ORDER BY transaction_id, sequence"
        ):
            steps.setdefault(transaction_id, []).append(name)
    db.close()
    return statuses, steps


def test_no_accepted_webhook_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    target = ItemsApi()
    target.delay_seconds = 0.02
    server = JunctionProcess(
        tmp_path / "data",
        outbound_allow_loopback="true",
        lease_seconds=LEASE_SECONDS,
        poll_interval_seconds=0.2,
        worker_concurrency=WORKERS,
        account_concurrency_limit=WORKERS,
    )
    try:
        target.start()
        server.start()
        account, cycle_id, url = set_up_cycle(server, target.base_url)
        sender = Sender(url)
        phase("set-up")

        at_kill = asyncio.run(send_until_killed(sender, server, target))
        assert at_kill["received"] < at_kill["accepted"], at_kill
        resent = sorted(sender.failed)
        assert len(sender.accepted) + len(resent) == ITEMS
        phase("until killed")

        server.start()  # same folder, same port: the webhook URL stays valid
        phase("restart")
        sender.failed = []
        assert asyncio.run(sender.send(resent)) == []
        assert sender.failed == []
        assert sorted(sender.accepted) == list(range(ITEMS))
        assert len(set(sender.accepted.values())) == ITEMS
        phase("rest sent")

        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            # Every call was acknowledged, so "All" cannot grow: once the later count of
            # Completed reaches it, every transaction has ended Completed.
            found = counts(account, cycle_id, ("Completed",))
            if found["All"] >= ITEMS and found["Completed"] == found["All"]:
                break
            assert time.monotonic() < deadline, f"not all Completed in time: {found}"
            time.sleep(0.5)
        found = counts(account, cycle_id, STATUSES)
        assert found["Completed"] == found["All"], found
        assert found["Queued"] == found["Running"] == found["Waiting"] == 0, found
        assert found["Errored"] == found["Stopped"] == 0, found
        phase("all Completed")
        account.close()
        server.stop()

        statuses, steps = read_database(server.database_path)
        missing = [i for i, t in sender.accepted.items() if t not in statuses]
        assert missing == [], f"accepted, then lost: items {missing[:20]}"
        assert Counter(statuses.values()) == {"Completed": len(statuses)}
        assert all(steps.get(t) == ["Item sent", "Create item"] for t in statuses), (
            "each transaction's step data is its two steps, recorded once"
        )
        # Stored but unacknowledged before the kill; their items were sent again.
        unacknowledged = len(statuses) - ITEMS
        assert 0 <= unacknowledged <= len(resent)

        received = target.items()
        assert sorted(received) == list(range(ITEMS)), "an item never reached the target"
        duplicates = sum(received.values()) - ITEMS
        # At most one repeat per transaction running at the kill, plus the items of
        # unacknowledged calls that were stored and then sent again.
        assert duplicates <= WORKERS + unacknowledged, (duplicates, at_kill)
        assert all(r.status == 201 for r in target.requests if r.status is not None)
        print(
            f"\ncrash recovery: {at_kill['accepted']} accepted, {at_kill['received']} received, "
            f"{at_kill['in_flight']} at the target when killed; {at_kill['failed']} calls failed "
            f"and {at_kill['unsent']} were not sent yet; "
            f"{unacknowledged} stored but unacknowledged; {duplicates} duplicate deliveries; "
            f"{time.monotonic() - started:.1f} s ({phases})"
        )
    except BaseException:
        print(server.log_tail())
        raise
    finally:
        server.kill()
        target.stop()
