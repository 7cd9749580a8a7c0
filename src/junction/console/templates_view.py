"""What the template pages show, read through the services the API uses: the listing, a
release's steps as an outline, and the cycles that run an older release."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapi import UploadFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account
from junction.connectors.spec.validate import DefinitionInvalid, Problem
from junction.console.web import field_errors
from junction.cycles import upgrade
from junction.cycles.models import Cycle
from junction.errors import BadRequest, JunctionError
from junction.templates import service, transfer
from junction.templates.diff import describe_condition, describe_mapping
from junction.templates.models import Template, TemplateRelease
from junction.templates.schemas import TemplateOut
from junction.templates.spec.models import EdgeKind, Step, StepKind, TemplateDocument

PAGE_SIZE = 50


@dataclass(frozen=True)
class Listing:
    templates: list[TemplateOut]
    tags: list[str]  # every tag in use, lower-cased, for the filter
    page: int
    more: bool


async def listing(*, session: AsyncSession, search: str, tag: str, page: int) -> Listing:
    query = service.templates_query(
        tag=tag.strip() or None, connector_name=None, name_contains=search.strip() or None
    )
    page = max(page, 1)
    rows = list(
        await session.scalars(
            query.order_by(func.lower(Template.name), Template.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    shown = rows[:PAGE_SIZE]
    by_template: dict[str, list[TemplateRelease]] = defaultdict(list)
    if shown:
        releases = await session.scalars(
            select(TemplateRelease)
            .where(TemplateRelease.template_id.in_([t.id for t in shown]))
            .order_by(TemplateRelease.version)
        )
        for release in releases:
            by_template[release.template_id].append(release)
    tags = sorted(
        {
            token
            for tokens in await session.scalars(select(Template.tags).distinct())
            for token in tokens.split("|")
            if token
        }
    )
    return Listing(
        [TemplateOut.build(t, by_template[t.id]) for t in shown], tags, page, len(rows) > PAGE_SIZE
    )


def tags_of(text: str) -> list[str]:
    """Tags as typed in the form: separated by commas."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def facts(out: TemplateOut) -> dict[str, Any]:
    """The template as the API shows it, for the audit log."""
    return out.model_dump(mode="json", include={"Id", "Name", "Description", "Tags"})


@dataclass
class OutlineItem:
    step: Step
    details: list[str]
    branches: list[tuple[str, list[OutlineItem]]] = field(default_factory=list)
    # Shown already (two branches meet there): only named here.
    continues: bool = False


@dataclass(frozen=True)
class Outline:
    flow: list[OutlineItem]  # from the trigger on, branches nested
    loose: list[OutlineItem]  # steps no edge reaches from the trigger (a Draft may have them)
    notes: list[Step]  # annotations


def _seconds(value: int) -> str:
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if value % size == 0:
            count = value // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{value} second{'s' if value != 1 else ''}"


def details(step: Step) -> list[str]:
    """The step in a few lines: what it calls or decides, and where its inputs come from."""
    kind = step.StepType
    lines: list[str] = []
    if kind is StepKind.METHOD:
        version = step.ConnectorVersion or "newest Live release"
        lines.append(
            f"{step.ConnectorName or '(no connector)'} ({version}), "
            f"method {step.MethodUniqueIdentifier or '(none)'}"
        )
    elif kind is StepKind.DECISION:
        joined = f" {'and' if step.Combine == 'All' else 'or'} ".join(
            describe_condition(c) for c in step.Conditions
        )
        lines.append(f"Decides on: {joined or '(no conditions yet)'}")
    elif kind is StepKind.DELAY:
        lines.append(f"Waits {_seconds(step.DelaySeconds)}" if step.DelaySeconds else "Waits")
    elif kind is StepKind.WAIT_UNTIL:
        lines.append(f"Waits until {describe_mapping(step.WaitUntil)}")
    elif kind is StepKind.STOP:
        lines.append("Ends the transaction")
    elif kind is StepKind.WEBHOOK_RESPONSE:
        lines.append(f"Answers the webhook with status {step.ResponseStatus or 200}")
    lines += [f"Parameter {m.Name}: {describe_mapping(m)}" for m in step.Parameters]
    lines += [f"Field {m.Name}: {describe_mapping(m)}" for m in step.FieldMappings]
    return lines


