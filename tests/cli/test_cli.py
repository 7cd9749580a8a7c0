"""The junction command: credentials, tokens, keys, migrate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junction.cli.main import app
from tests.fixtures.databases import BACKENDS, fresh_database


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


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


def test_credentials_lifecycle(cli: Cli) -> None:
    created = cli.json("credentials", "create", "--description", "Production sync")
    assert set(created) == {"ClientId", "ClientSecret", "Description"}
    assert created["Description"] == "Production sync"

    listed = cli.json("credentials", "list")
    assert [c["ClientId"] for c in listed] == [created["ClientId"]]
    assert "ClientSecret" not in listed[0]
    assert created["ClientSecret"] not in cli("credentials", "list")

    shown = cli.json("credentials", "show", created["ClientId"])
    assert shown["ClientSecret"] == created["ClientSecret"]
    assert created["ClientSecret"] in cli("credentials", "show", created["ClientId"])

    cli("credentials", "delete", created["ClientId"])
    assert cli.json("credentials", "list") == []


def test_credential_limit(cli: Cli) -> None:
    for index in range(5):
        cli("credentials", "create", "--description", f"set {index}")
    output = cli("credentials", "create", "--description", "one too many", code=1)
    assert "At most 5" in output
    assert len(cli.json("credentials", "list")) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("credentials", "show", "nobody"), "No client credential set", id="show-unknown"
        ),
        pytest.param(
            ("credentials", "delete", "nobody"), "No client credential set", id="delete-unknown"
        ),
        pytest.param(("credentials", "create", "--description", "  "), "Description", id="blank"),
        pytest.param(("tokens", "revoke", "nothing"), "No access token", id="revoke-unknown"),
    ],
)
def test_cli_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli(*args, code=1)


def test_keys_generate_makes_a_usable_setting(tmp_path: Path) -> None:
    from junction.security.keyring import parse_keys

    output = CliRunner().invoke(app, ["keys", "generate"]).output.strip()
    keyring = parse_keys(output)
    assert keyring.open(keyring.seal("x", context="c"), context="c") == "x"


def test_production_without_keys_stops_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        "JUNCTION_DATA_DIR": str(tmp_path),
        "JUNCTION_ENV": "production",
        "JUNCTION_ENCRYPTION_KEYS": "",
        "JUNCTION_DATABASE_URL": "",
    }
    result = CliRunner().invoke(app, ["credentials", "create", "--description", "x"], env=env)
    assert result.exit_code == 1
    assert "JUNCTION_ENCRYPTION_KEYS" in result.output
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 1
    assert "JUNCTION_ENCRYPTION_KEYS" in result.output


def test_key_rotation_keeps_secrets_readable(cli: Cli) -> None:
    created = cli.json("credentials", "create", "--description", "rotate me")
    before = json.loads(Path(cli.env["JUNCTION_DATA_DIR"], "keyring.json").read_text())
    assert "re-encrypted 1 secret" in cli("keys", "rotate").lower()
    after = json.loads(Path(cli.env["JUNCTION_DATA_DIR"], "keyring.json").read_text())
    assert after["primary"] != before["primary"]
    assert set(before["keys"]) < set(after["keys"])
    shown = cli.json("credentials", "show", created["ClientId"])
    assert shown["ClientSecret"] == created["ClientSecret"]
    assert "0 secret" in cli("keys", "reseal")


def test_rotate_refuses_keys_from_the_environment(cli: Cli) -> None:
    from junction.security.keyring import generate_key

    cli.env["JUNCTION_ENCRYPTION_KEYS"] = f"env:{generate_key()}"
    assert "JUNCTION_ENCRYPTION_KEYS" in cli("keys", "rotate", code=1)


CONTACTS = Path(__file__).parents[1] / "fixtures" / "connectors" / "contacts.yaml"


def test_connectors_validate_and_add(cli: Cli, tmp_path: Path) -> None:
    assert "valid (Test Contacts 1.0, 4 methods, Live)" in cli(
        "connectors", "validate", str(CONTACTS)
    )
    added = cli.json("connectors", "add", str(CONTACTS))
    assert added["Name"] == "Test Contacts"
    assert added["Created"] is True
    again = cli.json("connectors", "add", str(CONTACTS))  # the same release again: no change
    assert (again["Id"], again["Created"]) == (added["Id"], False)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CONTACTS.read_text().replace("Contacts API used", "Changed API used"))
    assert "cannot change" in cli("connectors", "add", str(changed), code=1)


def test_connectors_validate_lists_every_problem(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = CONTACTS.read_text().replace("contacts-create", "contacts-list")
    text = text.replace('"[contacts].email"', '"[contacts.email"')
    broken.write_text(text)
    output = cli("connectors", "validate", str(broken), code=1)
    assert "2 problem(s)" in output
    assert "Methods[2].MethodUniqueIdentifier" in output
    assert "Methods[0].ResponseFields[1].ConnectorField" in output
    assert "problem" in cli("connectors", "add", str(broken), code=1)
    unreadable = tmp_path / "bad.yaml"
    unreadable.write_text("Name: [unclosed")
    assert "neither valid JSON nor valid YAML" in cli(
        "connectors", "validate", str(unreadable), code=1
    )
