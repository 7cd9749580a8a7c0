"""``junction import cyclr``: Cyclr exports through the command, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli
from tests.fixtures.databases import BACKENDS, fresh_database
from tests.migration.test_cyclr_import_api import FIXTURES, TEMPLATE_ID, connector_export

CONNECTOR = str(FIXTURES / "acme-crm-connector.json")
TEMPLATE = str(FIXTURES / "newsletter-template.json")


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    with fresh_database(request.param, tmp_path, migrated=True) as url:
        yield Cli(
            {
                "JUNCTION_DATA_DIR": str(tmp_path / "data"),
                "JUNCTION_DATABASE_URL": url,
                "JUNCTION_ENV": "development",
                "JUNCTION_ENCRYPTION_KEYS": "",
            }
        )


def test_dry_run_then_import(cli: Cli) -> None:
    dry = cli("import", "cyclr", TEMPLATE, "--dry-run")
    assert f"Would import template 'New Acme contacts to the newsletter' (Id {TEMPLATE_ID})" in dry
    assert "Connector 'Acme CRM' 2.0: WouldAdd." in dry
    assert "  Steps[5].ActionType: 'WaitAll' steps are not supported here" in dry
    assert "No template" in cli("templates", "export", TEMPLATE_ID, code=1)

    done = cli("import", "cyclr", TEMPLATE)
    assert f"Imported template 'New Acme contacts to the newsletter' (Id {TEMPLATE_ID})" in done
    assert "Connector 'Acme CRM' 2.0: Added." in done
    exported = json.loads(cli("templates", "export", TEMPLATE_ID))
    assert [r["Status"] for r in exported["Releases"]] == ["Draft"]

    report = cli.json("import", "cyclr", CONNECTOR)
    assert (report["Kind"], report["Imported"]) == ("Connector", True)
    assert report["Connectors"][0]["Outcome"] == "Added"
    assert "Methods[4].DataType" in {n["Location"] for n in report["NotCarriedOver"]}
    assert "is already here" in cli("import", "cyclr", TEMPLATE, code=1)


def test_refusals(cli: Cli, tmp_path: Path) -> None:
    not_json = tmp_path / "export.json"
    not_json.write_text("UniqueIdentifier: x")
    assert "The Cyclr export is not valid JSON" in cli("import", "cyclr", str(not_json), code=1)
    neither = tmp_path / "neither.json"
    neither.write_text('{"Name": "x"}')
    assert "neither a template export" in cli("import", "cyclr", str(neither), code=1)

    broken = connector_export()
    broken["Methods"][0]["Endpoint"] = "https://api.acme-crm.example/{{Nowhere}}"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    output = cli("import", "cyclr", str(path), code=1)
    assert "1 problem(s)" in output
    assert "Converted.Methods[0].Endpoint" in output
    dry = cli("import", "cyclr", str(path), "--dry-run", code=1)
    assert "Problems that refuse the import (1):" in dry
    assert "Converted.Methods[0].Endpoint" in dry
    assert cli.json("import", "cyclr", CONNECTOR)["Connectors"][0]["Outcome"] == "Added"
