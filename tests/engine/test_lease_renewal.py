"""Lease renewal beside checkpoints on PostgreSQL.

A process's checkpoint writer commits several transactions' checkpoints in one database
transaction, locking their rows one after another; the lease keeper renews all of the
process's leases in another. Were the renewal to wait for rows a checkpoint holds while
holding rows the checkpoint wants next, PostgreSQL would find a deadlock and abort one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from junction.engine import transactions as tx
from junction.engine.models import Transaction
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import install_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction

from .test_tools_and_splitting import add, document, hook

# The lock order only matters where rows are locked: SQLite has one writer at a time.
pytestmark = pytest.mark.parametrize("junction_server", ["postgres"], indirect=True)

OWNER = "worker-1"
LEASE = timedelta(seconds=30)


def test_renewal_never_waits_for_a_row_a_checkpoint_holds(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, document(hook(), add("hook")))  # Paused
    database = junction.services.database
    now = junction.clock()
    # Two of this process's running transactions; ids sort in the order they are made.
    first, second = (
        tx.new_row(
            account_id=flow.account_id,
            cycle_id=flow.cycle_id,
            step_id=flow.step_ids["hook"],
            origin="Webhook",
            now=now,
            status=tx.Status.RUNNING,
        )
        | {"lease_owner": OWNER, "lease_expires_at": now + timedelta(seconds=3)}
        for _ in range(2)
    )

    async def leases() -> dict[str, datetime | None]:
        async with database.transaction(read_only=True) as session:
            found = await session.execute(select(Transaction.id, Transaction.lease_expires_at))
            return {transaction_id: expires for transaction_id, expires in found}

    async def scenario() -> None:
        async with database.transaction() as session:
            await tx.insert_rows(session, [first, second])

        async def renewal() -> None:
            async with database.transaction() as session:
                await tx.renew(
                    session, owner=OWNER, ids=[first["id"], second["id"]], now=now, lease=LEASE
                )

        async with database.engine.connect() as checkpoint:
            # A group of checkpoints: the later row first, then the earlier one.
            await checkpoint.begin()
            await checkpoint.execute(
                update(Transaction).where(Transaction.id == second["id"]).values(steps_run=1)
            )
            renewing = asyncio.create_task(renewal())
            await asyncio.sleep(0.5)  # the renewal has locked what it will lock
            await checkpoint.execute(
                update(Transaction).where(Transaction.id == first["id"]).values(steps_run=1)
            )
            await checkpoint.commit()
        await asyncio.wait_for(renewing, 10)

    junction.run(scenario())
    found = junction.run(leases())
    # Renewed where it could lock at once; the row being checkpointed was left to the
    # checkpoint, which sets its lease itself (and the next renewal comes a third of a
    # lease later, long before this one runs out).
    assert found[first["id"]] == now + LEASE
    assert found[second["id"]] == now + timedelta(seconds=3)
