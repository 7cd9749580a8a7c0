"""Start-up mistakes end every command with one clear line on stderr and a failing exit code:
bad settings name their variable, a database URL that cannot be used is named with its
password hidden, and no traceback is printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junction.cli.main import app

COMMANDS = [
    pytest.param(("serve",), id="serve"),
    pytest.param(("worker",), id="worker"),
    pytest.param(("migrate",), id="migrate"),
    pytest.param(("credentials", "list"), id="credentials"),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(tmp_path: Path, args: tuple[str, ...], **variables: str) -> tuple[int, str]:
    env = {
        "JUNCTION_DATA_DIR": str(tmp_path / "data"),
        "JUNCTION_ENV": "development",
        "JUNCTION_ENCRYPTION_KEYS": "",
        # worker only runs with the job queue; the others ignore it.
        "JUNCTION_DISPATCHER": "procrastinate",
        **variables,
    }
    result = CliRunner().invoke(app, list(args), env=env)
    # A clean exit through the error path, not an exception escaping the command.
    assert not isinstance(result.exception, Exception), result.exception
    return result.exit_code, result.stderr


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_bad_setting_names_its_variable(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, stderr = _run(tmp_path, args, JUNCTION_PORT="abc")
    assert code == 1
    line = _one_line(stderr)
    assert "JUNCTION_PORT" in line
    assert "valid integer" in line
    assert not (tmp_path / "data").exists()  # nothing was touched


@pytest.mark.parametrize("args", COMMANDS)
def test_an_unsupported_database_url_is_named_without_its_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    code, stderr = _run(tmp_path, args, JUNCTION_DATABASE_URL="mysql://app:hunter2@db/junction")
    assert code == 1
    line = _one_line(stderr)
    assert "JUNCTION_DATABASE_URL" in line
    assert "mysql://app:***@db/junction" in line
    assert "not supported" in line
    assert "hunter2" not in stderr


@pytest.mark.parametrize("args", COMMANDS)
def test_an_unreachable_postgresql_is_named_without_its_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{_closed_port()}/junction"
    code, stderr = _run(tmp_path, args, JUNCTION_DATABASE_URL=url)
    assert code == 1
    line = _one_line(stderr)
    assert "Cannot open the database" in line
    assert "JUNCTION_DATABASE_URL" in line
    assert "postgres:***@127.0.0.1" in line
    assert "refused" in line
    assert "hunter2" not in stderr


def test_a_url_that_cannot_be_parsed_is_named(tmp_path: Path) -> None:
    code, stderr = _run(tmp_path, ("migrate",), JUNCTION_DATABASE_URL="postgresql://u:p@[::1")
    assert code == 1
    assert "JUNCTION_DATABASE_URL is not a database URL" in _one_line(stderr)


def test_durations_in_seconds_start_the_command(tmp_path: Path) -> None:
    code, stderr = _run(
        tmp_path,
        ("migrate",),
        JUNCTION_ACCESS_TOKEN_LIFETIME="1209600",
        JUNCTION_TOKEN_FAILURE_WINDOW="300",
    )
    assert (code, stderr) == (0, "")


@pytest.mark.slow
def test_junction_serve_as_a_process_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{_closed_port()}/junction"
    env = {
        **os.environ,
        "JUNCTION_DATA_DIR": str(tmp_path / "data"),
        "JUNCTION_ENV": "development",
        "JUNCTION_DATABASE_URL": url,
        "JUNCTION_ENCRYPTION_KEYS": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "junction", "serve", "--port", str(_closed_port())],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    stderr = done.stderr.decode()
    line = _one_line(stderr)
    assert line.startswith("error: Cannot open the database postgresql+psycopg://postgres:***@")
    assert "hunter2" not in stderr
