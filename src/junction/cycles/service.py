"""Installing templates as cycles, and reading them. Functions flush; the caller commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import InstallIn
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import ReleaseStatusName
from junction.cycles import lifecycle, webhook_urls
from junction.cycles.models import Cycle, CycleEdge, CycleStep
from junction.engine import transactions
from junction.engine.models import Incident, Transaction
from junction.errors import BadRequest, NotFound
from junction.security.keyring import Keyring
from junction.templates import service as templates
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument

SORTABLE = {"Id": Cycle.id, "Name": Cycle.name, "CreatedDate": Cycle.created_at}
TIEBREAK = Cycle.id


async def connector_release(*, session: AsyncSession, name: str, version: str | None) -> Connector:
    rows = (
        await session.scalars(
            select(Connector)
            .where(func.lower(Connector.name) == name.lower(), catalog.visible_to(None))
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


async def existing_account_connector(
    *, session: AsyncSession, account_id: str, name: str
) -> AccountConnector | None:
    """The account's newest connector of that name (any release), if it has one."""
    found: AccountConnector | None = await session.scalar(
        select(AccountConnector)
        .join(Connector, Connector.id == AccountConnector.connector_id)
        .where(
            AccountConnector.account_id == account_id,
            func.lower(Connector.name) == name.lower(),
        )
        .order_by(AccountConnector.id.desc())
        .limit(1)
    )
    return found


async def account_connector_for(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    connector: Connector,
    reuse: bool,
    now: datetime,
) -> AccountConnector:
    if reuse:
        existing = await existing_account_connector(
            session=session, account_id=account_id, name=connector.name
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


async def connectors_for(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    document: TemplateDocument,
    now: datetime,
    keep: dict[str, AccountConnector] | None = None,
) -> dict[tuple[str, str | None], AccountConnector]:
    """The account connector each method step will use, by (connector name, version):
    ``keep`` (by lower-cased name) first, then per the template's ConnectorInstallation."""
    reuse = document.Settings.ConnectorInstallation == "Existing"
    by_connector: dict[tuple[str, str | None], AccountConnector] = {}
    for step in document.Steps:
        if step.StepType is not StepKind.METHOD or not step.ConnectorName:
            continue
        key = (step.ConnectorName.lower(), step.ConnectorVersion)
        if key in by_connector:
            continue
        kept = (keep or {}).get(key[0])
        if kept is not None:
            by_connector[key] = kept
            continue
        connector = await connector_release(
            session=session, name=step.ConnectorName, version=step.ConnectorVersion
        )
        by_connector[key] = await account_connector_for(
            session=session,
            keyring=keyring,
            account_id=account_id,
            connector=connector,
            reuse=reuse,
            now=now,
        )
    return by_connector


async def newest_live(*, session: AsyncSession, template_id: str) -> TemplateRelease:
    template = await templates.get_template(session=session, template_id=template_id)
    live = [
        r
        for r in await templates.releases(session=session, template_id=template_id)
        if r.status == "Live"
    ]
    if not live:
        raise BadRequest(f"Template '{template.name}' has no Live release to install")
    return live[-1]


async def install(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    template_id: str,
    now: datetime,
) -> Cycle:
    """Install the template's newest Live release; the cycle starts Paused."""
    release = await newest_live(session=session, template_id=template_id)
    document = TemplateDocument.model_validate(release.document)
    by_connector = await connectors_for(
        session=session, keyring=keyring, account_id=account_id, document=document, now=now
    )
    cycle = Cycle(
        id=str(uuid.uuid4()),
        account_id=account_id,
        template_id=template_id,
        template_release_id=release.id,
        name=document.Name,
        description=document.Description,
        settings=document.Settings.model_dump(mode="json"),
        variables=[v.model_dump(mode="json") for v in document.Variables],
        tags=list(document.Tags),
        run_once=False,
        created_at=now,
        updated_at=now,
        **lifecycle.initial_state(),
    )
    session.add(cycle)
    await session.flush()
    await write_structure(session=session, cycle=cycle, document=document, connectors=by_connector)
    return cycle


async def write_structure(
    *,
    session: AsyncSession,
    cycle: Cycle,
    document: TemplateDocument,
    connectors: dict[tuple[str, str | None], AccountConnector],
    existing: list[CycleStep] | None = None,
    per_step: dict[str, AccountConnector] | None = None,
) -> dict[str, CycleStep]:
    """Make the document's steps and edges the cycle's own. Existing steps whose Key the
    document keeps are updated in place (an upgrade keeps their Ids, so webhook URLs and
    what refers to them stay valid); the others go, and the edges are replaced. ``per_step``
    picks a step's account connector by Key before ``connectors`` does."""
    by_key = {s.step_key: s for s in existing or []}
    await session.execute(delete(CycleEdge).where(CycleEdge.cycle_id == cycle.id))
    for gone in set(by_key) - {step.Key for step in document.Steps}:
        await session.execute(delete(CycleStep).where(CycleStep.id == by_key[gone].id))
        session.expunge(by_key.pop(gone))
    written: dict[str, CycleStep] = {}
    for position, step in enumerate(document.Steps):
        used = (step.ConnectorName.lower(), step.ConnectorVersion) if step.ConnectorName else None
        row = by_key.get(step.Key) or CycleStep(
            id=str(uuid.uuid4()), cycle_id=cycle.id, step_key=step.Key
        )
        row.position = position
        webhook_urls.ensure_identifier(row)
        chosen = (per_step or {}).get(step.Key) or (connectors.get(used) if used else None)
        row.account_connector_id = chosen.id if chosen else None
        row.document = step.model_dump(mode="json", exclude={"Key"})
        session.add(row)
        written[step.Key] = row
    await session.flush()
    for edge in document.Edges:
        session.add(
            CycleEdge(
                id=str(uuid.uuid4()),
                cycle_id=cycle.id,
                tail_step_id=written[edge.TailStepKey].id,
                head_step_id=written[edge.HeadStepKey].id,
                edge_type=edge.EdgeType.value,
            )
        )
    await session.flush()
    return written


async def get(
    *, session: AsyncSession, account_id: str, cycle_id: str, lock: bool = False
) -> Cycle:
    """``lock`` for a change: the row stays locked until commit (on PostgreSQL; SQLite's
    writers hold the database lock anyway), so a concurrent activation and a structural
    edit, or two edges checked against the same graph, cannot both pass their checks."""
    query = select(Cycle).where(Cycle.id == cycle_id)
    cycle = await session.scalar(query.with_for_update() if lock else query)
    if cycle is None or cycle.account_id != account_id:
        raise NotFound(f"No cycle with Id '{cycle_id}' in this account")
    return cycle


def list_query(*, account_id: str, tag: str | None = None) -> Select[Any]:
    """``tag``: only cycles with this tag, as a whole and ignoring case."""
    query = select(Cycle).where(Cycle.account_id == account_id)
    if tag:
        token = f"|{tag.strip().lower().replace('|', '/')}|"
        query = query.where(Cycle.tag_index.contains(token, autoescape=True))
    return query


def cycles_query(
    *, account_id: str | None = None, status: lifecycle.CycleStatus | None = None
) -> Select[Any]:
    """Cycles of one account or of all, in one status or any."""
    query = select(Cycle)
    if account_id is not None:
        query = query.where(Cycle.account_id == account_id)
    if status is not None:
        query = query.where(Cycle.status == status.value)
    return query


async def locate(*, session: AsyncSession, cycle_id: str) -> Cycle:
    """A cycle by its Id alone, whichever account holds it (for the operator's command)."""
    cycle = await session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"No cycle with Id '{cycle_id}'")
    return cycle


