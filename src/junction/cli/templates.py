"""``junction templates``: export a template to a file and import it elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.validate import DefinitionInvalid
from junction.errors import JunctionError
from junction.templates import transfer

app = typer.Typer(help="Templates: export and import (JSON).", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.command("export")
def export_template(
    template_id: Annotated[str, typer.Argument(help="The template's Id.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", dir_okay=False, help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Export a template, its releases and the connector releases they use."""
    settings = load_settings()
    document = run_in_transaction(
        settings,
        lambda session: transfer.export_template(
            session=session, template_id=template_id, now=system_clock()
        ),
    )
    if output is None:
        print_json(document)
        return
    try:
        output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")
    console.print(
        f"Exported '{document['Template']['Name']}' ({len(document['Releases'])} releases, "
        f"{len(document['Connectors'])} connector releases) to {output}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("import")
def import_template(path: FileArgument) -> None:
    """Import an export: the template keeps its Id, releases and statuses."""
    settings = load_settings()
    document = _read(path)
    imported = run_in_transaction(
        settings,
        lambda session: transfer.import_template(
            session=session, document=document, now=system_clock()
        ),
    )
    template = imported.template
    console.print(
        f"Imported '{template.name}' (Id {template.id}). Connector releases added: "
        f"{_names(imported.added)}; already here: {_names(imported.reused)}.",
        highlight=False,
        soft_wrap=True,
    )


def _read(path: Path) -> Any:
    """The file's export, with its shape checked before the database is opened."""
    try:
        document = transfer.read_export(path.read_bytes())
        transfer.parse_export(document)
    except DefinitionInvalid as exc:
        report_problems(path, exc)
        raise typer.Exit(1) from None
    except JunctionError as exc:
        fail(f"{path}: {exc.message}")
    return document


def _names(connectors: list[Connector]) -> str:
    return ", ".join(f"{c.name} {c.version}" for c in connectors) or "none"
