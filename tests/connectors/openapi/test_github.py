"""GitHub's REST API description (623 operations): counts, identifiers, validity.

How long the import takes is measured by bench/openapi_import_bench.py, not here.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from junction.connectors.openapi import ImportResult, import_openapi
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import VERBS, dump, load

NAME = "github-api.json.gz"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load(NAME)


@pytest.fixture(scope="module")
def imported(document: dict[str, Any]) -> ImportResult:
    return import_openapi(dump(document))


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (verb, path) for path, item in document["paths"].items() for verb in item if verb in VERBS
    ]


def test_one_method_per_operation(document: dict[str, Any], imported: ImportResult) -> None:
    methods = imported.definition["Methods"]
    assert len(_operations(document)) == 623
    assert len(methods) == 623
    assert [(m["HttpMethod"].lower()) for m in methods] == [v for v, _ in _operations(document)]
    definition = parse_definition(imported.definition)
    assert definition.BaseUrl == "{{BaseUrl}}"
    assert [p.DefaultValue for p in definition.Parameters if p.TargetName == "BaseUrl"] == [
        "https://api.github.com"
    ]
    assert len(definition.Methods) == 623


def test_identifiers_are_unique_and_follow_operation_ids(
    document: dict[str, Any], imported: ImportResult
) -> None:
    identifiers = [m["MethodUniqueIdentifier"] for m in imported.definition["Methods"]]
    assert len(set(identifiers)) == len(identifiers)
    by_endpoint = {(m["HttpMethod"], m["Endpoint"]): m for m in imported.definition["Methods"]}
    root = by_endpoint[("GET", "/")]
    assert (root["MethodUniqueIdentifier"], root["Name"], root["Category"]) == (
        "meta_root",  # operationId meta/root
        "GitHub API Root",
        "meta",
    )
    issue = by_endpoint[("GET", "/repos/{{owner}}/{{repo}}/issues/{{issue_number}}")]
    assert issue["MethodUniqueIdentifier"] == "issues_get"
    assert [p["TargetName"] for p in issue["Parameters"]] == ["owner", "repo", "issue_number"]


def test_identifiers_survive_a_reordered_and_edited_document(
    document: dict[str, Any], imported: ImportResult
) -> None:
    before = {
        (m["HttpMethod"], m["Endpoint"]): m["MethodUniqueIdentifier"]
        for m in imported.definition["Methods"]
    }
    changed = copy.deepcopy(document)
    paths = list(changed["paths"].items())
    random.Random(7).shuffle(paths)
    changed["paths"] = dict(paths[20:])  # some operations gone, the rest in another order
    for _, item in paths[20:40]:
        for verb in VERBS:
            if verb in item:
                item[verb]["summary"] = "Renamed"
                item[verb].pop("description", None)
    again = import_openapi(dump(changed)).definition
    after = {
        (m["HttpMethod"], m["Endpoint"]): m["MethodUniqueIdentifier"] for m in again["Methods"]
    }
    assert after
    assert all(before[key] == value for key, value in after.items())


def test_warnings_name_their_operation(imported: ImportResult) -> None:
    assert imported.warnings
    assert all(w.startswith(("paths./", "servers", "components.")) for w in imported.warnings)
