"""Test runs of a template's Draft release: one transaction, run by the engine, in a cycle
kept for the purpose.

A test cycle is an ordinary cycle of the account, installed from the Draft (not from a Live
release) so that the run goes through the engine exactly as a customer's would: the same
plan, the same account connectors, the same step data. What keeps it from being more:

- it is never activated: it is born Finishing (Paused, with what is queued still running, as
  a RunOnce cycle after its one run starts). The scheduler only queues Active cycles and the
  webhook intake refuses calls to a cycle that is not Active, so it runs nothing but the
  test transaction, and is Paused once that ends;
- its name starts with ``TEST_PREFIX`` and its description is ``TEST_NOTE``, which is how it
  is found again and how anyone listing the account's cycles can tell it apart;
- there is one per template and account: each run replaces it (and the step data of the
  previous run with it).

The test transaction is queued at the trigger with the sample data as its payload, as the
webhook intake queues a call; a trigger that polls an API calls it for real.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.cycles import lifecycle
from junction.cycles import service as cycles
from junction.cycles.models import Cycle
from junction.engine import transactions as tx
from junction.engine.plans import compile_plan
from junction.errors import BadRequest
from junction.security.keyring import Keyring
from junction.templates import service as templates
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument

TEST_PREFIX = "[Test run] "
TEST_NOTE = "A test run of a Draft release: never activated, no schedule, no webhooks."
ORIGIN = "Test"


@dataclass(frozen=True)
class Started:
    transaction_id: str
    account_id: str
    cycle_id: str


def is_test_cycle(cycle: Cycle) -> bool:
    return cycle.description == TEST_NOTE and cycle.name.startswith(TEST_PREFIX)


async def cycle_of(*, session: AsyncSession, template_id: str, account_id: str) -> Cycle | None:
    return await session.scalar(
        select(Cycle)
        .where(
            Cycle.account_id == account_id,
            Cycle.template_id == template_id,
            Cycle.description == TEST_NOTE,
        )
        .order_by(Cycle.created_at.desc())
        .limit(1)
    )


async def _connectors(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    document: TemplateDocument,
    now: datetime,
) -> dict[tuple[str, str | None], AccountConnector]:
    """The account's own connectors; a test never installs one that needs signing in (a
    built-in utility or a connector without authentication is installed as a cycle would)."""
    for step in document.Steps:
        if step.StepType is not StepKind.METHOD or not step.ConnectorName:
            continue
        if await cycles.existing_account_connector(
            session=session, account_id=account_id, name=step.ConnectorName
        ):
            continue
        release = await cycles.connector_release(
            session=session, name=step.ConnectorName, version=step.ConnectorVersion
        )
        definition = catalog.definition_of(release)
        if not definition.Builtin and definition.Authentication:
            raise BadRequest(
                f"Account: the account has no '{step.ConnectorName}' connector; install and "
                "authenticate it in the account first"
            )
    forced = document.model_copy(
        update={
            "Settings": document.Settings.model_copy(update={"ConnectorInstallation": "Existing"})
        }
    )
    return await cycles.connectors_for(
        session=session, keyring=keyring, account_id=account_id, document=forced, now=now
    )


def _finishing() -> dict[str, Any]:
    """Born Finishing, as a RunOnce cycle is once its one run is queued: the engine runs
    what is queued, nothing new is let in, and it becomes Paused when the run ends."""
    status, draining = lifecycle.STORED[lifecycle.Phase.FINISHING]
    return {"status": status.value, "draining": draining}


async def start(
    *,
    session: AsyncSession,
    keyring: Keyring,
    release: TemplateRelease,
    account_id: str,
    sample: Any,
    now: datetime,
) -> Started:
    """Replace the template's test cycle in the account with one of ``release`` and queue
    one transaction at its trigger. Nothing is stored if it is refused."""
    await accounts.get_account(session=session, account_id=account_id)
    document = TemplateDocument.model_validate(release.document)
    problems = await templates.problems_of(session=session, document=document)
    if problems:
        raise BadRequest(
            f"The draft has {len(problems)} problem{'s' if len(problems) != 1 else ''} to fix "
            f"before it can run: {problems[0].location}: {problems[0].message}"
        )
    by_connector = await _connectors(
        session=session, keyring=keyring, account_id=account_id, document=document, now=now
    )
    old = await cycle_of(session=session, template_id=release.template_id, account_id=account_id)
    if old is not None:
        await cycles.remove(session=session, cycle=old)
    cycle = Cycle(
        id=str(uuid.uuid4()),
        account_id=account_id,
        template_id=release.template_id,
        template_release_id=release.id,
        name=(TEST_PREFIX + document.Name)[:255],
        description=TEST_NOTE,
        settings=document.Settings.model_dump(mode="json"),
        variables=[v.model_dump(mode="json") for v in document.Variables],
        run_once=False,
        created_at=now,
        updated_at=now,
        **(lifecycle.initial_state() | _finishing()),
    )
    session.add(cycle)
    await session.flush()
    await cycles.write_structure(
        session=session, cycle=cycle, document=document, connectors=by_connector
    )
    # Compiled here, not cached: the engine compiles its own once this is committed.
    plan = await compile_plan(session=session, cycle=cycle)
    if plan.trigger is None:
        raise BadRequest("The draft has no trigger step to start from")
    row = tx.new_row(
        account_id=account_id,
        cycle_id=cycle.id,
        step_id=plan.trigger.id,
        origin=ORIGIN,
        now=now,
        payload=sample if plan.trigger.is_webhook else None,
    )
    await tx.insert_rows(session, [row])
    await session.flush()
    return Started(row["id"], account_id, cycle.id)
