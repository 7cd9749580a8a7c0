"""Template documents: the graph rules and mapping checks, each refusal with its message."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from junction.connectors.spec.models import MethodSpec
from junction.connectors.spec.validate import parse_definition
from junction.templates.spec.graph import TemplateInvalid, parse_template

CONTACTS = parse_definition(
    yaml.safe_load((Path(__file__).parents[1] / "fixtures/connectors/contacts.yaml").read_text())
)


def methods(name: str, version: str | None, mui: str) -> MethodSpec | None:
    if name != CONTACTS.Name or version not in (None, CONTACTS.Version):
        return None
    return next((m for m in CONTACTS.Methods if m.MethodUniqueIdentifier == mui), None)


def template() -> dict[str, Any]:
    """A trigger, a decision, an action on True and a Stop on False."""
    return {
        "Name": "New contacts to CRM",
        "Variables": [{"SystemName": "Domain", "Value": "example.com"}],
        "Steps": [
            {
                "Key": "list",
                "Name": "List contacts",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-list",
            },
            {
                "Key": "check",
                "Name": "Has an email",
                "StepType": "Decision",
                "Conditions": [
                    {
                        "Left": {
                            "MappingType": "StepData",
                            "SourceStepKey": "list",
                            "SourceField": "Email",
                        },
                        "Operator": "Contains",
                        "Right": {"MappingType": "Variable", "VariableName": "Domain"},
                    }
                ],
            },
            {
                "Key": "create",
                "Name": "Create contact",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-create",
                "FieldMappings": [
                    {
                        "Name": "Email",
                        "MappingType": "StepData",
                        "SourceStepKey": "list",
                        "SourceField": "Email",
                    },
                    {
                        "Name": "Vip",
                        "MappingType": "StaticValue",
                        "Value": "false",
                        "IsLaunchVisible": True,
                    },
                ],
            },
            {"Key": "end", "Name": "Not ours", "StepType": "Stop"},
            {"Key": "note", "Name": "Note", "StepType": "Annotation", "Text": "Runs hourly"},
        ],
        "Edges": [
            {"TailStepKey": "list", "HeadStepKey": "check"},
            {"TailStepKey": "check", "HeadStepKey": "create", "EdgeType": "True"},
            {"TailStepKey": "check", "HeadStepKey": "end", "EdgeType": "False"},
        ],
    }


def test_a_valid_template() -> None:
    parsed = parse_template(template(), methods)
    assert [s.Key for s in parsed.Steps] == ["list", "check", "create", "end", "note"]
    assert parsed.Settings.CollectionSplitType == "FirstStep"


def _problems(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(TemplateInvalid) as caught:
        parse_template(document, methods)
    assert "The template has" in caught.value.message
    return {p.location + " | " + p.message: p.message for p in caught.value.problems}


def _edit(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(template())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d["Edges"].pop(0),
            "only the trigger may have no edge into it, but these have none: "
            "step 'List contacts' (list), step 'Has an email' (check)",
            id="two-triggers",
        ),
        pytest.param(
            lambda d: d["Edges"].append({"TailStepKey": "create", "HeadStepKey": "list"}),
            "no step is the trigger",
            id="no-trigger",
        ),
        pytest.param(
            lambda d: d["Edges"].append({"TailStepKey": "create", "HeadStepKey": "check"}),
            "the steps form a loop: Has an email -> Create contact -> Has an email",
            id="loop",
        ),
        pytest.param(
            lambda d: d["Edges"].pop(2),
            "step 'Has an email' (check) needs exactly one False exit, not 0",
            id="decision-without-false-exit",
        ),
        pytest.param(
            lambda d: d["Edges"].__setitem__(1, {"TailStepKey": "check", "HeadStepKey": "create"}),
            "step 'Has an email' (check) is a decision: its exits are True and False",
            id="decision-forward-edge",
        ),
        pytest.param(
            lambda d: d["Edges"].append({"TailStepKey": "end", "HeadStepKey": "create"}),
            "step 'Not ours' (end) is a Stop step and has no exit",
            id="stop-with-exit",
        ),
        pytest.param(
            lambda d: d["Edges"].append({"TailStepKey": "list", "HeadStepKey": "ghost"}),
            "no step has Key 'ghost'",
            id="edge-to-missing-step",
        ),
        pytest.param(
            lambda d: d["Steps"][2]["FieldMappings"].append(
                {
                    "Name": "Name",
                    "MappingType": "StepData",
                    "SourceStepKey": "create",
                    "SourceField": "Id",
                }
            ),
            "step 'Create contact' (create) maps from step 'Create contact' (create), "
            "which does not always run before it",
            id="mapping-from-itself",
        ),
        pytest.param(
            lambda d: d["Steps"][1]["Conditions"][0]["Left"].update(SourceStepKey="create"),
            "step 'Has an email' (check) maps from step 'Create contact' (create), "
            "which does not always run before it",
            id="mapping-from-a-later-step",
        ),
        pytest.param(
            lambda d: d["Steps"][2]["FieldMappings"].append(
                {"Name": "Nope", "MappingType": "Ignore"}
            ),
            "'Nope' is not a request field of Create Contact",
            id="unknown-field",
        ),
        pytest.param(
            lambda d: d["Steps"][0].update(MethodUniqueIdentifier="ghost"),
            "connector 'Test Contacts' has no method 'ghost'",
            id="unknown-method",
        ),
        pytest.param(
            lambda d: d["Steps"][1]["Conditions"][0]["Right"].update(VariableName="Missing"),
            "no cycle variable is named 'Missing'",
            id="unknown-variable",
        ),
        pytest.param(
            lambda d: d["Steps"][2]["FieldMappings"][1].update(MappingType="Script", Value="1 + 1"),
            "a Script mapping is an expression starting with '='",
            id="script-without-equals",
        ),
        pytest.param(
            lambda d: (
                d["Steps"].insert(
                    0, {"Key": "wait", "Name": "Wait", "StepType": "Delay", "DelaySeconds": 60}
                )
                or d["Edges"].append({"TailStepKey": "wait", "HeadStepKey": "list"})
            ),
            "the trigger, step 'Wait' (wait), must be a method step",
            id="tool-as-trigger",
        ),
        pytest.param(
            lambda d: d["Steps"].append(
                {
                    "Key": "list",
                    "Name": "Again",
                    "ConnectorName": "Test Contacts",
                    "MethodUniqueIdentifier": "contacts-get",
                }
            ),
            "'list' is used by two steps",
            id="duplicate-key",
        ),
        pytest.param(
            lambda d: d["Edges"].append({"TailStepKey": "note", "HeadStepKey": "end"}),
            "is an annotation and takes no edges",
            id="annotation-edge",
        ),
    ],
)
def test_refusals_name_the_step(change: Any, expected: str) -> None:
    problems = _problems(_edit(change))
    assert any(expected in text for text in problems), problems


@pytest.mark.parametrize(
    ("change", "location"),
    [
        pytest.param(
            lambda d: d["Steps"][1].update(StepType="Loop"), "Steps[1].StepType", id="type"
        ),
        pytest.param(
            lambda d: (
                d["Settings"].update(RetryAttempts=9)
                if "Settings" in d
                else d.update(Settings={"RetryAttempts": 9})
            ),
            "Settings.RetryAttempts",
            id="retries",
        ),
        pytest.param(
            lambda d: d["Edges"][0].update(EdgeType="Sideways"), "Edges[0].EdgeType", id="edge-type"
        ),
        pytest.param(lambda d: d.update(Colour="red"), "Colour", id="unknown-key"),
    ],
)
def test_shape_problems_have_locations(change: Any, location: str) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        parse_template(_edit(change), methods)
    assert location in [p.location for p in caught.value.problems]


def test_a_long_chain_of_steps_is_checked_without_recursion() -> None:
    """Thousands of steps in a row: checked in loops, not nested calls."""
    count = 3000
    document = template()
    delays = [
        {"Key": f"d{i}", "Name": f"Wait {i}", "StepType": "Delay", "DelaySeconds": 1}
        for i in range(count)
    ]
    document["Steps"][3:3] = delays
    chain = ["create", *[d["Key"] for d in delays]]
    document["Edges"] += [
        {"TailStepKey": tail, "HeadStepKey": head} for tail, head in itertools.pairwise(chain)
    ]
    parse_template(copy.deepcopy(document), methods)
    document["Edges"].append({"TailStepKey": chain[-1], "HeadStepKey": "d5"})
    with pytest.raises(TemplateInvalid) as refused:
        parse_template(document, methods)
    assert any("form a loop: Wait 5 -> Wait 6" in p.message for p in refused.value.problems)
