"""Console users from the command line: the password policy, argon2 hashes, roles."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

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


def test_the_password_policy_says_what_is_missing() -> None:
    assert password_problems("correct horse battery", "ann") == []
    assert "at least 12 characters" in password_problems("short", "ann")
    assert "not containing the user name" in password_problems("ann-is-the-best-1", "Ann")
    assert "more than a few different characters" in password_problems("aaaaaaaaaaaaaa", "x")
    assert "not one of the most common passwords" in password_problems("Password1234", "x")


def test_the_first_administrator_is_made_from_the_command_line(tmp_path: Path) -> None:
    runner, env = CliRunner(), _env(tmp_path)
    made = runner.invoke(
        app,
        ["console-users", "create", "--username", "admin", "--password-stdin"],
        input="correct horse battery\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert "admin (administrator) can sign in" in made.output
    weak = runner.invoke(
        app,
        ["console-users", "create", "--username", "bob", "--password-stdin"],
        input="bob12345\n",
        env=env,
    )
    assert weak.exit_code != 0
    assert "Password: needs at least 12 characters" in weak.output
    taken = runner.invoke(
        app,
        ["console-users", "create", "--username", "ADMIN", "--password-stdin"],
        input="another long passphrase\n",
        env=env,
    )
    assert taken.exit_code != 0
    assert "is taken" in taken.output
    bad_role = runner.invoke(
        app,
        ["console-users", "create", "--username", "eve", "--role", "owner", "--password-stdin"],
        input="another long passphrase\n",
        env=env,
    )
    assert "Role: one of administrator, viewer" in bad_role.output
    listed = runner.invoke(app, ["console-users", "list", "--json"], env=env)
    assert '"Username": "admin"' in listed.output
    assert "bob" not in listed.output


def test_passwords_are_stored_as_argon2id_at_the_shipped_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other console tests hash at the lowest cost (conftest); this one at the
    shipped cost: argon2id with argon2-cffi's recommended parameters, checked on sign-in."""
    monkeypatch.undo()
    runner, env = CliRunner(), _env(tmp_path)
    made = runner.invoke(
        app,
        ["console-users", "create", "--username", "admin", "--password-stdin"],
        input="correct horse battery\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    with sqlite3.connect(tmp_path / "junction.db") as db:
        [(stored,)] = db.execute("SELECT password_hash FROM console_users").fetchall()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored
    assert users._verify(stored, "correct horse battery")
    assert not users._verify(stored, "correct horse battery!")
