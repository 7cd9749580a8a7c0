"""Console users from the command line: the password policy, argon2 hashes, roles."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from junction.cli.main import app
from junction.console import users
from junction.console.users import password_problems


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "JUNCTION_DATA_DIR": str(tmp_path / "data"),
        "JUNCTION_DATABASE_URL": f"sqlite:///{tmp_path / 'junction.db'}",
        "JUNCTION_ENV": "development",
        "JUNCTION_ENCRYPTION_KEYS": "",
    }


def _create(env: dict[str, str], username: str, password: str, *options: str) -> Result:
    """`junction console-users create`, the password given on standard input."""
    return CliRunner().invoke(
        app,
        ["console-users", "create", "--username", username, *options, "--password-stdin"],
        input=password + "\n",
        env=env,
    )


def test_the_password_policy_says_what_is_missing() -> None:
    assert password_problems("correct horse battery", "ann") == []
    assert "at least 12 characters" in password_problems("short", "ann")
    assert "not containing the user name" in password_problems("ann-is-the-best-1", "Ann")
    assert "more than a few different characters" in password_problems("aaaaaaaaaaaaaa", "x")
    assert "not one of the most common passwords" in password_problems("Password1234", "x")


def test_the_first_administrator_is_made_from_the_command_line(tmp_path: Path) -> None:
    env = _env(tmp_path)
    made = _create(env, "admin", "correct horse battery")
    assert made.exit_code == 0, made.output
    assert "admin (administrator) can sign in" in made.output
    weak = _create(env, "bob", "bob12345")
    assert weak.exit_code != 0
    assert "Password: needs at least 12 characters" in weak.output
    taken = _create(env, "ADMIN", "another long passphrase")
    assert taken.exit_code != 0
    assert "is taken" in taken.output
    bad_role = _create(env, "eve", "another long passphrase", "--role", "owner")
    assert "Role: one of administrator, viewer" in bad_role.output
    listed = CliRunner().invoke(app, ["console-users", "list", "--json"], env=env)
    assert '"Username": "admin"' in listed.output
    assert "bob" not in listed.output


def test_passwords_are_stored_as_argon2id_at_the_shipped_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other console tests hash at the lowest cost (conftest); this one at the
    shipped cost: argon2id with argon2-cffi's recommended parameters, checked on sign-in."""
    monkeypatch.undo()
    made = _create(_env(tmp_path), "admin", "correct horse battery")
    assert made.exit_code == 0, made.output
    with sqlite3.connect(tmp_path / "junction.db") as db:
        [(stored,)] = db.execute("SELECT password_hash FROM console_users").fetchall()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored
    assert users._verify(stored, "correct horse battery")
    assert not users._verify(stored, "correct horse battery!")
