"""Upgrading installed cycles to their template's newest Live release.

The release's structure and settings replace the cycle's. What the account chose is kept
where the new release still lets the user choose it: values of user-configurable
(``IsLaunchVisible``) mappings and variables, and the account connectors the steps use.
Anything that cannot come along is reported, never dropped silently. The cycle keeps its
name, its schedule and the Ids of the steps that remain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from junction.connectors.models import AccountConnector
from junction.cycles import prerequisites, service, structure
from junction.cycles.models import Cycle
from junction.cycles.structure import Structure
from junction.errors import BadRequest, Conflict
from junction.security.keyring import Keyring
from junction.templates.models import TemplateRelease
from junction.templates.spec.graph import check_mapping
from junction.templates.spec.models import InputMapping, Step, TemplateDocument

SECTIONS = ("Parameters", "FieldMappings")


@dataclass(frozen=True)
class NotCarried:
    StepName: str | None
    Input: str
    Reason: str


@dataclass
class UpgradeReport:
    cycle: Cycle
    FromVersion: int | None
    ToVersion: int
    NotCarriedOver: list[NotCarried] = field(default_factory=list)
    Deactivated: bool = False

    def body(self) -> dict[str, Any]:
        return {
            "FromVersion": self.FromVersion,
            "ToVersion": self.ToVersion,
            "NotCarriedOver": [asdict(n) for n in self.NotCarriedOver],
            "Deactivated": self.Deactivated,
        }


async def _versions(*, session: AsyncSession, cycle: Cycle) -> tuple[int | None, TemplateRelease]:
    if cycle.template_id is None:
        raise BadRequest(f"Cycle '{cycle.name}' was not installed from a template")
    target = await service.newest_live(session=session, template_id=cycle.template_id)
    current = (
        await session.get(TemplateRelease, cycle.template_release_id)
        if cycle.template_release_id
        else None
    )
    return (current.version if current else None), target


def _carry_mappings(
    old: Structure, document: TemplateDocument, report: UpgradeReport
) -> list[Step]:
    """The new release's steps, with the account's user-configurable values put back."""
    new_steps = {s.Key: s for s in document.Steps}
    for cycle_step in old.steps:
        spec = old.step_spec(cycle_step)
        for section in SECTIONS:
            for mapping in getattr(spec, section):
                if not mapping.IsLaunchVisible:
                    continue
                reason = _carry_one(document, new_steps.get(spec.Key), section, mapping)
                if reason:
                    report.NotCarriedOver.append(NotCarried(spec.Name, mapping.Name, reason))
    return list(new_steps.values())


def _carry_one(
    document: TemplateDocument, step: Step | None, section: str, mapping: InputMapping
) -> str | None:
    """Put ``mapping`` into ``step``; the reason when it cannot be."""
    if step is None:
        return "the new release has no such step"
    inputs: list[InputMapping] = getattr(step, section)
    index = next((i for i, m in enumerate(inputs) if m.Name == mapping.Name), None)
    if index is not None and not inputs[index].IsLaunchVisible:
        return "the new release no longer lets the user set it"
    problems = check_mapping(document, step.Key, mapping.Name, mapping)
    if problems:
        return problems[0].message
    if index is None:
        inputs.append(mapping)
    else:
        inputs[index] = mapping
    return None


def _carry_variables(cycle: Cycle, document: TemplateDocument, report: UpgradeReport) -> None:
    old = {v["SystemName"].lower(): v for v in cycle.variables}
    for variable in document.Variables:
        kept = old.pop(variable.SystemName.lower(), None)
        if kept is not None and variable.IsLaunchVisible:
            variable.Value = kept.get("Value")
    for gone in old.values():
        if gone.get("IsLaunchVisible"):
            report.NotCarriedOver.append(
                NotCarried(None, gone["SystemName"], "the new release has no such variable")
            )


async def upgrade(
    *, session: AsyncSession, keyring: Keyring, cycle: Cycle, now: datetime
) -> UpgradeReport:
    from_version, release = await _versions(session=session, cycle=cycle)
    if from_version is not None and from_version >= release.version:
        raise Conflict(
            f"Cycle '{cycle.name}' already runs release {from_version}, the newest Live one"
        )
    report = UpgradeReport(cycle, from_version, release.version)
    old = await structure.load(session=session, cycle=cycle)
    document = TemplateDocument.model_validate(release.document)
    document.Steps = _carry_mappings(old, document, report)
    _carry_variables(cycle, document, report)
    keep: dict[str, AccountConnector] = {
        connector.name.lower(): row for row, connector in old.connectors.values()
    }
    connectors = await service.connectors_for(
        session=session,
        keyring=keyring,
        account_id=cycle.account_id,
        document=document,
        now=now,
        keep=keep,
    )
    await service.write_structure(
        session=session, cycle=cycle, document=document, connectors=connectors, existing=old.steps
    )
    cycle.template_release_id = release.id
    cycle.settings = document.Settings.model_dump(mode="json")
    cycle.variables = [v.model_dump(mode="json") for v in document.Variables]
    cycle.updated_at = now
    await session.flush()
    if cycle.status == "Active":
        unmet = await prerequisites.of_cycle(
            session=session, structure=await structure.load(session=session, cycle=cycle)
        )
        if unmet:
            # Running it half set up would fail every transaction: it waits for the account.
            cycle.status = "Paused"
            report.Deactivated = True
            await session.flush()
    return report


async def upgradeable(
    *, session: AsyncSession, account_id: str | None = None, template_id: str | None = None
) -> list[Cycle]:
    """Cycles whose template has a Live release newer than the one they run."""
    current, newer = TemplateRelease, aliased(TemplateRelease)
    query = (
        select(Cycle)
        .join(current, current.id == Cycle.template_release_id)
        .where(
            select(newer.id)
            .where(
                newer.template_id == Cycle.template_id,
                newer.status == "Live",
                newer.version > current.version,
            )
            .exists()
        )
        .order_by(Cycle.created_at, Cycle.id)
    )
    if account_id is not None:
        query = query.where(Cycle.account_id == account_id)
    if template_id is not None:
        query = query.where(Cycle.template_id == template_id)
    return list(await session.scalars(query))