async def remove(*, session: AsyncSession, cycle: Cycle) -> None:
    await session.execute(delete(Cycle).where(Cycle.id == cycle.id))
    session.expunge(cycle)
    await session.flush()


async def connectors_of(
    *, session: AsyncSession, cycle_id: str
) -> list[tuple[AccountConnector, Connector, int]]:
    """Each account connector the cycle's steps use, its release, and how many steps use it."""
    counts: dict[int, int] = {}
    rows = await session.scalars(
        select(CycleStep.account_connector_id).where(CycleStep.cycle_id == cycle_id)
    )
    for account_connector_id in rows:
        if account_connector_id is not None:
            counts[account_connector_id] = counts.get(account_connector_id, 0) + 1
    result = []
    for account_connector_id, count in counts.items():
        row = await session.get(AccountConnector, account_connector_id)
        if row is not None:
            connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
            result.append((row, connector, count))
    return result


@dataclass
class RunFacts:
    errors: int
    warnings: int
    in_progress: int
    last_successful_run: datetime | None


async def run_facts(*, session: AsyncSession, cycle_id: str) -> RunFacts:
    """What the engine has done with the cycle, for its API answer."""
    levels = dict(
        (
            await session.execute(
                select(Incident.level, func.count())
                .where(Incident.cycle_id == cycle_id)
                .group_by(Incident.level)
            )
        ).all()
    )
    in_progress = await session.scalar(
        select(func.count()).where(
            Transaction.cycle_id == cycle_id,
            Transaction.status.in_([s.value for s in transactions.IN_PROGRESS]),
        )
    )
    last_run = await session.scalar(
        select(func.max(CycleStep.last_successful_run_at)).where(CycleStep.cycle_id == cycle_id)
    )
    return RunFacts(
        errors=int(levels.get("Error", 0)),
        warnings=int(levels.get("Warning", 0)),
        in_progress=int(in_progress or 0),
        last_successful_run=last_run,
    )
