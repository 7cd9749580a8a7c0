"""Inline script mappings (``=expression``) run in the sandbox when a step runs."""

from __future__ import annotations

from typing import Any

import httpx

from junction.scripting.sandbox import Limits
from tests.engine.hooks import chain, create_step, hook_step, install_webhook_cycle
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

Clients = tuple[httpx.Client, httpx.Client]


def scripted(script: str) -> dict[str, Any]:
    step = create_step()
    step["FieldMappings"] = [{"Name": "Email", "MappingType": "Script", "Value": script}]
    return {
        "Name": "Scripted email",
        "Steps": [hook_step(), step],
        "Edges": chain("hook", "create"),
        "Variables": [{"SystemName": "Domain", "Value": "example.com"}],
    }


def test_an_inline_script_gives_the_value_sent(clients: Clients, saas: ContactsApi) -> None:
    partner, account = clients
    script = "=['Script', 100 * 2].join('-').toLowerCase() + '@' + `{{Domain}}`"
    cycle = install_webhook_cycle(partner, account, saas.base_url, scripted(script))
    answer = httpx.post(cycle.url, json={"email": "ignored@example.com"})
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed", "Errored")
    assert done["Status"] == "Completed", done
    assert saas.state.contacts[-1]["email"] == "script-200@example.com"


def test_a_failing_script_fails_its_step_with_the_reason(
    clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    cycle = install_webhook_cycle(
        partner, account, saas.base_url, scripted("=(() => { throw new Error('no email') })()")
    )
    before = len(saas.state.contacts)
    answer = httpx.post(cycle.url, json={"email": "a@example.com"})
    done = cycle.wait_status(answer.json()["TransactionId"], "Errored", "Completed")
    assert done["Status"] == "Errored"
    step = done["Steps"][-1]
    assert step["Status"] == "Error"
    assert "Error: no email" in step["Message"]
    assert len(saas.state.contacts) == before  # nothing was sent


def test_a_runaway_script_is_stopped_and_the_server_goes_on(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    engine = junction.engine
    assert engine is not None
    kept = engine.options.script_limits
    engine.options.script_limits = Limits(seconds=0.5, memory_bytes=16 * 1024 * 1024)
    try:
        spin = install_webhook_cycle(
            partner, account, saas.base_url, scripted("=(() => { while (true) {} })()")
        )
        answer = httpx.post(spin.url, json={"email": "a@example.com"})
        # Meanwhile the server answers at once.
        assert account.get(f"/v1.0/cycles/{spin.id}").status_code == 200
        done = spin.wait_status(answer.json()["TransactionId"], "Errored", "Completed")
    finally:
        engine.options.script_limits = kept
    assert done["Status"] == "Errored"
    assert "ran longer than its time limit" in done["Steps"][-1]["Message"]
