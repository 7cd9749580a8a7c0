"""Script time limits are wall-clock time, and an account holds only its share of the script
threads."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from junction.scripting import deadline
from junction.scripting.sandbox import Limits, ScriptError, run
from junction.scripting.workers import ScriptWorkers, default_share, on_behalf_of

SPIN = "while (true) {}"


def test_the_binding_has_the_layout_the_watchdog_relies_on() -> None:
    # Fails with a quickjs release whose Context differs: the limits would count CPU time.
    assert deadline.WATCHDOG_ON


def test_a_script_is_stopped_on_wall_clock_time_while_others_load_every_core() -> None:
    cores = max(2, len(os.sched_getaffinity(0)))

    def load() -> None:
        # Spins for 2.5 s (the binding lets go of the GIL while a script runs).
        with pytest.raises(ScriptError, match="ran longer than its time limit"):
            run(SPIN, Limits(seconds=2.5))

    loaders = [threading.Thread(target=load, daemon=True) for _ in range(cores)]
    for thread in loaders:
        thread.start()
    try:
        time.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(ScriptError, match="ran longer than its time limit"):
            run(SPIN, Limits(seconds=1.0))
        elapsed = time.monotonic() - started
    finally:
        for thread in loaders:
            thread.join()
    # Process CPU time runs at up to (cores) seconds a second here: counted that way the
    # script would be stopped after about 1/cores of a second.
    assert 0.95 <= elapsed < 2.5, elapsed


def test_finished_executions_do_not_pile_up_in_the_watchdog() -> None:
    for _ in range(500):
        run("1 + 1", Limits(seconds=60))
    assert len(deadline.WATCHDOG._heap) < 200


def test_the_default_share_leaves_threads_and_a_core_to_other_accounts() -> None:
    assert default_share(1) == 1
    assert 1 <= default_share(4) <= 3


def test_an_account_waits_for_its_own_share_not_for_other_accounts() -> None:
    asyncio.run(_shares())


async def _shares() -> None:
    workers = ScriptWorkers(workers=3, per_account=1)
    running: dict[str, int] = {"hog": 0, "most": 0}
    lock = threading.Lock()

    def hold(seconds: float) -> float:
        with lock:
            running["hog"] += 1
            running["most"] = max(running["most"], running["hog"])
        time.sleep(seconds)
        with lock:
            running["hog"] -= 1
        return seconds

    async def for_hog() -> None:
        with on_behalf_of("hog"):
            await workers.run(hold, 0.2)

    hogging = [asyncio.create_task(for_hog()) for _ in range(4)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with on_behalf_of("other"):
        assert await workers.run(lambda: "done") == "done"
    waited = time.monotonic() - started
    await asyncio.gather(*hogging)
    workers.shutdown()
    assert waited < 0.15  # not behind the hog's four executions (0.8 s)
    assert running["most"] == 1


@pytest.mark.parametrize(
    "code",
    [
        "throw {toString: function () { for (;;) {} }}",
        "Object.defineProperty(String.prototype, 'stack', {get: function () { for (;;) {} }});"
        " throw 'x'",
        "Error.prototype.toString = function () { for (;;) {} }; throw new Error('x')",
    ],
)
def test_a_hostile_thrown_value_is_stopped_without_freezing_the_process(code: str) -> None:
    # The binding turns a thrown value into text holding the GIL: a script's own toString
    # there would stop every Python thread. Ticks counted meanwhile show it does not.
    ticks = 0
    done = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    started = time.monotonic()
    try:
        with pytest.raises(ScriptError):
            run(code, Limits(seconds=1.0))
    finally:
        done.set()
        ticker.join()
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed
    assert ticks >= elapsed * 100 * 0.5, (ticks, elapsed)
