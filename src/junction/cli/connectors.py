"""``junction connectors``: check and add connector definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from junction.cli.common import (
    console,
    fail,
    load_settings,
    print_json,
    report_problems,
    run_in_transaction,
)
from junction.clock import system_clock
from junction.connectors import catalog
from junction.connectors.documents import load_document
from junction.connectors.spec.validate import DefinitionInvalid, parse_definition
from junction.errors import JunctionError

app = typer.Typer(help="Connector definitions (YAML or JSON).", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _read(path: Path) -> object:
    try:
        return load_document(path.read_bytes())
    except JunctionError as exc:
        fail(f"{path}: {exc.message}")


@app.command()
def validate(path: FileArgument) -> None:
    """Check a definition without storing it; lists every problem with its location."""
    try:
        definition = parse_definition(_read(path))
    except DefinitionInvalid as exc:
        report_problems(path, exc)
        raise typer.Exit(1) from None
    console.print(
        f"{path}: valid ({definition.Name} {definition.Version}, "
        f"{len(definition.Methods)} methods, {definition.ReleaseStatus.value})",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def add(
    path: FileArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored release as JSON.")
    ] = False,
) -> None:
    """Add a connector release (or replace a Draft of the same Name and Version)."""
    document = _read(path)
    settings = load_settings()
    try:
        parse_definition(document)
    except DefinitionInvalid as exc:
        report_problems(path, exc)
        raise typer.Exit(1) from None
    connector, created = run_in_transaction(
        settings,
        lambda session: catalog.add_release(session=session, document=document, now=system_clock()),
    )
    if as_json:
        print_json(
            {
                "Id": connector.id,
                "Name": connector.name,
                "Version": connector.version,
                "ReleaseStatus": connector.status,
                "Created": created,
            }
        )
        return
    verb = "Added" if created else "Updated"
    console.print(
        f"{verb}: {connector.name} {connector.version} ({connector.status}), Id {connector.id}",
        highlight=False,
        soft_wrap=True,
    )
