"""Validation of a template document: its graph, its steps and their mappings.

Every problem is reported with its location and names the step it concerns, so a partner
can fix a template in one pass. The rules:

- exactly one trigger: the one step (annotations aside) that no edge enters; it must be a
  connector method step, and every other step must be reachable from it;
- no loops;
- a Decision has exactly one True and one False exit (end a branch with a Stop step);
  other steps leave by at most one Forward edge; Stop and Annotation steps have no exits;
- a mapping from step data names a step that always runs earlier (an ancestor);
- method steps name a connector release's method, and their inputs exist on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from junction.connectors.spec.models import MethodSpec
from junction.connectors.spec.validate import DefinitionInvalid, Problem, problem_location
from junction.scripting.sandbox import syntax_error
from junction.templates.spec.models import (
    EdgeKind,
    Mapping,
    MappingKind,
    Step,
    StepKind,
    TemplateDocument,
)

# (connector name, version or None for the newest Live one, MethodUniqueIdentifier)
MethodLookup = Callable[[str, str | None, str], MethodSpec | None]


class TemplateInvalid(DefinitionInvalid):
    subject = "The template"


def parse_shape(document: Any) -> TemplateDocument:
    """The document's shape only (keys, types, values); the graph is not looked at."""
    try:
        return TemplateDocument.model_validate(document)
    except ValidationError as exc:
        raise TemplateInvalid(
            [
                Problem(problem_location(e["loc"]), e["msg"].removeprefix("Value error, "))
                for e in exc.errors()
            ]
        ) from None


def parse_template(document: Any, methods: MethodLookup) -> TemplateDocument:
    template = parse_shape(document)
    problems = list(check_template(template, methods))
    if problems:
        raise TemplateInvalid(problems)
    return template


def _label(step: Step) -> str:
    return f"step '{step.Name}' ({step.Key})"


def check_template(template: TemplateDocument, methods: MethodLookup) -> Iterable[Problem]:
    steps: dict[str, Step] = {}
    where: dict[str, str] = {}
    for index, step in enumerate(template.Steps):
        if step.Key in steps:
            yield Problem(f"Steps[{index}].Key", f"'{step.Key}' is used by two steps")
            continue
        steps[step.Key] = step
        where[step.Key] = f"Steps[{index}]"
    variables = {v.SystemName for v in template.Variables}
    if len(variables) != len(template.Variables):
        yield Problem("Variables", "two variables have the same SystemName")

    outgoing: dict[str, list[tuple[str, EdgeKind]]] = {key: [] for key in steps}
    incoming: dict[str, list[str]] = {key: [] for key in steps}
    branching = {key for key, step in steps.items() if branches(step, methods)}
    edge_problems = list(_check_edges(template, steps, outgoing, incoming, branching))
    yield from edge_problems

    graph_ok = not edge_problems
    if graph_ok:
        yield from _check_shape(steps, outgoing, incoming, where)

    ancestors = _ancestors(steps, incoming) if graph_ok else None
    for key, step in steps.items():
        yield from _check_step(step, where[key], variables, ancestors, methods, steps)


def branches(step: Step, methods: MethodLookup) -> bool:
    """Whether the step leaves by True and False exits: a Decision, or a method step whose
    method is Conditional."""
    if step.StepType is StepKind.DECISION:
        return True
    if step.StepType is not StepKind.METHOD or not step.ConnectorName:
        return False
    method = methods(step.ConnectorName, step.ConnectorVersion, step.MethodUniqueIdentifier or "")
    return method is not None and method.Conditional


def check_mapping(
    template: TemplateDocument, step_key: str, location: str, mapping: Mapping
) -> list[Problem]:
    """The problems of one mapping of one step (a cycle's step set-up checks them as they
    are made); a StepData source must always run before the step."""
    steps = {s.Key: s for s in template.Steps}
    variables = {v.SystemName for v in template.Variables}
    ancestors = {step_key: ancestors_of(template, step_key)}
    return list(_check_mapping(steps[step_key], location, mapping, variables, ancestors, steps))


def ancestors_of(template: TemplateDocument, step_key: str) -> set[str]:
    """The Keys of the steps that always run before this one."""
    steps = {s.Key: s for s in template.Steps}
    incoming: dict[str, list[str]] = {key: [] for key in steps}
    for edge in template.Edges:
        if edge.HeadStepKey in incoming and edge.TailStepKey in steps:
            incoming[edge.HeadStepKey].append(edge.TailStepKey)
    return _ancestors(steps, incoming).get(step_key, set())


