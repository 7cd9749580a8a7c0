"""Waiting for a cycle's WebhookResponse step to answer a webhook call.

The process that took the call may not be the one that runs its transaction (procrastinate
workers, or several ``junction serve`` replicas). The engine answers a call taken in its own
process at once, through a future; any other process finds the answer in the step data,
which the engine writes as soon as a WebhookResponse step has run.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from junction.db.engine import Database
from junction.engine import transactions as tx
from junction.engine.models import StepRun, Transaction
from junction.webhooks.service import Accepted

Answer = tuple[int, Any] | None  # (status, body); None: the transaction ended without one


async def from_step_data(database: Database, accepted: Accepted, *, first_delay: float) -> Answer:
    """Poll the transaction's step data until a WebhookResponse step answered or it ended."""
    delay = first_delay
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.25)
        try:
            answer, ended = await _read(database, accepted)
        except (OperationalError, InterfaceError):
            # The call is stored already: a database hiccup must not turn it into an error
            # (the sender would send it again). Keep looking; the time limit gives 202.
            continue
        if answer is not None or ended:
            return answer


async def _read(database: Database, accepted: Accepted) -> tuple[Answer, bool]:
    """The answer if a WebhookResponse step has run; whether the transaction has ended."""
    async with database.transaction(read_only=True) as session:
        # The status first: each statement sees what was committed when it ran, and the
        # step data of a WebhookResponse step is committed no later than the transaction's
        # end. Read the other way round, a transaction that answered and ended between the
        # two reads looked as if it had ended without an answer.
        status = await session.scalar(
            select(Transaction.status).where(Transaction.id == accepted.transaction_id)
        )
        found = (
            await session.execute(
                select(StepRun.step_id, StepRun.output)
                .where(
                    StepRun.transaction_id == accepted.transaction_id,
                    StepRun.step_id.in_(list(accepted.responses)),
                    StepRun.status == "Success",
                )
                .order_by(StepRun.sequence)
                .limit(1)
            )
        ).first()
    if found is not None:
        return (accepted.responses[found.step_id], found.output), True
    return None, status is None or tx.Status(status) in tx.ENDED


async def wait(
    database: Database,
    accepted: Accepted,
    waiter: asyncio.Future[Answer] | None,
) -> Answer:
    """The answer, from this process's engine (``waiter``) or another's (the caller sets
    the time limit)."""
    # With an engine here, the answer usually comes through the future; the step data is
    # read too (less often) in case another process runs the transaction.
    polling = asyncio.ensure_future(
        from_step_data(database, accepted, first_delay=0.25 if waiter is not None else 0.02)
    )
    racing: set[asyncio.Future[Answer]] = {polling} | ({waiter} if waiter is not None else set())
    try:
        done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if polling in done:
            return polling.result()
        answered = done.pop().result()
        if answered is not None:
            return answered
        # The engine here gave up the transaction without an answer: ended, or set aside
        # (lease lost, shutdown, database down) to go on elsewhere. Only the stored state
        # tells which.
        return await polling
    finally:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await polling
