"""What changed between two releases of a template, compared part by part.

Steps are matched by their Key, inputs by their Name, variables by their SystemName and
edges by their two ends, so a step that moved in the list or an input mapped anew shows as
one change, not as a removal and an addition. Values are said in words (a mapping as where
its value comes from), for a reader comparing two releases rather than two files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from junction.templates.spec.models import (
    Condition,
    Edge,
    InputMapping,
    Mapping,
    MappingKind,
    Step,
    TemplateDocument,
    Variable,
)

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# Compared one by one; the rest of a step (inputs, conditions, position) below.
_STEP_FIELDS = (
    "Name",
    "Description",
    "StepType",
    "ConnectorName",
    "ConnectorVersion",
    "MethodUniqueIdentifier",
    "CollectionSplitType",
    "Combine",
    "DelaySeconds",
    "ResponseStatus",
    "Text",
    "Script",
)
_INPUT_SECTIONS = {"Parameters": "parameter", "FieldMappings": "field"}


@dataclass(frozen=True)
class Change:
    section: str  # Template, Settings, Variables, Steps or Edges
    subject: str  # what changed, e.g. "step 'Create contact' (create)"
    kind: str  # added, removed or changed
    detail: str = ""  # the part of the subject, e.g. "field Email"
    before: str | None = None
    after: str | None = None


def describe_mapping(mapping: Mapping | None) -> str:
    """Where an input's value comes from, in words."""
    if mapping is None or mapping.MappingType is MappingKind.IGNORE:
        return "not mapped"
    kind = mapping.MappingType
    if kind is MappingKind.STATIC_VALUE:
        text = f"the value “{mapping.Value or ''}”"
    elif kind is MappingKind.VALUE_LIST:
        text = f"the choice “{mapping.TriggerValueDisplayName or mapping.Value or ''}”"
    elif kind is MappingKind.STEP_DATA:
        text = f"{mapping.SourceField or '?'} from step {mapping.SourceStepKey or '?'}"
    elif kind is MappingKind.VARIABLE:
        text = f"variable {mapping.VariableName or '?'}"
    elif kind is MappingKind.LOOKUP:
        text = f"the look-up value “{mapping.TriggerValueDisplayName or mapping.TriggerValue}”"
    else:
        text = f"the script {mapping.Value or ''}"
    return text + (" (the user may change it)" if mapping.IsLaunchVisible else "")


def describe_condition(condition: Condition) -> str:
    right = (
        ""
        if condition.Operator in ("IsEmpty", "IsNotEmpty")
        else " " + describe_mapping(condition.Right)
    )
    return f"{describe_mapping(condition.Left)} {condition.Operator}{right}"


def describe_step(step: Step) -> str:
    return f"step '{step.Name}' ({step.Key})"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(getattr(value, "value", value))


def diff(old: TemplateDocument, new: TemplateDocument) -> list[Change]:
    """Every difference from ``old`` to ``new``, section by section."""
    return [
        *_template(old, new),
        *_settings(old, new),
        *_variables(old.Variables, new.Variables),
        *_steps(old.Steps, new.Steps),
        *_edges(old, new),
    ]


