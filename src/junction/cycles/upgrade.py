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

from junction.connectors.accounts.models import AccountConnector
from junction.cycles import lifecycle, prerequisites, service, structure
from junction.cycles.lifecycle import Change, CycleStatus
from junction.cycles.models import Cycle
from junction.cycles.structure import Structure
from junction.errors import BadRequest, Conflict, JunctionError
from junction.security.keyring import Keyring
from junction.templates import service as templates
from junction.templates.models import TemplateRelease
from junction.templates.spec.graph import check_mapping
from junction.templates.spec.models import InputMapping, MappingKind, Step, TemplateDocument

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


async def _versions(
    *, session: AsyncSession, cycle: Cycle
) -> tuple[TemplateRelease | None, TemplateRelease]:
    if cycle.template_id is None:
        raise BadRequest(f"Cycle '{cycle.name}' was not installed from a template")
    target = await service.newest_live(session=session, template_id=cycle.template_id)
    current = (
        await session.get(TemplateRelease, cycle.template_release_id)
        if cycle.template_release_id
        else None
    )
    return current, target


def _carry_mappings(
    old: Structure, installed: TemplateDocument, document: TemplateDocument, report: UpgradeReport
) -> None:
    """Put the account's values back into the new release's steps.

    A value is the account's when it is user-configurable or differs from what the installed
    release set. It comes along where the new release leaves the input to the user (or
    unmapped); a value that cannot come along is reported.
    """
    new_steps = {s.Key: s for s in document.Steps}
    released_steps = {s.Key: s for s in installed.Steps}
    for cycle_step in old.steps:
        spec = old.step_spec(cycle_step)
        released = released_steps.get(spec.Key)
        if released is None and spec.Key not in new_steps:
            report.NotCarriedOver.append(
                NotCarried(
                    spec.Name,
                    "(step)",
                    "the step was added to the cycle; the release replaces the cycle's steps",
                )
            )
            continue
        for section in SECTIONS:
            released_inputs = {m.Name: m for m in getattr(released, section)} if released else {}
            for mapping in getattr(spec, section):
                if mapping.MappingType is MappingKind.IGNORE:
                    continue
                if not mapping.IsLaunchVisible and released_inputs.get(mapping.Name) == mapping:
                    continue  # the installed release's own value: the new release decides
                reason = _carry_one(document, new_steps.get(spec.Key), section, mapping)
                if reason:
                    report.NotCarriedOver.append(NotCarried(spec.Name, mapping.Name, reason))


def _carry_one(
    document: TemplateDocument, step: Step | None, section: str, mapping: InputMapping
) -> str | None:
    """Put ``mapping`` into ``step``; the reason when it cannot be."""
    if step is None:
        return "the new release has no such step"
    inputs: list[InputMapping] = getattr(step, section)
    index = next((i for i, m in enumerate(inputs) if m.Name == mapping.Name), None)
    if index is not None and not inputs[index].IsLaunchVisible:
        if inputs[index].model_copy(update={"IsLaunchVisible": mapping.IsLaunchVisible}) == mapping:
            return None  # the release sets the same value
        return "the new release sets it and does not let the user change it"
    problems = check_mapping(document, step.Key, mapping.Name, mapping)
    if problems:
        return problems[0].message
    if index is None:
        inputs.append(mapping)
    else:
        inputs[index] = mapping
    return None


def _carry_variables(
    cycle: Cycle, installed: TemplateDocument, document: TemplateDocument, report: UpgradeReport
) -> None:
    old = {v["SystemName"].lower(): v for v in cycle.variables}
    released = {v.SystemName.lower(): v.Value for v in installed.Variables}

    def account_set(variable: dict[str, Any]) -> bool:
        name = variable["SystemName"].lower()
        return bool(variable.get("IsLaunchVisible")) or (
            name not in released or released[name] != variable.get("Value")
        )

    for variable in document.Variables:
        kept = old.pop(variable.SystemName.lower(), None)
        if kept is None or kept.get("Value") == variable.Value:
            continue
        if variable.IsLaunchVisible:
            variable.Value = kept.get("Value")
        elif account_set(kept):
            report.NotCarriedOver.append(
                NotCarried(
                    None,
                    variable.SystemName,
                    "the new release sets it and does not let the user change it",
                )
            )
    for gone in old.values():
        if account_set(gone):
            report.NotCarriedOver.append(
                NotCarried(None, gone["SystemName"], "the new release has no such variable")
            )


