"""The operator's commands beside a running server: a cycle activated and paused from the
command line, and a transaction replayed from it, which the server (or, with the job
queue, its worker) then runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from junction.dispatch.jobs import job_key
from tests.cli.conftest import _logging_kept
from tests.cli.operator import Operator
from tests.engine.hooks import wait_for
from tests.engine.test_error_actions import detail, send
from tests.engine.test_flows import settled
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import install_flow, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import PROCRASTINATE, Junction

__all__ = ["_logging_kept"]


@pytest.fixture
def operator(junction: Junction) -> Operator:
    return Operator(junction)


def test_a_replay_from_the_command_line_is_run_by_the_server(
    junction: Junction, crm: CrmApi, mailer: MailerApi, operator: Operator
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow(settings={"StepErrorAction": "Ignore"}))
    activated = operator.json("cycles", "activate", flow.cycle_id)
    assert (activated["Id"], activated["Status"]) == (flow.cycle_id, "Active")
    url = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Webhooks"][0]["Url"]

    mailer.fail_next(1, 500)
    transaction_id = send(url, crm, "a@example.com")
    [item] = settled(flow, 1)
    assert item["Status"] == "Errored"
    listed = operator.json("transactions", "list", "--cycle", flow.cycle_id, "--status", "errored")
    assert [t["Id"] for t in listed] == [transaction_id]

    said = operator("transactions", "replay", transaction_id)
    assert said.startswith("Queued 1 transaction(s) again; a running `junction "), said
    # The command queued it due at the wall clock's now; the server's test clock stands
    # still where the test began, and must catch up to find it due.
    junction.clock.now = max(junction.clock.now, datetime.now(UTC))

    wait_for(lambda: detail(flow, transaction_id)["Status"] == "Completed")
    steps = detail(flow, transaction_id)["Steps"]
    assert [s["Status"] for s in steps][-2:] == ["Error", "Success"]
    assert [s["email"] for s in mailer.subscribers] == ["a@example.com"]


def jobs_of(junction: Junction, transaction_id: str) -> list[str]:
    """The statuses of the procrastinate jobs queued for the transaction."""

    async def read() -> list[str]:
        async with junction.services.database.transaction(read_only=True) as session:
            rows = await session.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE queueing_lock = :key"),
                {"key": job_key(transaction_id)},
            )
            return [status for (status,) in rows.all()]

    return junction.run(read())


def test_with_the_job_queue_a_replay_queues_its_job(
    junction: Junction, crm: CrmApi, mailer: MailerApi, operator: Operator
) -> None:
    """No worker sweeps meanwhile: the job comes from the command."""
    if junction.backend != PROCRASTINATE:
        pytest.skip("the job queue only")
    flow = install_flow(junction, crm, mailer, webhook_flow(settings={"StepErrorAction": "Ignore"}))
    operator("cycles", "activate", flow.cycle_id)
    url = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Webhooks"][0]["Url"]
    mailer.fail_next(1, 500)
    transaction_id = send(url, crm, "b@example.com")
    [item] = settled(flow, 1)
    assert item["Status"] == "Errored"

    worker = junction.dispatcher
    junction.run(worker.stop(grace=1))
    try:
        assert jobs_of(junction, transaction_id) == []
        operator("transactions", "replay", transaction_id)
        assert jobs_of(junction, transaction_id) == ["todo"]
    finally:
        junction.run(worker.start())
    junction.clock.now = max(junction.clock.now, datetime.now(UTC))
    wait_for(lambda: detail(flow, transaction_id)["Status"] == "Completed")


def test_pause_and_activate_from_the_command_line(
    junction: Junction, crm: CrmApi, mailer: MailerApi, operator: Operator
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow())
    assert operator.json("cycles", "list", "--account", flow.account_id, "--status", "active") == []
    said = operator("cycles", "activate", flow.cycle_id)
    assert said.startswith(f"Cycle 'CRM to Mailer (webhook)' ({flow.cycle_id}) is Active"), said
    assert flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Status"] == "Active"
    active = operator.json("cycles", "list", "--status", "active")
    assert [c["Id"] for c in active] == [flow.cycle_id]

    paused = operator.json("cycles", "pause", flow.cycle_id)
    assert (paused["Status"], paused["Warnings"]) == ("Paused", [])
    assert flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()["Status"] == "Paused"
    # Pausing again changes nothing and is not an error, as through the API.
    assert operator.json("cycles", "pause", flow.cycle_id)["Status"] == "Paused"
