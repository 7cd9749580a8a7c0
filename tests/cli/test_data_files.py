"""The data folder and the files in it are the owner's alone, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junction.cli.main import app


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default, which leaves new files world-readable
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_the_data_folder_database_and_keyring_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    env = {
        "JUNCTION_DATA_DIR": str(data),
        "JUNCTION_ENV": "development",
        "JUNCTION_ENCRYPTION_KEYS": "",
        "JUNCTION_DATABASE_URL": "",
    }
    result = CliRunner().invoke(app, ["credentials", "create", "--description", "x"], env=env)
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o700
    assert _mode(data / "junction.db") == 0o600
    assert _mode(data / "keyring.json") == 0o600
    # While a connection writes, SQLite keeps -wal and -shm files beside the database: it
    # gives them the database file's mode.
    connection = sqlite3.connect(data / "junction.db")
    try:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        connection.execute("CREATE TABLE probe (x)")
        connection.commit()
        assert _mode(data / "junction.db-wal") == 0o600
        assert _mode(data / "junction.db-shm") == 0o600
    finally:
        connection.close()


@pytest.mark.usefixtures("permissive_umask")
def test_a_folder_that_exists_keeps_its_mode(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    os.chmod(data, 0o750)
    env = {"JUNCTION_DATA_DIR": str(data), "JUNCTION_DATABASE_URL": ""}
    result = CliRunner().invoke(app, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o750
    assert _mode(data / "junction.db") == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_a_database_file_outside_the_data_folder_is_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "junction.db"
    env = {
        "JUNCTION_DATA_DIR": str(tmp_path / "data"),
        "JUNCTION_DATABASE_URL": f"sqlite:///{database}",
    }
    result = CliRunner().invoke(app, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert _mode(database.parent) == 0o700
    assert _mode(database) == 0o600