def outline(document: TemplateDocument) -> Outline:
    steps = {s.Key: s for s in document.Steps}
    exits: dict[str, list[tuple[str, EdgeKind]]] = defaultdict(list)
    for edge in document.Edges:
        exits[edge.TailStepKey].append((edge.HeadStepKey, edge.EdgeType))
    entered = {e.HeadStepKey for e in document.Edges}
    shown: set[str] = set()

    def chain(key: str | None) -> list[OutlineItem]:
        items: list[OutlineItem] = []
        while key is not None and key in steps:
            step = steps[key]
            if key in shown:
                items.append(OutlineItem(step, [], continues=True))
                break
            shown.add(key)
            item = OutlineItem(step, details(step))
            items.append(item)
            if step.StepType is StepKind.DECISION:
                for label, kind in (("If true", EdgeKind.TRUE), ("If false", EdgeKind.FALSE)):
                    heads = [head for head, k in exits[key] if k is kind]
                    item.branches.append((label, chain(heads[0] if heads else None)))
                break
            forward = [head for head, k in exits[key] if k is EdgeKind.FORWARD]
            key = forward[0] if forward else None
        return items

    working = [s for s in document.Steps if s.StepType is not StepKind.ANNOTATION]
    flow: list[OutlineItem] = []
    for step in working:
        if step.Key not in entered and step.Key not in shown:
            flow += chain(step.Key)
    loose: list[OutlineItem] = []
    for step in working:
        if step.Key not in shown:
            loose += chain(step.Key)
    notes = [s for s in document.Steps if s.StepType is StepKind.ANNOTATION]
    return Outline(flow, loose, notes)


@dataclass(frozen=True)
class Installed:
    cycle: Cycle
    account_name: str
    version: int | None


async def upgradeable(*, session: AsyncSession, template_id: str) -> list[Installed]:
    """The template's cycles, in every account, that run an older release than its newest
    Live one."""
    cycles = await upgrade.upgradeable(session=session, template_id=template_id)
    if not cycles:
        return []
    versions = {
        release_id: version
        for release_id, version in await session.execute(
            select(TemplateRelease.id, TemplateRelease.version).where(
                TemplateRelease.id.in_({c.template_release_id for c in cycles})
            )
        )
    }
    names = {
        account_id: name
        for account_id, name in await session.execute(
            select(Account.id, Account.name).where(Account.id.in_({c.account_id for c in cycles}))
        )
    }
    return [
        Installed(
            c,
            names.get(c.account_id, c.account_id),
            versions.get(c.template_release_id or -1),
        )
        for c in cycles
    ]


@dataclass(frozen=True)
class TemplatePage:
    out: TemplateOut
    releases: list[TemplateRelease]
    document: TemplateDocument | None
    outline: Outline | None
    draft_problems: list[Problem] | None  # None: no Draft
    newest_live: int | None
    installed: list[Installed]


async def template_page(*, session: AsyncSession, template_id: str) -> TemplatePage:
    template = await service.get_template(session=session, template_id=template_id)
    releases = await service.releases(session=session, template_id=template_id)
    document = TemplateDocument.model_validate(releases[-1].document) if releases else None
    draft = next((r for r in releases if r.status == service.DRAFT), None)
    problems = (
        await service.problems_of(
            session=session, document=TemplateDocument.model_validate(draft.document)
        )
        if draft is not None
        else None
    )
    live = [r.version for r in releases if r.status == service.LIVE]
    return TemplatePage(
        out=TemplateOut.build(template, releases),
        releases=releases,
        document=document,
        outline=outline(document) if document else None,
        draft_problems=problems,
        newest_live=live[-1] if live else None,
        installed=await upgradeable(session=session, template_id=template_id),
    )


@dataclass(frozen=True)
class Refusal:
    """A service's refusal as a form shows it: the message and, for a document, each problem
    with its location."""

    message: str
    problems: list[Problem]
    status_code: int


def refusal(exc: JunctionError) -> Refusal:
    if isinstance(exc, DefinitionInvalid):
        count = len(exc.problems)
        message = f"{exc.subject} has {count} problem{'s' if count != 1 else ''}:"
        return Refusal(message, list(exc.problems), exc.status_code)
    return Refusal(exc.message, [], exc.status_code)


async def upload(file: UploadFile | None) -> bytes:
    """The chosen file's bytes, read no further than the importer's limit (it refuses more)."""
    if file is None or not file.filename:
        raise BadRequest("File: choose an export file to import")
    return await file.read(transfer.MAX_EXPORT_BYTES + 1)


def document_errors(exc: JunctionError) -> dict[str, str]:
    """A refused document's problems beside the fields they name (Name, Description, Tags)."""
    if not isinstance(exc, DefinitionInvalid):
        return field_errors(exc)
    errors: dict[str, str] = {}
    for problem in exc.problems:
        name = re.split(r"[.\[]", problem.location, maxsplit=1)[0]
        message = problem.message
        if message == "String should have at least 1 character":
            message = "is required"
        errors.setdefault(name, message)
    return errors


async def names(
    *, session: AsyncSession, cycle_ids: list[str], account_ids: list[str]
) -> dict[str, str]:
    """Cycles' and accounts' names by Id (an upgrade's report carries only the Ids)."""
    found: dict[str, str] = {}
    if cycle_ids:
        rows = await session.execute(select(Cycle.id, Cycle.name).where(Cycle.id.in_(cycle_ids)))
        found |= {cycle_id: name for cycle_id, name in rows}
    if account_ids:
        rows = await session.execute(
            select(Account.id, Account.name).where(Account.id.in_(account_ids))
        )
        found |= {account_id: name for account_id, name in rows}
    return found
