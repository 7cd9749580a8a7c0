"""What the template builder shows: the Draft's steps laid out as a flow, each step's
problems, the catalogue's methods to add, and the inputs of a step with their sources.

Every check comes from the template services (``problems_of``, ``check_mapping``) and the
cycles' prerequisites (a required input with no value); this module only places them.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import MethodKind, MethodSpec, Target
from junction.connectors.spec.validate import problem_location
from junction.cycles.prerequisites import unmapped_inputs
from junction.errors import BadRequest
from junction.templates import service as templates
from junction.templates.models import Template, TemplateRelease
from junction.templates.spec import graph
from junction.templates.spec.models import (
    EdgeKind,
    Mapping,
    MappingKind,
    Step,
    StepKind,
    TemplateDocument,
)

# The tools a step can be besides a connector method, as the add-step list names them.
TOOLS: dict[str, str] = {
    StepKind.DECISION.value: "Decision (True / False exits)",
    StepKind.DELAY.value: "Delay",
    StepKind.WAIT_UNTIL.value: "Wait until a date",
    StepKind.STOP.value: "Stop",
    StepKind.WEBHOOK_RESPONSE.value: "Webhook response",
    StepKind.ANNOTATION.value: "Annotation (a note)",
}
SOURCES = {
    "ignore": "Not mapped",
    "value": "A value",
    "variable": "A variable",
    "step": "A field of an earlier step",
    "lookup": "A look-up value",
    "script": "An expression (=...)",
}
OPERATORS = [
    "Equals",
    "NotEquals",
    "Contains",
    "NotContains",
    "StartsWith",
    "EndsWith",
    "GreaterThan",
    "GreaterThanOrEqual",
    "LessThan",
    "LessThanOrEqual",
    "IsEmpty",
    "IsNotEmpty",
]
_STEP_AT = re.compile(r"^Steps\[(\d+)\]")
_EDGE_AT = re.compile(r"^Edges\[(\d+)\]")


@dataclass
class Draft:
    """The release the builder shows: the template's Draft, else its newest (read only)."""

    template: Template
    release: TemplateRelease
    document: TemplateDocument
    methods: dict[str, MethodSpec | None]
    problems: dict[str, list[str]]
    general: list[str]

    @property
    def editable(self) -> bool:
        return self.release.status == templates.DRAFT

    @property
    def trigger(self) -> str | None:
        entered = {e.HeadStepKey for e in self.document.Edges}
        for step in self.document.Steps:
            if step.StepType is not StepKind.ANNOTATION and step.Key not in entered:
                return step.Key
        return None

    def step(self, key: str) -> Step | None:
        return next((s for s in self.document.Steps if s.Key == key), None)

    def branches(self, step: Step) -> bool:
        method = self.methods.get(step.Key)
        return step.StepType is StepKind.DECISION or bool(method and method.Conditional)

    def exits(self, key: str) -> list[tuple[str, str, str]]:
        """(kind, head Key, head name) of each edge leaving the step."""
        names = {s.Key: s.Name for s in self.document.Steps}
        return [
            (e.EdgeType.value, e.HeadStepKey, names.get(e.HeadStepKey, e.HeadStepKey))
            for e in self.document.Edges
            if e.TailStepKey == key
        ]

    def places(self) -> list[tuple[str, str]]:
        """Where a new step may go: (value, label), after a step by one of its exits."""
        found: list[tuple[str, str]] = []
        for step in self.document.Steps:
            if step.StepType in (StepKind.STOP, StepKind.ANNOTATION):
                continue
            if self.branches(step):
                for kind in (EdgeKind.TRUE, EdgeKind.FALSE):
                    found.append((f"{step.Key}|{kind.value}", f"After {step.Name}: {kind.value}"))
            else:
                found.append((f"{step.Key}|{EdgeKind.FORWARD.value}", f"After {step.Name}"))
        return found


