"""What every CLI command shares: settings, the database, error reporting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.spec.validate import DefinitionInvalid
from junction.db import migrate
from junction.db.engine import Database
from junction.errors import JunctionError
from junction.logs import configure_logging
from junction.security.files import private_file, private_folder
from junction.security.keyring import Keyring, load_keyring
from junction.settings import Settings, describe_settings_error

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


def load_settings() -> Settings:
    """The settings, with logging set up from them: the first thing every command that
    reads settings does, so that each starts with the same log format and levels."""
    try:
        settings = Settings()
    except ValidationError as exc:
        fail(f"Invalid settings: {describe_settings_error(exc)}")
    except ValueError as exc:  # a value pydantic-settings could not even decode
        fail(f"Invalid settings: {str(exc).splitlines()[0]}")
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


SUPPORTED_DRIVERS = frozenset({"sqlite+aiosqlite", "postgresql+psycopg"})


def prepare_database(settings: Settings) -> None:
    """Create the data folder and bring the schema up to date, or fail in one clear line
    naming the setting or URL at fault (its password hidden)."""
    url = settings.resolved_database_url
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        fail(
            "JUNCTION_DATABASE_URL is not a database URL: use sqlite:///path/to/file.db or "
            "postgresql://user:password@host:5432/database"
        )
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        fail(
            f"JUNCTION_DATABASE_URL {shown} is not supported: Junction runs on SQLite "
            "(sqlite:///path/to/file.db) or PostgreSQL (postgresql://user@host/database)"
        )
    try:
        private_folder(settings.data_dir)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            database_file = Path(parsed.database or "")
            private_folder(database_file.parent)
            private_file(database_file)
    except OSError as exc:
        fail(f"Cannot create {exc.filename} (JUNCTION_DATA_DIR): {exc.strerror or exc}")
    try:
        migrate.upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        fail(f"Cannot open the database {shown} (JUNCTION_DATABASE_URL): {reason}")


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
