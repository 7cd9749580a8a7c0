"""The ``junction`` command run against the shared test server's database and settings,
as an operator runs it beside a live ``junction serve``."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from junction.cli import common
from junction.cli.main import app
from tests.fixtures.server import Junction


class Operator:
    def __init__(self, junction: Junction) -> None:
        settings = junction.services.settings
        self.env = {
            "JUNCTION_DATA_DIR": str(settings.data_dir),
            "JUNCTION_DATABASE_URL": settings.resolved_database_url,
            "JUNCTION_DISPATCHER": settings.dispatcher,
            "JUNCTION_POLL_INTERVAL_SECONDS": str(settings.poll_interval_seconds),
            "JUNCTION_PUBLIC_BASE_URL": settings.public_base_url,
            "JUNCTION_OUTBOUND_ALLOW_LOOPBACK": "true",
            "JUNCTION_ENV": "development",
            "JUNCTION_ENCRYPTION_KEYS": "",
        }
        self.runner = CliRunner()

    def result(self, *args: str) -> Result:
        # The CLI's console read its width when it was imported, in whichever test came
        # first; a wide one is set for the call so that columns are shown in full.
        width, common.console.width = common.console.width, 200
        try:
            return self.runner.invoke(app, list(args), env=self.env)
        finally:
            common.console.width = width

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.result(*args)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    def json(self, *args: str, code: int = 0) -> Any:
        result = self.result(*args, "--json")
        assert result.exit_code == code, (result.output, result.exception)
        return json.loads(result.stdout)

    def error(self, *args: str, code: int = 1) -> str:
        """The one line of a refused command (on stderr), which exits ``code``."""
        result = self.result(*args)
        assert result.exit_code == code, (result.output, result.exception)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]