async def load(*, session: AsyncSession, template_id: str) -> Draft:
    template = await templates.get_template(session=session, template_id=template_id)
    releases = await templates.releases(session=session, template_id=template_id)
    release = next((r for r in releases if r.status == templates.DRAFT), releases[-1])
    document = templates.parse_document(release.document)
    lookup = await templates.method_lookup(session=session, document=document)
    methods = {
        s.Key: lookup(s.ConnectorName, s.ConnectorVersion, s.MethodUniqueIdentifier or "")
        if s.StepType is StepKind.METHOD and s.ConnectorName
        else None
        for s in document.Steps
    }
    by_step: dict[str, list[str]] = {s.Key: [] for s in document.Steps}
    general: list[str] = []
    for problem in graph.check_template(document, lookup):
        keys = _steps_of(document, problem.location, problem.message)
        if not keys:
            general.append(f"{problem.location}: {problem.message}")
        for key in keys:
            by_step[key].append(_without_label(problem.message, document, key))
    for step in document.Steps:
        method = methods[step.Key]
        if method is not None:
            for missing in unmapped_inputs(step.model_dump(mode="json"), method):
                what = "field" if missing.kind == "RequestField" else "parameter"
                by_step[step.Key].append(f"Required {what} '{missing.name}' is not mapped")
    return Draft(template, release, document, methods, by_step, general)


def _steps_of(document: TemplateDocument, location: str, message: str) -> list[str]:
    if (found := _STEP_AT.match(location)) and int(found[1]) < len(document.Steps):
        return [document.Steps[int(found[1])].Key]
    if (found := _EDGE_AT.match(location)) and int(found[1]) < len(document.Edges):
        return [document.Edges[int(found[1])].TailStepKey]
    # Problems of the whole graph name the steps they concern as "step 'Name' (Key)".
    return [s.Key for s in document.Steps if f"({s.Key})" in message]


def _without_label(message: str, document: TemplateDocument, key: str) -> str:
    step = next(s for s in document.Steps if s.Key == key)
    label = f"step '{step.Name}' ({step.Key})"
    text = message.removeprefix(f"{label}: ").removeprefix(f"{label} ")
    return text[:1].upper() + text[1:] if text != message else message


# -- the flow, drawn --------------------------------------------------------------------------

BOX_WIDTH = 240
GAP_X = 36
GAP_Y = 60
PAD = 16
LINE = 17
WRAP = 32


@dataclass
class Box:
    key: str
    lines: list[tuple[str, str]]  # (text, CSS class)
    x: int = 0
    y: int = 0
    height: int = 0
    kind: str = ""
    trouble: bool = False

    @property
    def centre(self) -> int:
        return self.x + BOX_WIDTH // 2


@dataclass
class Arrow:
    path: str
    kind: str
    label: str
    label_x: int
    label_y: int


@dataclass
class Diagram:
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    width: int = 0
    height: int = 0
    notes: list[Step] = field(default_factory=list)
    summary: str = ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _box(draft: Draft, step: Step) -> Box:
    method = draft.methods.get(step.Key)
    if step.StepType is StepKind.METHOD:
        named = method.Name if method else step.MethodUniqueIdentifier
        what = f"{step.ConnectorName or '?'} · {named}"
    else:
        what = TOOLS.get(step.StepType.value, step.StepType.value)
    if step.Key == draft.trigger:
        what = f"Trigger · {what}"
    lines = [(_clip(step.Name, WRAP - 4), "jn-flow-name"), (_clip(what, WRAP), "jn-flow-kind")]
    problems = draft.problems.get(step.Key, [])
    shown = 0
    for problem in problems:
        wrapped = textwrap.wrap("⚠ " + problem, WRAP + 1)
        if shown + len(wrapped) > 6:
            lines.append((f"+ {len(problems) - problems.index(problem)} more", "jn-flow-problem"))
            break
        lines += [(line, "jn-flow-problem") for line in wrapped]
        shown += len(wrapped)
    if not problems:
        lines.append(("✓ No problems", "jn-flow-ok"))
    box = Box(step.Key, lines, kind=step.StepType.value.lower(), trouble=bool(problems))
    box.height = 14 + LINE * len(lines)
    return box