def _template(old: TemplateDocument, new: TemplateDocument) -> Iterator[Change]:
    for name in ("Name", "Description"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            yield Change("Template", name, CHANGED, "", _text(before), _text(after))
    if old.Tags != new.Tags:
        yield Change("Template", "Tags", CHANGED, "", ", ".join(old.Tags), ", ".join(new.Tags))


def _settings(old: TemplateDocument, new: TemplateDocument) -> Iterator[Change]:
    before, after = old.Settings.model_dump(mode="json"), new.Settings.model_dump(mode="json")
    for name, value in after.items():
        if before.get(name) != value:
            yield Change("Settings", name, CHANGED, "", _text(before.get(name)), _text(value))


def _variables(old: list[Variable], new: list[Variable]) -> Iterator[Change]:
    def said(variable: Variable) -> str:
        shown = f"“{variable.Value or ''}”"
        return shown + (" (the user may change it)" if variable.IsLaunchVisible else "")

    before = {v.SystemName.lower(): v for v in old}
    after = {v.SystemName.lower(): v for v in new}
    for key, variable in after.items():
        was = before.get(key)
        subject = f"variable {variable.SystemName}"
        if was is None:
            yield Change("Variables", subject, ADDED, "", None, said(variable))
        elif was != variable:
            yield Change("Variables", subject, CHANGED, "", said(was), said(variable))
    for key, variable in before.items():
        if key not in after:
            yield Change(
                "Variables", f"variable {variable.SystemName}", REMOVED, "", said(variable)
            )


def _steps(old: list[Step], new: list[Step]) -> Iterator[Change]:
    before = {s.Key: s for s in old}
    after = {s.Key: s for s in new}
    for key, step in after.items():
        was = before.get(key)
        if was is None:
            yield Change("Steps", describe_step(step), ADDED, "", None, _summary(step))
        elif was != step:
            yield from _step_changes(was, step)
    for key, step in before.items():
        if key not in after:
            yield Change("Steps", describe_step(step), REMOVED, "", _summary(step))


def _summary(step: Step) -> str:
    if step.ConnectorName:
        return f"{step.StepType.value}: {step.ConnectorName} {step.MethodUniqueIdentifier or ''}"
    return step.StepType.value


def _step_changes(old: Step, new: Step) -> Iterator[Change]:
    subject = describe_step(new)
    for name in _STEP_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            yield Change("Steps", subject, CHANGED, name, _text(before), _text(after))
    for section, label in _INPUT_SECTIONS.items():
        yield from _inputs(subject, label, getattr(old, section), getattr(new, section))
    if old.Conditions != new.Conditions:
        yield Change(
            "Steps",
            subject,
            CHANGED,
            "Conditions",
            _conditions(old.Conditions, old.Combine),
            _conditions(new.Conditions, new.Combine),
        )
    if old.WaitUntil != new.WaitUntil:
        yield Change(
            "Steps",
            subject,
            CHANGED,
            "WaitUntil",
            describe_mapping(old.WaitUntil),
            describe_mapping(new.WaitUntil),
        )
    where = (old.DisplayPositionLeft, old.DisplayPositionTop)
    now = (new.DisplayPositionLeft, new.DisplayPositionTop)
    if where != now:
        yield Change(
            "Steps", subject, CHANGED, "Position", f"{where[0]}, {where[1]}", f"{now[0]}, {now[1]}"
        )


def _conditions(conditions: Iterable[Condition], combine: str) -> str:
    joined = f" {'and' if combine == 'All' else 'or'} ".join(
        describe_condition(c) for c in conditions
    )
    return joined or "none"


def _inputs(
    subject: str, label: str, old: list[InputMapping], new: list[InputMapping]
) -> Iterator[Change]:
    before = {m.Name: m for m in old}
    after = {m.Name: m for m in new}
    for name in [*after, *(n for n in before if n not in after)]:
        was, now = before.get(name), after.get(name)
        if was != now:
            kind = ADDED if was is None else REMOVED if now is None else CHANGED
            yield Change(
                "Steps",
                subject,
                kind,
                f"{label} {name}",
                describe_mapping(was) if was else None,
                describe_mapping(now) if now else None,
            )


def _edges(old: TemplateDocument, new: TemplateDocument) -> Iterator[Change]:
    names = {s.Key: s.Name for s in [*old.Steps, *new.Steps]}

    def said(edge: Edge) -> str:
        tail = names.get(edge.TailStepKey, edge.TailStepKey)
        head = names.get(edge.HeadStepKey, edge.HeadStepKey)
        exit_ = "" if edge.EdgeType.value == "Forward" else f" (if {edge.EdgeType.value.lower()})"
        return f"{tail} → {head}{exit_}"

    before = {(e.TailStepKey, e.HeadStepKey): e for e in old.Edges}
    after = {(e.TailStepKey, e.HeadStepKey): e for e in new.Edges}
    for ends, edge in after.items():
        was = before.get(ends)
        if was is None:
            yield Change("Edges", said(edge), ADDED)
        elif was != edge:
            yield Change(
                "Edges", said(edge), CHANGED, "EdgeType", was.EdgeType.value, edge.EdgeType.value
            )
    for ends, edge in before.items():
        if ends not in after:
            yield Change("Edges", said(edge), REMOVED)
