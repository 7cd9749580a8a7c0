"""``junction templates export`` and ``import``, between two databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import CONTACTS, Cli
from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.templates.test_template_graph import template

TEMPLATE_ID = "3f0c2a4e-8d1b-4c6a-9e2f-5b7d1a0c9e44"


def _cli(folder: Path, url: str) -> Cli:
    return Cli(
        {
            "JUNCTION_DATA_DIR": str(folder),
            "JUNCTION_DATABASE_URL": url,
            "JUNCTION_ENV": "development",
            "JUNCTION_ENCRYPTION_KEYS": "",
        }
    )


@pytest.fixture(params=BACKENDS)
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Cli, Cli]]:
    """The command on two databases of one backend: where a template is, where it goes."""
    with (
        fresh_database(request.param, tmp_path, migrated=True) as first,
        fresh_database(request.param, tmp_path, migrated=True) as second,
    ):
        yield _cli(tmp_path / "source", first), _cli(tmp_path / "target", second)


def _handmade() -> dict[str, Any]:
    """An export as a person could write it: one Live release and its connector."""
    return {
        "Format": "junction-template",
        "FormatVersion": 1,
        "Template": {"Id": TEMPLATE_ID, "Name": template()["Name"]},
        "Releases": [{"Version": 1, "Status": "Live", "Document": template()}],
        "Connectors": [contacts_definition()],
    }


def _write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def _without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "ExportedAt"}


def test_export_and_import(two: tuple[Cli, Cli], tmp_path: Path) -> None:
    source, target = two
    imported = source("templates", "import", _write(tmp_path / "handmade.json", _handmade()))
    assert f"Imported 'New contacts to CRM' (Id {TEMPLATE_ID})" in imported
    assert "added: Test Contacts 1.0; already here: none" in imported

    printed = json.loads(source("templates", "export", TEMPLATE_ID))
    assert [(r["Version"], r["Status"]) for r in printed["Releases"]] == [(1, "Live")]
    assert [c["Name"] for c in printed["Connectors"]] == ["Test Contacts"]

    saved = tmp_path / "exported.json"
    told = source("templates", "export", TEMPLATE_ID, "--output", str(saved))
    assert f"to {saved}" in told
    assert _without_time(json.loads(saved.read_text())) == _without_time(printed)

    target("connectors", "add", str(CONTACTS))
    assert "added: none; already here: Test Contacts 1.0" in target(
        "templates", "import", str(saved)
    )
    copied = json.loads(target("templates", "export", TEMPLATE_ID))
    assert _without_time(copied) == _without_time(printed)

    assert "is already here" in target("templates", "import", str(saved), code=1)


def test_cli_refusals(two: tuple[Cli, Cli], tmp_path: Path) -> None:
    source, _ = two
    assert "No template with Id 'nope'" in source("templates", "export", "nope", code=1)

    newer = _handmade() | {"FormatVersion": 2}
    output = source("templates", "import", _write(tmp_path / "newer.json", newer), code=1)
    assert "1 problem(s)" in output
    assert "FormatVersion: 2 is not a version this Junction reads" in output

    not_json = tmp_path / "notes.txt"
    not_json.write_text("Format: junction-template")
    assert "not valid JSON" in source("templates", "import", str(not_json), code=1)

    broken = _handmade()
    broken["Releases"][0]["Document"]["Edges"] = []
    output = source("templates", "import", _write(tmp_path / "broken.json", broken), code=1)
    assert "Releases[0].Document.Edges" in output
    assert "No template" in source("templates", "export", TEMPLATE_ID, code=1)
    # The connector release that the refused import brought was not kept.
    assert source.json("connectors", "add", str(CONTACTS))["Created"] is True
