"""A cycle compiled for running: its steps, where each leads, and its settings.

Every change of what a plan is made of, and every change of the cycle's state, gives the
cycle a new ``version`` (``cycles.lifecycle``); so a plan is cached by (cycle id, version)
and never goes stale.

A method step runs its method as its account connector has it: with the account
connector's custom fields (``connectors.custom_methods``). A change of those fields gives
the cycles using the account connector a new version, so their plans are compiled again;
fields that did not change give the very same method object, so the runtime's plans
compiled for it (cached by object identity) are used again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog import service as catalog
from junction.connectors.spec.models import ConnectorDefinition, MethodKind, MethodSpec, Verb
from junction.cycles import structure as structures
from junction.cycles.models import Cycle
from junction.templates.spec.models import (
    CollectionSplit,
    EdgeKind,
    ErrorAction,
    Step,
    StepKind,
    TemplateSettings,
)


@dataclass(frozen=True)
class StepPlan:
    id: str
    key: str
    name: str
    spec: Step
    definition: ConnectorDefinition | None
    method: MethodSpec | None
    account_connector_id: int | None
    next: str | None  # the Forward edge's head
    on_true: str | None
    on_false: str | None
    is_trigger: bool
    splits: bool  # a list of records here becomes one transaction per record
    id_field: str | None  # the response field the connector marks EntityIdentifier

    @property
    def kind(self) -> StepKind:
        return self.spec.StepType

    @property
    def is_webhook(self) -> bool:
        return self.method is not None and self.method.MethodType is MethodKind.WEBHOOK

    @property
    def pages(self) -> bool:
        """Get methods read every page of their results."""
        return self.method is not None and self.method.HttpMethod is Verb.GET


@dataclass(frozen=True)
class CyclePlan:
    cycle_id: str
    account_id: str
    name: str
    version: int
    steps: dict[str, StepPlan]
    trigger: StepPlan | None
    variables: dict[str, str]
    settings: TemplateSettings
    # Its WebhookResponse steps, by id, with the HTTP status each answers with.
    responses: dict[str, int]

    @property
    def responds(self) -> bool:
        return bool(self.responses)

    @property
    def error_action(self) -> ErrorAction:
        return self.settings.StepErrorAction


def _splits(step: Step, is_trigger: bool, default: CollectionSplit) -> bool:
    choice = step.CollectionSplitType or default
    if choice is CollectionSplit.ALL_STEPS:
        return True
    if choice is CollectionSplit.FIRST_STEP:
        return is_trigger
    return False


def _settings(raw: dict[str, Any]) -> TemplateSettings:
    known = set(TemplateSettings.model_fields)
    return TemplateSettings.model_validate({k: v for k, v in raw.items() if k in known})


async def compile_plan(*, session: AsyncSession, cycle: Cycle) -> CyclePlan:
    loaded = await structures.load(session=session, cycle=cycle)
    settings = _settings(cycle.settings or {})
    trigger = loaded.trigger()
    exits: dict[tuple[str, EdgeKind], str] = {
        (e.tail_step_id, EdgeKind(e.edge_type)): e.head_step_id for e in loaded.edges
    }
    steps: dict[str, StepPlan] = {}
    for row in loaded.steps:
        spec = loaded.step_spec(row)
        used = loaded.connectors.get(row.account_connector_id or -1)
        definition = catalog.definition_of(used[1]) if used else None
        method = loaded.effective_method_of(row)
        is_trigger = trigger is not None and row.id == trigger.id
        id_field = None
        if method is not None:
            id_field = next(
                (
                    f.SystemField or f.ConnectorField
                    for f in method.ResponseFields
                    if f.EntityIdentifier
                ),
                None,
            )
        steps[row.id] = StepPlan(
            id=row.id,
            key=row.step_key,
            name=spec.Name,
            spec=spec,
            definition=definition,
            method=method,
            account_connector_id=row.account_connector_id,
            next=exits.get((row.id, EdgeKind.FORWARD)),
            on_true=exits.get((row.id, EdgeKind.TRUE)),
            on_false=exits.get((row.id, EdgeKind.FALSE)),
            is_trigger=is_trigger,
            splits=_splits(spec, is_trigger, settings.CollectionSplitType),
            id_field=id_field,
        )
    variables = {
        str(v["SystemName"]): "" if v.get("Value") is None else str(v["Value"])
        for v in cycle.variables or []
    }
    return CyclePlan(
        cycle_id=cycle.id,
        account_id=cycle.account_id,
        name=cycle.name,
        version=cycle.version,
        steps=steps,
        trigger=steps.get(trigger.id) if trigger else None,
        variables=variables,
        settings=settings,
        responses={
            s.id: s.spec.ResponseStatus or 200
            for s in steps.values()
            if s.kind is StepKind.WEBHOOK_RESPONSE
        },
    )


class PlanCache:
    """Compiled plans by cycle id, for the newest version seen; least recently used go."""

    def __init__(self, size: int = 2048) -> None:
        self._plans: OrderedDict[str, CyclePlan] = OrderedDict()
        self._size = size

    def get(self, cycle_id: str, version: int) -> CyclePlan | None:
        plan = self._plans.get(cycle_id)
        if plan is None or plan.version != version:
            return None
        self._plans.move_to_end(cycle_id)
        return plan

    async def of(self, *, session: AsyncSession, cycle: Cycle) -> CyclePlan:
        """The cycle's plan for its current version, compiled once."""
        plan = self.get(cycle.id, cycle.version)
        if plan is None:
            plan = await compile_plan(session=session, cycle=cycle)
            self.put(plan)
        return plan

    def put(self, plan: CyclePlan) -> None:
        self._plans[plan.cycle_id] = plan
        self._plans.move_to_end(plan.cycle_id)
        while len(self._plans) > self._size:
            self._plans.popitem(last=False)
