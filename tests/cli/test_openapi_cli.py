"""junction connectors import-openapi: store a Draft, or write YAML for editing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cli.test_cli import Cli
from tests.fixtures.databases import BACKENDS, fresh_database

OPENAPI = Path(__file__).parents[1] / "fixtures" / "openapi"
PETSTORE = str(OPENAPI / "petstore-v3.yaml")


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


def test_output_writes_an_editable_definition_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "petstore.yaml"
    output = cli("connectors", "import-openapi", PETSTORE, "--output", str(target))
    assert f"Wrote {target} (Swagger Petstore 1.0.0, 3 methods)" in output
    definition = yaml.safe_load(target.read_text())
    assert definition["ReleaseStatus"] == "Draft"
    assert "valid (Swagger Petstore 1.0.0, 3 methods, Draft)" in cli(
        "connectors", "validate", str(target)
    )
    # Nothing was stored: adding the edited file creates the first release.
    assert cli.json("connectors", "add", str(target))["Created"] is True


def test_import_stores_a_draft_and_prints_warnings(cli: Cli) -> None:
    output = cli("connectors", "import-openapi", PETSTORE, "--name", "Pets", "--version", "3.0")
    assert "Added: Pets 3.0 (Draft), Id 1, 3 methods" in output
    tasks = cli("connectors", "import-openapi", str(OPENAPI / "tasks-v3.1.yaml"))
    assert "Added: Tasks (test API) 2.4-beta (Draft)" in tasks
    assert "warning: paths./tasks.head: HEAD operations are not supported; skipped" in tasks


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        pytest.param(
            "invalid/broken-ref.yaml",
            "paths./pets.get.parameters[0]: $ref '#/components/parameters/Missing'",
            id="broken-ref",
        ),
        pytest.param("invalid/bad-yaml.yaml", "line 8, column 1", id="bad-yaml"),
        pytest.param("invalid/wrong-version.json", "swagger: version '1.2'", id="wrong-version"),
    ],
)
def test_bad_documents_are_reported_and_nothing_is_stored(
    cli: Cli, name: str, fragment: str
) -> None:
    output = cli("connectors", "import-openapi", str(OPENAPI / name), code=1)
    assert "problem(s)" in output
    assert fragment in output
    assert "Id 1," in cli("connectors", "import-openapi", PETSTORE)


def test_bad_version_option(cli: Cli) -> None:
    output = cli("connectors", "import-openapi", PETSTORE, "--version", "1 0", code=1)
    assert "version: must be 1 to 32" in output


def test_choose_operations_and_get_the_definition_back(cli: Cli, tmp_path: Path) -> None:
    tasks = str(OPENAPI / "tasks-v3.1.yaml")
    target = tmp_path / "chosen.yaml"
    cli("connectors", "import-openapi", tasks, "--path", "/tasks", "--output", str(target))
    chosen = yaml.safe_load(target.read_text())
    assert [m["Endpoint"] for m in chosen["Methods"]] == ["/tasks", "/tasks"]
    cli("connectors", "import-openapi", tasks, "--path", "/projects*", "--output", str(target))
    assert {m["Endpoint"].split("/")[1] for m in yaml.safe_load(target.read_text())["Methods"]} == {
        "projects"
    }
    cli(
        "connectors",
        "import-openapi",
        tasks,
        "--tag",
        "Tasks",
        "--search",
        "post",
        "--output",
        str(target),
    )
    assert [m["Name"] for m in yaml.safe_load(target.read_text())["Methods"]] == ["Create a task"]

    assert "Id 1," in cli("connectors", "import-openapi", PETSTORE)
    out = tmp_path / "got.yaml"
    assert f"Wrote {out} (Swagger Petstore 1.0.0, Draft)" in cli(
        "connectors", "get", "1", "--output", str(out)
    )
    got = yaml.safe_load(out.read_text())
    assert got["Methods"][0]["MethodUniqueIdentifier"] == "listPets"
    assert got["TimeoutSeconds"] == 30  # the defaults are filled in
    got["ReleaseStatus"] = "Live"
    out.write_text(yaml.safe_dump(got))
    assert cli.json("connectors", "add", str(out))["ReleaseStatus"] == "Live"
    assert "99" in cli("connectors", "get", "99", code=1)


def test_connectors_list_shows_the_catalogue_with_search_and_category(cli: Cli) -> None:
    cli.env["JUNCTION_LIBRARY_CONNECTORS"] = "none"
    cli("connectors", "import-openapi", PETSTORE, "--name", "Pets", "--version", "3.0")
    listed = cli.json("connectors", "list")
    names = [row["Name"] for row in listed]
    assert "Pets" in names
    assert "Generic Webhook" in names
    assert [row["Name"] for row in cli.json("connectors", "list", "--search", "PETS")] == ["Pets"]
    utilities = cli.json("connectors", "list", "--category", "utilities")
    assert utilities
    assert all("Utilities" in row["Categories"] for row in utilities)
    assert cli.json("connectors", "list", "--search", "no such words") == []
    table = cli("connectors", "list", "--search", "pets")
    assert "1 connector(s)" in table
    assert "Pets" in table
    assert "Draft" in table


def test_connectors_list_refuses_an_unknown_shipped_connector_in_the_setting(cli: Cli) -> None:
    cli.env["JUNCTION_LIBRARY_CONNECTORS"] = "no-such-app"
    output = cli("connectors", "list", code=1)
    assert "JUNCTION_LIBRARY_CONNECTORS" in output
    assert "no shipped connector no-such-app" in output