def _check_edges(
    template: TemplateDocument,
    steps: dict[str, Step],
    outgoing: dict[str, list[tuple[str, EdgeKind]]],
    incoming: dict[str, list[str]],
    branching: set[str],
) -> Iterable[Problem]:
    for index, edge in enumerate(template.Edges):
        location = f"Edges[{index}]"
        tail, head = steps.get(edge.TailStepKey), steps.get(edge.HeadStepKey)
        if tail is None or head is None:
            missing = edge.TailStepKey if tail is None else edge.HeadStepKey
            yield Problem(location, f"no step has Key '{missing}'")
            continue
        if tail.Key == head.Key:
            yield Problem(location, f"{_label(tail)} cannot lead to itself")
            continue
        for end in (tail, head):
            if end.StepType is StepKind.ANNOTATION:
                yield Problem(location, f"{_label(end)} is an annotation and takes no edges")
        if tail.Key in branching and edge.EdgeType is EdgeKind.FORWARD:
            yield Problem(location, f"{_label(tail)} is a decision: its exits are True and False")
        if tail.Key not in branching and edge.EdgeType is not EdgeKind.FORWARD:
            yield Problem(
                location, f"{_label(tail)} is not a decision, so its exit must be Forward"
            )
        if tail.StepType is StepKind.STOP:
            yield Problem(location, f"{_label(tail)} is a Stop step and has no exit")
        outgoing[tail.Key].append((head.Key, edge.EdgeType))
        incoming[head.Key].append(tail.Key)
    for key, exits in outgoing.items():
        step = steps[key]
        kinds = [kind for _, kind in exits]
        if key in branching:
            for kind in (EdgeKind.TRUE, EdgeKind.FALSE):
                if kinds.count(kind) != 1:
                    yield Problem(
                        "Edges",
                        f"{_label(step)} needs exactly one {kind.value} exit, not "
                        f"{kinds.count(kind)} (end a branch with a Stop step)",
                    )
        elif len(exits) > 1:
            yield Problem("Edges", f"{_label(step)} has {len(exits)} exits; it may have one")


def _check_shape(
    steps: dict[str, Step],
    outgoing: dict[str, list[tuple[str, EdgeKind]]],
    incoming: dict[str, list[str]],
    where: dict[str, str],
) -> Iterable[Problem]:
    flow = [s for s in steps.values() if s.StepType is not StepKind.ANNOTATION]
    if not flow:
        yield Problem("Steps", "a template needs at least a trigger step")
        return
    starts = [s for s in flow if not incoming[s.Key]]
    if len(starts) != 1:
        if not starts:
            yield Problem("Edges", "no step is the trigger: every step has an edge into it")
        else:
            names = ", ".join(_label(s) for s in starts)
            yield Problem(
                "Edges",
                f"only the trigger may have no edge into it, but these have none: {names}",
            )
    loop = _find_loop(steps, outgoing)
    if loop:
        yield Problem("Edges", "the steps form a loop: " + " -> ".join(loop))
    if len(starts) != 1:
        return
    trigger = starts[0]
    if trigger.StepType is not StepKind.METHOD:
        yield Problem(where[trigger.Key], f"the trigger, {_label(trigger)}, must be a method step")
    seen = {trigger.Key}
    pending = [trigger.Key]
    while pending:
        for head, _ in outgoing[pending.pop()]:
            if head not in seen:
                seen.add(head)
                pending.append(head)
    for step in flow:
        if step.Key not in seen:
            yield Problem(where[step.Key], f"{_label(step)} cannot be reached from the trigger")


