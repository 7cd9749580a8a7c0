"""Choosing which operations of a document become methods: by tag, by text, or both."""

from __future__ import annotations

import pytest

from junction.connectors.openapi import (
    UNTAGGED,
    OpenApiInvalid,
    OperationChoice,
    import_openapi,
    list_operations,
)
from tests.connectors.openapi.documents import read
from tests.fixtures.server import Junction


def test_operations_are_listed_with_their_tags() -> None:
    found = list_operations(read("tasks-v3.1.yaml"))
    assert [(op.verb, op.path, op.tags) for op in found[:3]] == [
        ("GET", "/tasks", ("Tasks",)),
        ("POST", "/tasks", ("Tasks",)),
        ("GET", "/tasks/{task-id}", (UNTAGGED,)),
    ]
    assert found[0].summary == "List tasks"


@pytest.mark.parametrize(
    ("choice", "endpoints"),
    [
        pytest.param(OperationChoice(frozenset({"Tasks"})), ["/tasks", "/tasks"], id="one-tag"),
        pytest.param(
            OperationChoice(None, "project"), ["/projects", "/projects/{{id}}/logo"], id="text"
        ),
        pytest.param(
            OperationChoice(frozenset({UNTAGGED}), "note"),
            ["/tasks/{{task_id}}/note"],
            id="untagged-and-text",
        ),
    ],
)
def test_only_the_chosen_operations_are_imported(
    choice: OperationChoice, endpoints: list[str]
) -> None:
    result = import_openapi(read("tasks-v3.1.yaml"), choice=choice)
    assert [m["Endpoint"] for m in result.definition["Methods"]] == endpoints


def test_a_choice_that_keeps_nothing_is_refused() -> None:
    with pytest.raises(OpenApiInvalid) as refused:
        import_openapi(read("tasks-v3.1.yaml"), choice=OperationChoice(frozenset({"Nope"})))
    assert refused.value.problems[0].location == "paths"


def test_the_api_imports_the_chosen_tag(junction: Junction) -> None:
    api = junction.http(junction.token())
    answer = api.post(
        "/v1.0/connectors/import/openapi",
        params={"tag": "Tasks"},
        content=read("tasks-v3.1.yaml"),
        headers={"Content-Type": "application/yaml"},
    )
    assert answer.status_code == 201, answer.text
    methods = api.get(f"/v1.0/connectors/{answer.json()['Id']}/methods").json()
    assert {m["Category"] for m in methods} == {"Tasks"}
