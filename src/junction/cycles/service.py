"""Installing templates as cycles, and reading them. Functions flush; the caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors import account_connectors, catalog
from junction.connectors.account_schemas import InstallIn
from junction.connectors.models import AccountConnector, Connector
from junction.connectors.spec.models import ReleaseStatusName
from junction.cycles import prerequisites
from junction.cycles.models import Cycle, CycleStep
from junction.errors import BadRequest, NotFound
from junction.security.keyring import Keyring
from junction.templates import service as templates
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument

SORTABLE = {"Id": Cycle.id, "Name": Cycle.name, "CreatedDate": Cycle.created_at}
TIEBREAK = Cycle.id


async def _connector_release(*, session: AsyncSession, name: str, version: str | None) -> Connector:
    rows = (
        await session.scalars(
            select(Connector)
            .where(func.lower(Connector.name) == name.lower())
            .order_by(Connector.id)
        )
    ).all()
    chosen = catalog.choose_release(rows, version)
    if chosen is None:
        raise BadRequest(f"The template uses connector '{name}', which does not exist here")
    if chosen.status == ReleaseStatusName.DRAFT:
        raise BadRequest(
            f"The template uses connector '{chosen.name}' {chosen.version}, which is a draft "
            "and cannot be installed"
        )
    return chosen


async def _account_connector(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    connector: Connector,
    reuse: bool,
    now: datetime,
) -> AccountConnector:
    if reuse:
        existing = await session.scalar(
            select(AccountConnector)
            .join(Connector, Connector.id == AccountConnector.connector_id)
            .where(
                AccountConnector.account_id == account_id,
                func.lower(Connector.name) == connector.name.lower(),
            )
            .order_by(AccountConnector.id.desc())
            .limit(1)
        )
        if existing is not None:
            return existing
    if connector.status != ReleaseStatusName.LIVE:
        raise BadRequest(
            f"Connector '{connector.name}' {connector.version} is {connector.status} and cannot "
            "be installed; the account has no connector of that name to use instead"
        )
    return await account_connectors.install(
        session=session,
        keyring=keyring,
        account_id=account_id,
        connector_ref=str(connector.id),
        install_in=InstallIn(),
        now=now,
    )


async def install(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    template_id: str,
    now: datetime,
) -> Cycle:
    """Install the template's newest Live release; the cycle starts Paused."""
    template = await templates.get_template(session=session, template_id=template_id)
    live = [
        r
        for r in await templates.releases(session=session, template_id=template_id)
        if r.status == "Live"
    ]
    if not live:
        raise BadRequest(f"Template '{template.name}' has no Live release to install")
    release = live[-1]
    document = TemplateDocument.model_validate(release.document)
    reuse = document.Settings.ConnectorInstallation == "Existing"

    by_connector: dict[tuple[str, str | None], AccountConnector] = {}
    for step in document.Steps:
        if step.StepType is not StepKind.METHOD or not step.ConnectorName:
            continue
        key = (step.ConnectorName.lower(), step.ConnectorVersion)
        if key not in by_connector:
            connector = await _connector_release(
                session=session, name=step.ConnectorName, version=step.ConnectorVersion
            )
            by_connector[key] = await _account_connector(
                session=session,
                keyring=keyring,
                account_id=account_id,
                connector=connector,
                reuse=reuse,
                now=now,
            )

    cycle = Cycle(
        id=str(uuid.uuid4()),
        account_id=account_id,
        template_id=template.id,
        template_release_id=release.id,
        name=document.Name,
        description=document.Description,
        status="Paused",
        settings=document.Settings.model_dump(mode="json"),
        variables=[v.model_dump(mode="json") for v in document.Variables],
        run_once=False,
        created_at=now,
        updated_at=now,
    )
    session.add(cycle)
    await session.flush()
    for position, step in enumerate(document.Steps):
        used = (step.ConnectorName.lower(), step.ConnectorVersion) if step.ConnectorName else None
        session.add(
            CycleStep(
                id=str(uuid.uuid4()),
                cycle_id=cycle.id,
                step_key=step.Key,
                position=position,
                account_connector_id=by_connector[used].id if used in by_connector else None,
                mappings={
                    "Parameters": [m.model_dump(mode="json") for m in step.Parameters],
                    "FieldMappings": [m.model_dump(mode="json") for m in step.FieldMappings],
                },
            )
        )
    await session.flush()
    return cycle


async def get(*, session: AsyncSession, account_id: str, cycle_id: str) -> Cycle:
    cycle = await session.get(Cycle, cycle_id)
    if cycle is None or cycle.account_id != account_id:
        raise NotFound(f"No cycle with Id '{cycle_id}' in this account")
    return cycle


def list_query(*, account_id: str) -> Select[Any]:
    return select(Cycle).where(Cycle.account_id == account_id)


async def remove(*, session: AsyncSession, cycle: Cycle) -> None:
    await session.execute(delete(Cycle).where(Cycle.id == cycle.id))
    session.expunge(cycle)
    await session.flush()


async def steps(*, session: AsyncSession, cycle_id: str) -> list[CycleStep]:
    rows = await session.scalars(
        select(CycleStep).where(CycleStep.cycle_id == cycle_id).order_by(CycleStep.position)
    )
    return list(rows)


async def connectors_of(
    *, session: AsyncSession, cycle_id: str
) -> list[tuple[AccountConnector, Connector, int]]:
    """Each account connector the cycle's steps use, its release, and how many steps use it."""
    counts: dict[int, int] = {}
    for step in await steps(session=session, cycle_id=cycle_id):
        if step.account_connector_id is not None:
            counts[step.account_connector_id] = counts.get(step.account_connector_id, 0) + 1
    result = []
    for account_connector_id, count in counts.items():
        row = await session.get(AccountConnector, account_connector_id)
        if row is not None:
            connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
            result.append((row, connector, count))
    return result


async def steps_out(*, session: AsyncSession, cycle: Cycle) -> list[dict[str, Any]]:
    """The cycle's steps as the API shows them."""
    release = await session.get(TemplateRelease, cycle.template_release_id)
    assert release is not None  # RESTRICT keeps it
    document = TemplateDocument.model_validate(release.document)
    by_key = {step.Key: step for step in document.Steps}
    entered = {edge.HeadStepKey for edge in document.Edges}
    result = []
    for cycle_step in await steps(session=session, cycle_id=cycle.id):
        step = by_key[cycle_step.step_key]
        item: dict[str, Any] = {
            "Id": cycle_step.id,
            "Name": step.Name,
            "Description": step.Description,
            "StepType": step.StepType.value,
            "DisplayPositionLeft": step.DisplayPositionLeft,
            "DisplayPositionTop": step.DisplayPositionTop,
        }
        if step.StepType is StepKind.METHOD:
            row, method = await prerequisites.step_method(
                session=session, cycle_step=cycle_step, step=step
            )
            webhook = method is not None and method.MethodType == "Webhook"
            item |= {
                "ActionType": "Webhook"
                if webhook
                else ("Get" if step.Key not in entered else "Action"),
                "MethodUniqueIdentifier": step.MethodUniqueIdentifier,
                "MethodName": method.Name if method else None,
                "AccountConnector": None
                if row is None
                else {"Id": row.id, "Name": row.name, "Authenticated": row.authenticated},
            }
        result.append(item)
    return result