def diagram(draft: Draft) -> Diagram:
    """Steps in rows by their depth from the trigger (the longest way in), in columns by
    where they come from; arrows from the bottom of a step to the top of the next."""
    flow = [s for s in draft.document.Steps if s.StepType is not StepKind.ANNOTATION]
    keys = {s.Key for s in flow}
    edges = [e for e in draft.document.Edges if e.TailStepKey in keys and e.HeadStepKey in keys]
    depth = {s.Key: 0 for s in flow}
    # Longest path by relaxation; a loop (reported as a problem) stops at len(flow).
    for _ in range(len(flow)):
        changed = False
        for e in edges:
            if depth[e.HeadStepKey] < min(depth[e.TailStepKey] + 1, len(flow)):
                depth[e.HeadStepKey] = depth[e.TailStepKey] + 1
                changed = True
        if not changed:
            break
    order = {s.Key: i for i, s in enumerate(flow)}
    exit_rank = {EdgeKind.TRUE: 0, EdgeKind.FORWARD: 1, EdgeKind.FALSE: 2}
    rows: dict[int, list[str]] = {}
    column: dict[str, float] = {}
    for row in sorted(set(depth.values())):
        members = [k for k in depth if depth[k] == row]

        def place(key: str) -> tuple[float, int, int]:
            into = [e for e in edges if e.HeadStepKey == key and e.TailStepKey in column]
            if not into:
                return (-1.0, 1, order[key])
            mean = sum(column[e.TailStepKey] for e in into) / len(into)
            return (mean, exit_rank[into[0].EdgeType], order[key])

        members.sort(key=place)
        rows[row] = members
        for index, key in enumerate(members):
            column[key] = index
    boxes = {s.Key: _box(draft, s) for s in flow}
    widest = max((len(m) for m in rows.values()), default=0)
    width = max(widest * BOX_WIDTH + (widest - 1) * GAP_X, BOX_WIDTH) + 2 * PAD
    y = PAD
    for row in sorted(rows):
        members = rows[row]
        span = len(members) * BOX_WIDTH + (len(members) - 1) * GAP_X
        left = (width - span) // 2
        for index, key in enumerate(members):
            boxes[key].x = left + index * (BOX_WIDTH + GAP_X)
            boxes[key].y = y
        y += max(boxes[k].height for k in members) + GAP_Y
    result = Diagram(width=width, height=max(y - GAP_Y + PAD, 80))
    result.boxes = [boxes[s.Key] for s in flow]
    for e in edges:
        tail, head = boxes[e.TailStepKey], boxes[e.HeadStepKey]
        x1, y1, x2, y2 = tail.centre, tail.y + tail.height, head.centre, head.y
        bend = max(abs(y2 - y1) // 2, 30)
        path = f"M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2 - 6}"
        label = "" if e.EdgeType is EdgeKind.FORWARD else e.EdgeType.value
        result.arrows.append(
            Arrow(path, e.EdgeType.value.lower(), label, (x1 + x2) // 2, (y1 + y2) // 2 + 4)
        )
    result.notes = [s for s in draft.document.Steps if s.StepType is StepKind.ANNOTATION]
    troubled = sum(1 for b in result.boxes if b.trouble)
    result.summary = (
        f"{len(result.boxes)} steps and {len(edges)} connections; "
        f"{troubled} step{'s' if troubled != 1 else ''} with problems"
    )
    return result


# -- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodChoice:
    value: str
    name: str
    description: str


async def catalogue(*, session: AsyncSession) -> list[tuple[str, list[MethodChoice]]]:
    """Each connector (the release a new step would use) with its methods, by name."""
    rows = list(await session.scalars(select(Connector).order_by(Connector.id)))
    by_name: dict[str, list[Connector]] = {}
    for row in rows:
        by_name.setdefault(row.name.lower(), []).append(row)
    groups = []
    for releases in by_name.values():
        chosen = catalog.choose_release(releases, None)
        if chosen is None:
            continue
        definition = catalog.definition_of(chosen)
        methods = [
            MethodChoice(
                f"method:{chosen.id}:{m.MethodUniqueIdentifier}",
                m.Name,
                "Webhook trigger" if m.MethodType is MethodKind.WEBHOOK else m.HttpMethod.value,
            )
            for m in definition.Methods
            if not m.Hidden
        ]
        if methods:
            groups.append((chosen.name, methods))
    groups.sort(key=lambda g: g[0].lower())
    return groups


def new_key(document: TemplateDocument, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "step"
    taken = {s.Key for s in document.Steps}
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


# -- a step's inputs --------------------------------------------------------------------------


@dataclass
class Input:
    section: str  # "parameters" or "fieldmappings"
    name: str
    label: str
    required: bool
    description: str
    lookup: str | None  # the trigger that lists its values
    mapping: dict[str, Any] | None

    @property
    def source(self) -> str:
        kind = (self.mapping or {}).get("MappingType", "Ignore")
        return {
            "StaticValue": "value",
            "ValueList": "value",
            "Variable": "variable",
            "StepData": "step",
            "Lookup": "lookup",
            "Script": "script",
        }.get(kind, "ignore")

    @property
    def summary(self) -> str:
        m = self.mapping or {}
        match self.source:
            case "value":
                return f"Value: {m.get('Value') or ''}"
            case "variable":
                return f"Variable: {m.get('VariableName') or ''}"
            case "step":
                return f"{m.get('SourceStepKey')} → {m.get('SourceField')}"
            case "lookup":
                return f"Look-up: {m.get('TriggerValueDisplayName') or m.get('TriggerValue')}"
            case "script":
                return f"Expression: {m.get('Value') or ''}"
        return "Not mapped"


def inputs(step: Step, method: MethodSpec | None) -> list[Input]:
    if method is None:
        return []
    parameters = {m.Name: m.model_dump(mode="json", exclude_none=True) for m in step.Parameters}
    fields = {m.Name: m.model_dump(mode="json", exclude_none=True) for m in step.FieldMappings}
    found = []
    for p in method.Parameters:
        if p.Hidden or p.Value is not None or p.TargetType is Target.RESPONSE_FIELD:
            continue
        found.append(
            Input(
                "parameters",
                p.TargetName,
                p.DisplayName or p.TargetName,
                not p.Optional and p.DefaultValue is None,
                p.Description or "",
                p.TriggerName,
                parameters.get(p.TargetName),
            )
        )
    for f in method.RequestFields:
        name = f.SystemField or f.ConnectorField
        found.append(
            Input(
                "fieldmappings",
                name,
                f.DisplayName or name,
                not f.Optional and f.DefaultValue is None,
                f.Description or "",
                None,
                fields.get(name) or fields.get(f.ConnectorField),
            )
        )
    return found


def source_fields(draft: Draft, key: str) -> list[tuple[str, str]]:
    """The response fields of the steps that always run before this one, as (value, label)."""
    earlier = graph.ancestors_of(draft.document, key)
    found = []
    for step in draft.document.Steps:
        method = draft.methods.get(step.Key)
        if step.Key not in earlier or method is None:
            continue
        for f in method.ResponseFields:
            name = f.SystemField or f.ConnectorField
            found.append((f"{step.Key}:{name}", f"{step.Name} → {f.DisplayName or name}"))
    return found


def mapping_of(form: dict[str, str]) -> Mapping:
    """A mapping from the step panel's form; a refusal names the form's field."""
    source = form.get("source", "ignore")
    launch = form.get("launch") == "on"
    text = form.get("value", "")
    values: dict[str, Any] = {"IsLaunchVisible": launch}
    if source == "ignore":
        values = {"MappingType": "Ignore"}
    elif source == "value":
        if not text and not launch:
            raise BadRequest("value: type a value (or leave it to the customer)")
        values |= {"MappingType": "StaticValue", "Value": text}
    elif source == "script":
        values |= {"MappingType": "Script", "Value": text}
    elif source == "variable":
        values |= {"MappingType": "Variable", "VariableName": form.get("variable", "")}
    elif source == "lookup":
        values |= {"MappingType": "Lookup", "TriggerValue": form.get("lookup", "")}
    elif source == "step":
        chosen = form.get("step_field", "")
        step_key, sep, source_field = chosen.partition(":")
        if not sep or not step_key or not source_field:
            raise BadRequest("step_field: choose a field of an earlier step (step:Field)")
        values |= {
            "MappingType": "StepData",
            "SourceStepKey": step_key,
            "SourceField": source_field,
        }
    else:
        raise BadRequest(f"source: '{source}' is not a source")
    try:
        return Mapping.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = {"VariableName": "variable", "SourceStepKey": "step_field"}
        name = where.get(problem_location(first["loc"]), "value")
        raise BadRequest(f"{name}: {first['msg'].removeprefix('Value error, ')}") from None


def check_mapping(draft: Draft, key: str, section: str, name: str, mapping: Mapping) -> None:
    """Refuse a mapping the template's checks find wrong now (a source that does not run
    before the step, a variable the template lacks), as a cycle's step set-up does."""
    location = f"{'Parameters' if section == 'parameters' else 'FieldMappings'}[{name}]"
    found = graph.check_mapping(draft.document, key, location, mapping)
    if found:
        field_name = {
            MappingKind.STEP_DATA: "step_field",
            MappingKind.VARIABLE: "variable",
        }.get(mapping.MappingType, "value")
        raise BadRequest(f"{field_name}: {_without_label(found[0].message, draft.document, key)}")
