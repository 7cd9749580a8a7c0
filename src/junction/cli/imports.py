"""``junction import``: bring assets from another platform (Cyclr) into Junction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from junction.cli.common import (
    console,
    errors,
    fail,
    load_settings,
    print_json,
    report_problems,
    run_in_transaction,
)
from junction.clock import system_clock
from junction.connectors.spec.validate import DefinitionInvalid
from junction.errors import JunctionError
from junction.migration import service

app = typer.Typer(help="Import assets from another platform.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.command("cyclr")
def import_cyclr(
    path: FileArgument,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only report what would happen; store nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report (and the converted document).")
    ] = False,
) -> None:
    """Import a Cyclr connector definition or template export, and list what could not be
    carried over. Ids that are GUIDs are kept; the template arrives as a Draft release."""
    settings = load_settings()
    try:
        document = service.read_document(path.read_bytes())
        service.kind_of(document)
    except JunctionError as exc:
        fail(f"{path}: {exc.message}")

    async def work(session: Any) -> dict[str, Any]:
        try:
            result = await service.import_cyclr(
                session=session, document=document, now=system_clock(), dry_run=dry_run
            )
        except DefinitionInvalid as exc:
            report_problems(path, exc)
            raise typer.Exit(1) from None
        return result.answer()

    answer = run_in_transaction(settings, work)
    if as_json:
        print_json(answer)
    else:
        _summary(answer)
    if answer["Problems"]:
        raise typer.Exit(1)


def _summary(answer: dict[str, Any]) -> None:
    def say(line: str) -> None:
        console.print(line, highlight=False, markup=False, soft_wrap=True)

    verb = "Would import" if answer["DryRun"] else "Imported"
    template = answer["Template"]
    if template is not None:
        say(f"{verb} template '{template['Name']}' (Id {template['Id']}) as a Draft release.")
    for connector in answer["Connectors"]:
        say(f"Connector '{connector['Name']}' {connector['Version']}: {connector['Outcome']}.")
    notes = answer["NotCarriedOver"]
    say(f"Not carried over ({len(notes)}):" if notes else "Everything was carried over.")
    for note in notes:
        say(f"  {note['Location']}: {note['Message']}")
    for problem in answer["PublishingProblems"]:
        say(f"  before publishing, {problem['Location']}: {problem['Message']}")
    if answer["Problems"]:
        errors.print(
            f"Problems that refuse the import ({len(answer['Problems'])}):",
            style="red",
            soft_wrap=True,
        )
        for problem in answer["Problems"]:
            errors.print(
                f"  {problem['Location']}: {problem['Message']}", markup=False, soft_wrap=True
            )
