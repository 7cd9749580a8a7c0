"""One account's runaway scripts leave other accounts' cycles running at their usual pace.

An account may hold only its share of the script threads (``scripting/workers.py``) and each
execution is stopped on wall-clock time (``scripting/deadline.py``). Here one account sends
webhook calls whose inline script spins until its limit, and another account's cycle is
timed before and while that happens.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import httpx
import pytest

from tests.engine.hooks import WebhookCycle, install_webhook_cycle, wait_for
from tests.engine.test_scripts import scripted
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

RUNAWAY_CALLS = 8
LIMIT_SECONDS = 1.0
SAMPLES = 9

pytestmark = pytest.mark.slow


def _latency(cycle: WebhookCycle) -> float:
    """Seconds from a webhook call to its transaction's completion."""
    started = time.monotonic()
    answer = httpx.post(cycle.url, json={"email": "a@example.com"})
    assert answer.status_code == 200, answer.text
    transaction_id = answer.json()["TransactionId"]
    while cycle.transaction(transaction_id)["Status"] not in ("Completed", "Errored"):
        time.sleep(0.005)
    assert cycle.transaction(transaction_id)["Status"] == "Completed"
    return time.monotonic() - started


def test_runaway_scripts_of_one_account_leave_another_accounts_cycle_on_time(
    junction: Junction, clients: tuple[httpx.Client, httpx.Client], saas: ContactsApi
) -> None:
    if junction.backend != "sqlite":
        pytest.skip("scripts run on the same threads whatever the database")
    partner, victim_account = clients
    assert partner.post("/v1.0/accounts", json={"Id": "hog", "Name": "Hog"}).status_code == 200
    hog_account = junction.http(partner.headers["Authorization"][7:], account="hog")
    engine = junction.engine
    kept = engine.options.script_limits
    # The server's own script threads and shares, with a shorter time limit.
    engine.options.script_limits = replace(kept, seconds=LIMIT_SECONDS)
    try:
        victim = install_webhook_cycle(
            partner, victim_account, saas.base_url, scripted("='victim@example.com'")
        )
        hog = install_webhook_cycle(
            partner, hog_account, saas.base_url, scripted("=(() => { while (true) {} })()")
        )
        _latency(victim)  # the first run compiles the cycle's plan
        # Idle samples before and after the runaway ones: the other test processes on this
        # machine load it unevenly, and the baseline should see the same load.
        idle_samples = [_latency(victim) for _ in range(SAMPLES)]

        started = time.monotonic()
        runaway = [
            httpx.post(hog.url, json={"email": "x@example.com"}).json()["TransactionId"]
            for _ in range(RUNAWAY_CALLS)
        ]
        loaded = statistics.median(_latency(victim) for _ in range(SAMPLES))

        def hog_done() -> bool:
            statuses = [hog.transaction(t)["Status"] for t in runaway]
            return all(s in ("Completed", "Errored") for s in statuses)

        wait_for(hog_done, timeout=RUNAWAY_CALLS * LIMIT_SECONDS * 4 + 15)
        hog_seconds = time.monotonic() - started
        idle_samples += [_latency(victim) for _ in range(SAMPLES)]
        idle = statistics.median(idle_samples)
    finally:
        engine.options.script_limits = kept

    print(f"idle {idle:.3f} s, loaded {loaded:.3f} s, runaway calls done in {hog_seconds:.1f} s")
    assert loaded <= 2 * idle, f"idle {idle:.3f} s, with the runaway scripts {loaded:.3f} s"
    first = hog.transaction(runaway[0])
    assert first["Status"] == "Errored"
    assert "ran longer than its time limit" in first["Steps"][-1]["Message"]
    # The runaway account held one thread at a time, each execution for its wall-clock limit.
    share = kept.workers.per_account
    assert hog_seconds >= RUNAWAY_CALLS / share * LIMIT_SECONDS * 0.9
