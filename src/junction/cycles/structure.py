"""A cycle's structure (steps, edges, the account connectors they use) loaded in one place.

The cycle owns a copy of its release's steps and edges, so the structure is read from the
cycle's rows and seen as a template document: the graph checks, prerequisites and the
engine then share one view. Step Keys are the cycle steps' ``step_key``; a method step's
connector is the release of the account connector it uses.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import custom_methods
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import MethodIds
from junction.connectors.spec.models import MethodKind, MethodSpec
from junction.connectors.spec.validate import Problem
from junction.cycles.models import Cycle, CycleEdge, CycleStep
from junction.errors import NotFound
from junction.templates import service as templates
from junction.templates.spec.graph import check_template
from junction.templates.spec.models import (
    Edge,
    EdgeKind,
    Step,
    StepKind,
    TemplateDocument,
    Variable,
)

T = TypeVar("T")


@dataclass
class Structure:
    cycle: Cycle
    steps: list[CycleStep]
    edges: list[CycleEdge]
    # account connector id -> (row, its connector release)
    connectors: dict[int, tuple[AccountConnector, Connector]] = field(default_factory=dict)
    # account connector id -> its custom fields
    custom_fields: dict[int, list[custom_methods.CustomField]] = field(default_factory=dict)

    def step_spec(self, cycle_step: CycleStep) -> Step:
        spec = Step.model_validate(cycle_step.document | {"Key": cycle_step.step_key})
        used = self.connectors.get(cycle_step.account_connector_id or -1)
        if used is not None:
            spec.ConnectorName, spec.ConnectorVersion = used[1].name, used[1].version
        return spec

    def by_id(self, step_id: str) -> CycleStep:
        for cycle_step in self.steps:
            if cycle_step.id == step_id:
                return cycle_step
        raise NotFound(f"Cycle '{self.cycle.name}' has no step with Id '{step_id}'")

    def by_key(self) -> dict[str, CycleStep]:
        return {s.step_key: s for s in self.steps}

    def document(self) -> TemplateDocument:
        keys = {s.id: s.step_key for s in self.steps}
        return TemplateDocument(
            Name=self.cycle.name,
            Description=self.cycle.description,
            Variables=[Variable.model_validate(v) for v in self.cycle.variables],
            Steps=[self.step_spec(s) for s in self.steps],
            Edges=[
                Edge(
                    TailStepKey=keys[e.tail_step_id],
                    HeadStepKey=keys[e.head_step_id],
                    EdgeType=EdgeKind(e.edge_type),
                )
                for e in self.edges
            ],
        )

    def trigger(self) -> CycleStep | None:
        """The step no edge enters (annotations aside), when there is exactly one."""
        entered = {e.head_step_id for e in self.edges}
        return _only([s for s in self.steps if s.id not in entered and _may_start(s.document)])

    def method_of(self, cycle_step: CycleStep) -> MethodSpec | None:
        used = self.connectors.get(cycle_step.account_connector_id or -1)
        if used is None:
            return None
        return catalog.method_by_uid(
            catalog.definition_of(used[1]), cycle_step.document.get("MethodUniqueIdentifier") or ""
        )

    def custom_fields_of(self, cycle_step: CycleStep) -> list[custom_methods.CustomField]:
        """The custom fields of the step's method on its account connector."""
        method = self.method_of(cycle_step)
        if method is None:
            return []
        fields = self.custom_fields.get(cycle_step.account_connector_id or -1, [])
        return custom_methods.of_method(fields, method)

    def effective_method_of(self, cycle_step: CycleStep) -> MethodSpec | None:
        """The step's method with its account connector's custom fields."""
        method = self.method_of(cycle_step)
        if method is None:
            return None
        return custom_methods.effective(method, self.custom_fields_of(cycle_step))

    async def method_ids(self, *, session: AsyncSession, cycle_step: CycleStep) -> MethodIds | None:
        """The numeric Ids of the step's method and of its parameters and fields."""
        used = self.connectors.get(cycle_step.account_connector_id or -1)
        method = self.method_of(cycle_step)
        if used is None or method is None:
            return None
        position = catalog.definition_of(used[1]).Methods.index(method)
        return (await catalog.method_ids(session=session, connector_id=used[1].id))[position]

    def is_webhook_triggered(self) -> bool:
        trigger = self.trigger()
        method = self.method_of(trigger) if trigger else None
        return method is not None and method.MethodType is MethodKind.WEBHOOK


