"""The shipped connector library: the rules every curated connector keeps, how the library
joins the catalogue (start-up, the setting that chooses, a second start), and finding
connectors by search and category through the API and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from junction.connectors import library
from junction.connectors.spec.validate import parse_definition
from junction.settings import Settings
from junction.utilities import builtin
from tests.connectors.library.test_contracts import (
    called_methods,
    description_of,
    plan_of,
    vendor_folder,
)
from tests.fixtures.server import Junction

SLUGS = library.slugs()
CATEGORIES = {
    "CRM",
    "Marketing",
    "Support",
    "Finance",
    "Commerce",
    "Communication",
    "Data",
    "Work",
    "Forms",
    "Scheduling",
    "Meetings",
    "Files",
    "Developer",
}


def _is_list(method: dict[str, Any]) -> bool:
    return str(method["Name"]).startswith(("List ", "Search "))


def _pages(definition: dict[str, Any], method: dict[str, Any]) -> bool:
    paging = {**(definition.get("Paging") or {}), **(method.get("Paging") or {})}
    return bool(paging.get("InboundPaging"))


@pytest.mark.parametrize("slug", SLUGS)
def test_a_shipped_connector_keeps_the_library_rules(slug: str) -> None:
    document = library.definition(slug)
    definition = parse_definition(document)
    # Start-up reads Name and Version off the file's top lines to skip stored releases.
    assert library.release_of(slug) == (definition.Name, definition.Version)
    assert definition.ReleaseStatus.value == "Live"
    assert definition.Description
    assert len(definition.Description) <= 300
    assert len(definition.Categories) == 1
    assert definition.Categories[0] in CATEGORIES
    assert str(document["Icon"]).startswith("data:image/svg+xml;base64,")
    actions = called_methods(document)
    assert 15 <= len(actions) <= 60, f"{len(actions)} methods"
    assert all(m.Category for m in definition.Methods), "every method has a category"
    base = [p for p in definition.Parameters if p.TargetName == "BaseUrl"]
    assert base, "an overridable BaseUrl property"
    assert base[0].AccountConnectorProperty, "BaseUrl is an account property"
    unpaged = plan_of(slug).get("Unpaged") or {}
    for method in document["Methods"]:
        if _is_list(method) and method["MethodUniqueIdentifier"] not in unpaged:
            assert _pages(document, method), f"{method['Name']} lists without paging"
    assert all(str(reason).strip() for reason in unpaged.values())
    # What the contract test stands on: a description and where it comes from.
    assert description_of(slug).is_file()
    assert (vendor_folder(slug) / "source.md").is_file()


def test_the_setting_names_shipped_connectors_or_all_or_none() -> None:
    assert library.choose("none") == []
    assert library.choose("all") == SLUGS
    if SLUGS:
        assert library.choose(f" {SLUGS[0].upper()} ") == [SLUGS[0]]
    with pytest.raises(ValidationError) as refused:
        Settings(library_connectors=",".join([*SLUGS[:1], "no-such-app"]))
    assert "library_connectors" in str(refused.value)
    assert "no shipped connector no-such-app (all, none, or some of: " in str(refused.value)
    assert Settings(library_connectors=" NONE ").library_connectors == "none"


def test_an_icon_is_a_data_uri_of_the_shipped_svg(tmp_path: Path) -> None:
    for slug in SLUGS:
        icon = library.icon(slug)
        assert (icon or "").startswith("data:image/svg+xml;base64,"), slug
    assert library.icon("no-such-app") is None


def _names(client: Any, **params: str) -> list[str]:
    answer = client.get("/v1.0/connectors", params={"pageSize": "100", **params})
    assert answer.status_code == 200, answer.text
    return [c["Name"] for c in answer.json()]


@pytest.mark.skipif(len(SLUGS) < 2, reason="needs two shipped connectors")
def test_start_up_adds_the_chosen_library_once_and_search_finds_it(junction: Junction) -> None:
    first, second = (library.definition(slug) for slug in SLUGS[:2])

    def register(choice: str) -> None:
        junction.run(
            builtin.register(
                database=junction.services.database,
                now=junction.clock(),
                library_connectors=choice,
            )
        )

    register(SLUGS[0])
    with junction.http(junction.token()) as client:
        names = _names(client)
        assert first["Name"] in names
        assert second["Name"] not in names
        register("all")
        register("all")  # a second start changes nothing
        names = _names(client)
        assert len(names) == len(set(names))
        assert {library.definition(s)["Name"] for s in SLUGS} <= set(names)
        # Search by a word of the name, in any case; category as a whole name.
        word = str(first["Name"]).split()[0].lower()
        assert first["Name"] in _names(client, search=word)
        assert _names(client, search=word) == _names(client, query=word)
        category = first["Categories"][0]
        in_category = _names(client, category=category.lower())
        assert first["Name"] in in_category
        assert all(
            category in library.definition(s)["Categories"]
            for s in SLUGS
            if library.definition(s)["Name"] in in_category
        )
        both = client.get("/v1.0/connectors", params={"search": "a", "query": "b"})
        assert both.status_code == 400
        assert "search" in both.json()["Message"]