def _find_loop(
    steps: dict[str, Step], outgoing: dict[str, list[tuple[str, EdgeKind]]]
) -> list[str]:
    """The names around one loop, if there is any (depth-first, with an explicit stack so
    that a long chain of steps cannot exhaust Python's)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in steps:
        if start in state:
            continue
        state[start] = 1
        path = [start]
        exits = [iter(outgoing[start])]
        while exits:
            step = next(exits[-1], None)
            if step is None:
                state[path.pop()] = 2
                exits.pop()
                continue
            head = step[0]
            if state.get(head) == 1:
                return [steps[k].Name for k in path[path.index(head) :]] + [steps[head].Name]
            if head not in state:
                state[head] = 1
                path.append(head)
                exits.append(iter(outgoing[head]))
    return []


def _ancestors(steps: dict[str, Step], incoming: dict[str, list[str]]) -> dict[str, set[str]]:
    """For each step, the steps that always run before it (on every path from the trigger).

    Steps are taken in graph order (Kahn's algorithm, no recursion, so a long chain of steps
    cannot exhaust the stack); steps on or after a loop, reported elsewhere, get none.
    """
    waiting = {key: len(parents) for key, parents in incoming.items()}
    outgoing: dict[str, list[str]] = {key: [] for key in steps}
    for head, parents in incoming.items():
        for tail in parents:
            outgoing[tail].append(head)
    ready = [key for key, count in waiting.items() if count == 0]
    result: dict[str, set[str]] = {key: set() for key in steps}
    while ready:
        key = ready.pop()
        parents = incoming[key]
        if parents:
            result[key] = set.intersection(*(result[p] | {p} for p in parents))
        for head in outgoing[key]:
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    return result


def _check_step(
    step: Step,
    location: str,
    variables: set[str],
    ancestors: dict[str, set[str]] | None,
    methods: MethodLookup,
    steps: dict[str, Step],
) -> Iterable[Problem]:
    label = _label(step)
    mappings: list[tuple[str, Mapping]] = []
    if step.Script:
        if step.StepType is not StepKind.METHOD:
            yield Problem(f"{location}.Script", f"{label}: only method steps have a Script")
        elif (error := syntax_error(step.Script)) is not None:
            yield Problem(f"{location}.Script", f"{label}: the script does not compile: {error}")
    if step.StepType is StepKind.METHOD:
        if not step.ConnectorName or not step.MethodUniqueIdentifier:
            yield Problem(location, f"{label} needs ConnectorName and MethodUniqueIdentifier")
        else:
            method = methods(step.ConnectorName, step.ConnectorVersion, step.MethodUniqueIdentifier)
            if method is None:
                version = f" version {step.ConnectorVersion}" if step.ConnectorVersion else ""
                yield Problem(
                    location,
                    f"{label}: connector '{step.ConnectorName}'{version} has no method "
                    f"'{step.MethodUniqueIdentifier}'",
                )
            else:
                yield from _check_inputs(step, location, method)
        mappings += [(f"{location}.Parameters[{i}]", m) for i, m in enumerate(step.Parameters)]
        mappings += [
            (f"{location}.FieldMappings[{i}]", m) for i, m in enumerate(step.FieldMappings)
        ]
    elif step.StepType is StepKind.DECISION:
        if not step.Conditions:
            yield Problem(location, f"{label} needs at least one condition")
        for i, condition in enumerate(step.Conditions):
            mappings.append((f"{location}.Conditions[{i}].Left", condition.Left))
            if condition.Operator not in ("IsEmpty", "IsNotEmpty"):
                mappings.append((f"{location}.Conditions[{i}].Right", condition.Right))
    elif step.StepType is StepKind.WEBHOOK_RESPONSE:
        mappings += [
            (f"{location}.FieldMappings[{i}]", m) for i, m in enumerate(step.FieldMappings)
        ]
    elif step.StepType is StepKind.DELAY and step.DelaySeconds is None:
        yield Problem(location, f"{label} needs DelaySeconds")
    elif step.StepType is StepKind.WAIT_UNTIL:
        if step.WaitUntil is None or step.WaitUntil.MappingType is MappingKind.IGNORE:
            yield Problem(location, f"{label} needs a WaitUntil date")
        else:
            mappings.append((f"{location}.WaitUntil", step.WaitUntil))
    for where, mapping in mappings:
        yield from _check_mapping(step, where, mapping, variables, ancestors, steps)


def _check_inputs(step: Step, location: str, method: MethodSpec) -> Iterable[Problem]:
    parameters = {p.TargetName for p in method.Parameters}
    fields = {f.SystemField or f.ConnectorField for f in method.RequestFields} | {
        f.ConnectorField for f in method.RequestFields
    }
    for i, mapping in enumerate(step.Parameters):
        if mapping.Name not in parameters:
            yield Problem(
                f"{location}.Parameters[{i}].Name",
                f"{_label(step)}: '{mapping.Name}' is not a parameter of {method.Name}",
            )
    for i, mapping in enumerate(step.FieldMappings):
        if mapping.Name not in fields:
            yield Problem(
                f"{location}.FieldMappings[{i}].Name",
                f"{_label(step)}: '{mapping.Name}' is not a request field of {method.Name}",
            )


def _check_mapping(
    step: Step,
    location: str,
    mapping: Mapping,
    variables: set[str],
    ancestors: dict[str, set[str]] | None,
    steps: dict[str, Step],
) -> Iterable[Problem]:
    kind = mapping.MappingType
    label = _label(step)
    if kind in (MappingKind.STATIC_VALUE, MappingKind.VALUE_LIST) and mapping.Value is None:
        yield Problem(location, f"{label}: a {kind.value} mapping needs a Value")
    elif kind is MappingKind.SCRIPT and not (mapping.Value or "").startswith("="):
        yield Problem(location, f"{label}: a Script mapping is an expression starting with '='")
    elif kind is MappingKind.VARIABLE and mapping.VariableName not in variables:
        yield Problem(
            location, f"{label}: no cycle variable is named '{mapping.VariableName or ''}'"
        )
    elif kind is MappingKind.LOOKUP and mapping.TriggerValue is None:
        yield Problem(location, f"{label}: a Lookup mapping needs a TriggerValue")
    elif kind is MappingKind.STEP_DATA:
        if not mapping.SourceStepKey or not mapping.SourceField:
            yield Problem(
                location, f"{label}: a StepData mapping needs SourceStepKey and SourceField"
            )
        elif ancestors is not None and mapping.SourceStepKey not in ancestors.get(step.Key, set()):
            source = steps.get(mapping.SourceStepKey)
            named = _label(source) if source else f"step '{mapping.SourceStepKey}'"
            yield Problem(
                location,
                f"{label} maps from {named}, which does not always run before it (it runs "
                "later, or on another branch)",
            )
