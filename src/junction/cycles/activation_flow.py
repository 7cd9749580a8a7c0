"""Activating, deactivating and deleting a cycle whose trigger installs its webhook at the
third-party API (see webhook_install).

Unlike the services, these flows own their database transactions, as the connector calls
do: no transaction may stay open while a third party answers (SQLite has one writer, and
an OAuth refresh needs to write meanwhile). Each flow reads and checks under the cycle's
lock, commits, makes the calls, and then writes what they did under the lock again. A
cycle that installs nothing is handled in one transaction, exactly as before.

Activation: the create calls must all succeed, or the activation is refused and the
webhooks it installed are deleted again. Two concurrent activations may both install one;
the second to record finds the first's id and deletes its own.

Deactivation and deletion: the user's intent is to stop, so they go ahead whatever the API
answers. A webhook that could not be deleted keeps its id on the step (a deleted cycle
cannot keep it): the next activation or deactivation deletes it first, and the answer
carries a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.runtime import Runtime
from junction.cycles import activation, service, structure, webhook_install, webhook_urls
from junction.cycles.activation import ActivateIn
from junction.cycles.lifecycle import CycleStatus
from junction.cycles.models import Cycle
from junction.cycles.webhook_install import Created, InstallFailed, Target, WebhookWarning
from junction.db.engine import Database
from junction.errors import Conflict


@dataclass(frozen=True)
class Caller:
    """What the flows need: the database and what calls an account connector's API."""

    database: Database
    gateway: ConnectorGateway
    base_url: str

    @property
    def runtime(self) -> Runtime:
        return self.gateway.runtime  # webhook URLs start with it


# Called in the transaction that stores the change, with the cycle (an audit entry).
Record = Callable[[AsyncSession, Cycle], None]


async def activate(
    *,
    caller: Caller,
    account_id: str,
    cycle_id: str,
    activate_in: ActivateIn,
    now: datetime,
    record: Record | None = None,
) -> None:
    async with caller.database.transaction() as session:
        cycle = await service.get(
            session=session, account_id=account_id, cycle_id=cycle_id, lock=True
        )
        loaded = await structure.load(session=session, cycle=cycle)
        await activation.check(session=session, structure=loaded, activate_in=activate_in)
        for cycle_step in loaded.steps:
            # Before the calls: the URL they register is made from it.
            webhook_urls.ensure_identifier(cycle_step)
        await session.flush()
        found = await webhook_install.targets(
            session=session,
            gateway=caller.gateway,
            structure=loaded,
            base_url=caller.base_url,
        )
        active = cycle.status == CycleStatus.ACTIVE
        version = cycle.version  # any change while the API is called shows here
        # An active cycle's stored ids are its installed webhooks; a paused cycle's are
        # left by a delete that failed, and go before new ones are installed.
        stale = [t for t in found if t.stored_id is not None and not active]
        to_install = [t for t in found if t.installs and (t.stored_id is None or not active)]
        if not stale and not to_install:
            await activation.activate(
                session=session, structure=loaded, activate_in=activate_in, now=now
            )
            if record is not None:
                record(session, cycle)
            return
    created = await _install(caller, stale, to_install)
    try:
        async with caller.database.transaction() as session:
            cycle = await service.get(
                session=session, account_id=account_id, cycle_id=cycle_id, lock=True
            )
            if cycle.version != version and cycle.status != CycleStatus.ACTIVE:
                # Paused or edited by another request while the API was called: this
                # activation's webhooks go (below) and the caller may try again. (Activated
                # by another request meanwhile: record() keeps one webhook of the two.)
                raise Conflict(
                    f"The cycle '{cycle.name}' changed while its webhooks were being "
                    "installed; activate it again"
                )
            loaded = await structure.load(session=session, cycle=cycle)
            extra = webhook_install.record(loaded, created, deleted=stale)
            await activation.activate(
                session=session, structure=loaded, activate_in=activate_in, now=now
            )
            if record is not None:
                record(session, cycle)
    except BaseException:
        await webhook_install.delete_created(runtime=caller.runtime, created=created)
        raise
    await webhook_install.delete_created(runtime=caller.runtime, created=extra)


