"""What changed between two template documents, one kind of change at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from junction.templates.diff import Change, diff
from junction.templates.spec.models import TemplateDocument
from tests.templates.test_template_graph import template

Edit = Callable[[dict[str, Any]], None]


def _changes(edit: Edit) -> list[Change]:
    before = template()
    after = copy.deepcopy(before)
    edit(after)
    return diff(TemplateDocument.model_validate(before), TemplateDocument.model_validate(after))


def _rename(document: dict[str, Any]) -> None:
    document["Steps"][2]["Name"] = "Create CRM contact"


def _remap(document: dict[str, Any]) -> None:
    document["Steps"][2]["FieldMappings"][0] = {
        "Name": "Email",
        "MappingType": "Variable",
        "VariableName": "Domain",
    }


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(lambda d: None, [], id="nothing-changed"),
        pytest.param(
            _rename,
            [
                Change(
                    "Steps",
                    "step 'Create CRM contact' (create)",
                    "changed",
                    "Name",
                    "Create contact",
                    "Create CRM contact",
                )
            ],
            id="step-renamed",
        ),
        pytest.param(
            _remap,
            [
                Change(
                    "Steps",
                    "step 'Create contact' (create)",
                    "changed",
                    "field Email",
                    "Email from step list",
                    "variable Domain",
                )
            ],
            id="mapping-changed",
        ),
        pytest.param(
            lambda d: d["Steps"][2]["FieldMappings"].pop(1),
            [
                Change(
                    "Steps",
                    "step 'Create contact' (create)",
                    "removed",
                    "field Vip",
                    "the value “false” (the user may change it)",
                    None,
                )
            ],
            id="mapping-removed",
        ),
        pytest.param(
            lambda d: d["Steps"].append({"Key": "halt", "Name": "Halt", "StepType": "Stop"}),
            [Change("Steps", "step 'Halt' (halt)", "added", "", None, "Stop")],
            id="step-added",
        ),
        pytest.param(
            lambda d: d["Steps"].pop(4),
            [Change("Steps", "step 'Note' (note)", "removed", "", "Annotation")],
            id="step-removed",
        ),
        pytest.param(
            lambda d: d["Variables"][0].update(Value="acme.test", IsLaunchVisible=True),
            [
                Change(
                    "Variables",
                    "variable Domain",
                    "changed",
                    "",
                    "“example.com”",
                    "“acme.test” (the user may change it)",
                )
            ],
            id="variable-changed",
        ),
        pytest.param(
            lambda d: d.update(Settings={"RetryAttempts": 5}),
            [Change("Settings", "RetryAttempts", "changed", "", "3", "5")],
            id="setting-changed",
        ),
        pytest.param(
            lambda d: d["Edges"][1].update(EdgeType="False"),
            [
                Change(
                    "Edges",
                    "Has an email → Create contact (if false)",
                    "changed",
                    "EdgeType",
                    "True",
                    "False",
                )
            ],
            id="edge-exit-changed",
        ),
        pytest.param(
            lambda d: d.update(Tags=["Sales"], Description="Now described"),
            [
                Change("Template", "Description", "changed", "", None, "Now described"),
                Change("Template", "Tags", "changed", "", "", "Sales"),
            ],
            id="template-described",
        ),
    ],
)
def test_changes(edit: Edit, expected: list[Change]) -> None:
    assert _changes(edit) == expected