def _may_start(document: dict[str, Any]) -> bool:
    return document.get("StepType") != StepKind.ANNOTATION


def _only(starts: list[T]) -> T | None:
    return starts[0] if len(starts) == 1 else None


async def triggers(*, session: AsyncSession, cycle_ids: Collection[str]) -> dict[str, str | None]:
    """Each cycle's trigger step id, as ``Structure.trigger`` finds it, in one query for
    them all: the scheduler needs only this of hundreds of cycles due at once, and their
    plans may not be compiled yet in this process."""
    entered = select(CycleEdge.id).where(CycleEdge.head_step_id == CycleStep.id).exists()
    rows = await session.execute(
        select(CycleStep.cycle_id, CycleStep.id, CycleStep.document).where(
            CycleStep.cycle_id.in_(list(cycle_ids)), ~entered
        )
    )
    starts: dict[str, list[str]] = {cycle_id: [] for cycle_id in cycle_ids}
    for cycle_id, step_id, document in rows:
        if _may_start(document):
            starts[cycle_id].append(step_id)
    return {cycle_id: _only(ids) for cycle_id, ids in starts.items()}


async def load(*, session: AsyncSession, cycle: Cycle) -> Structure:
    steps = list(
        await session.scalars(
            select(CycleStep).where(CycleStep.cycle_id == cycle.id).order_by(CycleStep.position)
        )
    )
    edges = list(
        await session.scalars(
            select(CycleEdge).where(CycleEdge.cycle_id == cycle.id).order_by(CycleEdge.id)
        )
    )
    structure = Structure(cycle, steps, edges)
    ids = {s.account_connector_id for s in steps if s.account_connector_id is not None}
    if ids:
        rows = await session.execute(
            select(AccountConnector, Connector)
            .join(Connector, Connector.id == AccountConnector.connector_id)
            .where(AccountConnector.id.in_(sorted(ids)))
        )
        structure.connectors = {row.id: (row, connector) for row, connector in rows.all()}
        structure.custom_fields = await custom_methods.fields_of(
            session=session, account_connector_ids=ids
        )
    return structure


async def problems(*, session: AsyncSession, structure: Structure) -> list[Problem]:
    """What is wrong with the cycle's graph and mappings, as for a template going Live."""
    document = structure.document()
    lookup = await templates.method_lookup(session=session, document=document)
    # Steps may map their account connectors' custom fields. The look-up knows a release,
    # not an account connector: it offers the custom fields of every account connector of
    # that release in this cycle (the engine uses each step's own).
    custom: dict[tuple[str, str], list[custom_methods.CustomField]] = {}
    for row, connector in structure.connectors.values():
        key = (connector.name.lower(), connector.version)
        custom.setdefault(key, []).extend(structure.custom_fields.get(row.id, []))

    def with_custom_fields(name: str, version: str | None, mui: str) -> MethodSpec | None:
        method = lookup(name, version, mui)
        fields = custom.get((name.lower(), version or ""), [])
        return custom_methods.effective(method, fields) if method and fields else method

    return list(check_template(document, with_custom_fields))


async def load_step(
    *, session: AsyncSession, account_id: str, step_id: str, lock: bool = False
) -> tuple[Structure, CycleStep]:
    """A step of one of the account's cycles, with its cycle's structure (``lock``: the
    cycle row is locked for a change, as in ``service.get``)."""
    query = (
        select(Cycle)
        .join(CycleStep, CycleStep.cycle_id == Cycle.id)
        .where(CycleStep.id == step_id, Cycle.account_id == account_id)
    )
    cycle = await session.scalar(query.with_for_update(of=Cycle) if lock else query)
    if cycle is None:
        raise NotFound(f"No step with Id '{step_id}' in this account")
    loaded = await load(session=session, cycle=cycle)
    return loaded, loaded.by_id(step_id)