async def _install(caller: Caller, stale: list[Target], to_install: list[Target]) -> list[Created]:
    """Delete the stale webhooks, then install new ones; on a failure, delete what this
    activation installed and raise InstallFailed."""
    for target in stale:
        if target.lasting:
            # Junction can never delete it (the connector or step changed): forget it.
            webhook_install.log.warning(
                "%s: the webhook %r cannot be deleted at the %s API (%s); forgotten",
                target.label,
                target.stored_id,
                target.connector_name,
                target.problem,
            )
            continue
        problem = await webhook_install.delete(
            runtime=caller.runtime, target=target, webhook_id=target.stored_id or ""
        )
        if problem is not None:
            raise InstallFailed(
                target,
                f"the webhook {target.stored_id!r} installed earlier could not be deleted "
                f"first: {problem}",
            )
    created: list[Created] = []
    try:
        for target in to_install:
            created.append(await webhook_install.create(runtime=caller.runtime, target=target))
    except BaseException:
        await webhook_install.delete_created(runtime=caller.runtime, created=created)
        raise
    return created


async def deactivate(
    *,
    caller: Caller,
    account_id: str,
    cycle_id: str,
    finish_queued: bool,
    now: datetime,
    record: Record | None = None,
) -> list[WebhookWarning]:
    async with caller.database.transaction() as session:
        cycle = await service.get(
            session=session, account_id=account_id, cycle_id=cycle_id, lock=True
        )
        # Paused first: stopping does not wait for the API.
        await activation.deactivate(
            session=session, cycle=cycle, now=now, finish_queued=finish_queued
        )
        if record is not None:
            record(session, cycle)
        installed = await _installed(caller, session, cycle)
    if not installed:
        return []
    return await _delete_installed(caller, installed)


async def remove(
    *, caller: Caller, account_id: str, cycle_id: str
) -> tuple[str, list[WebhookWarning]]:
    """Delete the cycle; its name, and the webhooks left at the API."""
    async with caller.database.transaction() as session:
        cycle = await service.get(
            session=session, account_id=account_id, cycle_id=cycle_id, lock=True
        )
        name = cycle.name
        installed = await _installed(caller, session, cycle)
        if not installed:
            await service.remove(session=session, cycle=cycle)
            return name, []
    warnings = await webhook_install.delete_installed(runtime=caller.runtime, found=installed)
    async with caller.database.transaction() as session:
        cycle = await service.get(
            session=session, account_id=account_id, cycle_id=cycle_id, lock=True
        )
        await service.remove(session=session, cycle=cycle)
    return name, warnings


async def _installed(caller: Caller, session: AsyncSession, cycle: Cycle) -> list[Target]:
    """The cycle's steps that hold an installed webhook's id."""
    loaded = await structure.load(session=session, cycle=cycle)
    if all(s.external_webhook_id is None for s in loaded.steps):
        return []
    found = await webhook_install.targets(
        session=session,
        gateway=caller.gateway,
        structure=loaded,
        base_url=caller.base_url,
    )
    return [t for t in found if t.stored_id is not None]


async def _delete_installed(caller: Caller, installed: list[Target]) -> list[WebhookWarning]:
    """Delete them at the API, then clear the ids of those gone (or never deletable)."""
    warnings = await webhook_install.delete_installed(runtime=caller.runtime, found=installed)
    # A webhook Junction can never delete is forgotten (the warning says so); one the API
    # failed to delete keeps its id, to be deleted next time.
    kept = {w.StepId for w in warnings} - {t.step_id for t in installed if t.lasting}
    async with caller.database.transaction() as session:
        for target in installed:
            if target.step_id not in kept and target.stored_id is not None:
                await webhook_install.forget(
                    session=session, step_id=target.step_id, webhook_id=target.stored_id
                )
    return warnings