def _kept_connectors(old: Structure, document: TemplateDocument) -> dict[str, AccountConnector]:
    """Each step keeps its account connector where the new release calls the same connector."""
    kept: dict[str, AccountConnector] = {}
    by_key = old.by_key()
    for step in document.Steps:
        cycle_step = by_key.get(step.Key)
        used = old.connectors.get(cycle_step.account_connector_id or -1) if cycle_step else None
        if used and step.ConnectorName and used[1].name.lower() == step.ConnectorName.lower():
            kept[step.Key] = used[0]
    return kept


async def upgrade(
    *, session: AsyncSession, keyring: Keyring, cycle: Cycle, now: datetime
) -> UpgradeReport:
    current, release = await _versions(session=session, cycle=cycle)
    if current is not None and current.version >= release.version:
        raise Conflict(
            f"Cycle '{cycle.name}' already runs release {current.version}, the newest Live one"
        )
    report = UpgradeReport(cycle, current.version if current else None, release.version)
    old = await structure.load(session=session, cycle=cycle)
    installed = TemplateDocument.model_validate(current.document if current else {"Name": "-"})
    document = TemplateDocument.model_validate(release.document)
    _carry_mappings(old, installed, document, report)
    _carry_variables(cycle, installed, document, report)
    per_step = _kept_connectors(old, document)
    # Steps new to the release use an account connector of that connector the cycle had,
    # else one chosen as at install.
    connectors = await service.connectors_for(
        session=session,
        keyring=keyring,
        account_id=cycle.account_id,
        document=document,
        now=now,
        keep={connector.name.lower(): row for row, connector in old.connectors.values()},
    )
    await service.write_structure(
        session=session,
        cycle=cycle,
        document=document,
        connectors=connectors,
        existing=old.steps,
        per_step=per_step,
    )
    cycle.template_release_id = release.id
    cycle.settings = document.Settings.model_dump(mode="json")
    cycle.variables = [v.model_dump(mode="json") for v in document.Variables]
    cycle.updated_at = now
    await session.flush()
    if cycle.status == CycleStatus.ACTIVE:
        unmet = await prerequisites.of_cycle(
            session=session, structure=await structure.load(session=session, cycle=cycle)
        )
        if unmet:
            # Running it half set up would fail every transaction: it waits for the account.
            # (The pause is the upgrade's one new version.)
            await lifecycle.apply(session, cycle, Change.UPGRADE_PAUSE, now=now)
            report.Deactivated = True
            return report
    await lifecycle.touch(session, cycle)
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


async def upgrade_installed(
    *, session: AsyncSession, keyring: Keyring, template_id: str, now: datetime
) -> list[dict[str, Any]]:
    """Upgrade every cycle of the template that runs an older release, in every account."""
    await templates.get_template(session=session, template_id=template_id)
    reports: list[dict[str, Any]] = []
    for cycle in await upgradeable(session=session, template_id=template_id):
        report: dict[str, Any] = {"CycleId": cycle.id, "AccountId": cycle.account_id}
        try:
            # One cycle that cannot be upgraded (say, a connector it would need is not
            # installable) is reported and left as it was; the others still move.
            async with session.begin_nested():
                done = await upgrade(session=session, keyring=keyring, cycle=cycle, now=now)
            reports.append(report | done.body())
        except JunctionError as exc:
            reports.append(report | {"Error": exc.message})
    return reports
