"""What every CLI command shares: settings, the database, error reporting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.spec.validate import DefinitionInvalid
from junction.db import migrate
from junction.db.engine import Database
from junction.errors import JunctionError
from junction.logs import configure_logging
from junction.security.keyring import Keyring, load_keyring
from junction.settings import Settings

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


def load_settings() -> Settings:
    """The settings, with logging set up from them: the first thing every command that
    reads settings does, so that each starts with the same log format and levels."""
    try:
        settings = Settings()
    except ValueError as exc:
        fail(f"Invalid settings: {exc}")
    configure_logging(settings)
    return settings


def keyring_for(settings: Settings) -> Keyring:
    """The keyring, or a clear message and exit (production never generates keys)."""
    try:
        return load_keyring(settings)
    except JunctionError as exc:
        fail(exc.message)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print("error:", style="red", end=" ")
    # Messages quote user input and field paths such as [records]: print them verbatim.
    errors.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_problems(source: object, exc: DefinitionInvalid) -> None:
    """Every problem of a document on its own line, under the document's name."""
    # markup=False: locations and messages contain [brackets] that are not rich markup.
    errors.print(
        f"{source}: {len(exc.problems)} problem(s)", style="red", markup=False, soft_wrap=True
    )
    for problem in exc.problems:
        errors.print(f"  {problem.location}: {problem.message}", markup=False, soft_wrap=True)


def prepare_database(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url)


def run_in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed database transaction; report Junction errors and exit."""

    async def main() -> T:
        database = Database(settings.resolved_database_url)
        try:
            async with database.transaction() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        prepare_database(settings)
        return asyncio.run(main())
    except JunctionError as exc:
        fail(exc.message)


def progress_bar() -> Progress:
    """A progress bar for long work whose size is known, on stderr (stdout stays the
    command's answer). Where stderr is not a terminal it shows nothing: a log or a pipe
    gets no half-drawn bars."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


def print_json(data: Any) -> None:
    # Plain print: rich would wrap long lines and break machine-readable output.
    print(json.dumps(data, indent=2, default=str))
