"""``junction connectors``: list the catalogue; check, add, import (from OpenAPI) and get
connector definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from junction.cli.common import (
    console,
    fail,
    load_settings,
    print_json,
    report_problems,
    run_in_transaction,
)
from junction.cli.operate import JsonFlag, as_json, id_column, run_with_services
from junction.clock import system_clock
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import dump_yaml, load_document
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.schemas import ConnectorOut
from junction.connectors.openapi import OperationChoice, import_openapi
from junction.connectors.spec.validate import DefinitionInvalid, parse_definition
from junction.errors import JunctionError
from junction.services import Services
from junction.utilities import builtin

app = typer.Typer(help="Connector definitions (YAML or JSON).", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _read(path: Path) -> object:
    try:
        return load_document(path.read_bytes())
    except JunctionError as exc:
        fail(f"{path}: {exc.message}")


@app.command("list")
def list_(
    search: Annotated[
        str | None,
        typer.Option("--search", help="Only those whose name or description holds this text."),
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only connectors in this category (CRM).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List the catalogue (the partner's connector releases), by name."""

    async def work(services: Services) -> list[Connector]:
        # The shipped connectors join the catalogue when the server starts; listing before
        # the first start shows them too, as the API would.
        await builtin.register(
            database=services.database,
            now=services.clock(),
            library_connectors=services.settings.library_connectors,
        )
        query = catalog.connectors_query(query=search, category=category).order_by(
            Connector.name, Connector.version
        )
        async with services.database.transaction(read_only=True) as session:
            return list(await session.scalars(query))

    rows = [ConnectorOut.build(row) for row in run_with_services(work)]
    if json_out:
        print_json([as_json(row) for row in rows])
        return
    table = Table(
        id_column("Id", (str(row.Id) for row in rows)),
        "Name",
        "Version",
        "Status",
        "Categories",
        "Auth",
        title=f"{len(rows)} connector(s)",
    )
    for row in rows:
        table.add_row(
            str(row.Id),
            row.Name,
            row.Version,
            row.ReleaseStatus,
            ", ".join(row.Categories),
            row.AuthType,
        )
    console.print(table)


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


@app.command("import-openapi")
def import_openapi_command(
    path: FileArgument,
    name: Annotated[str | None, typer.Option(help="Connector Name (default: info.title).")] = None,
    version: Annotated[
        str | None, typer.Option(help="Connector Version (default: from info.version).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Write the definition to this YAML file instead of storing it."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Only operations with this tag (repeatable; '' for untagged)."),
    ] = None,
    path_chosen: Annotated[
        list[str] | None,
        typer.Option(
            "--path",
            help="Only operations of this path, e.g. /pets/{petId}, or /pets* for every path "
            "starting so (repeatable).",
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(help="Only operations whose verb, path, operationId or summary hold this."),
    ] = None,
) -> None:
    """Import an OpenAPI (2.0, 3.0, 3.1) document as a Draft connector, or write it out."""
    choice = (
        OperationChoice(
            frozenset(tag) if tag else None,
            search or "",
            tuple(path_chosen) if path_chosen else None,
        )
        if tag or search or path_chosen
        else None
    )
    try:
        result = import_openapi(path.read_bytes(), name=name, version=version, choice=choice)
    except DefinitionInvalid as exc:
        report_problems(path, exc)
        raise typer.Exit(1) from None
    definition = result.definition
    if output is not None:
        output.write_text(
            dump_yaml(definition),
            encoding="utf-8",
        )
        console.print(
            f"Wrote {output} ({definition['Name']} {definition['Version']}, "
            f"{len(definition['Methods'])} methods)",
            highlight=False,
            soft_wrap=True,
        )
    else:
        settings = load_settings()
        connector, created = run_in_transaction(
            settings,
            lambda session: catalog.add_release(
                session=session, document=definition, now=system_clock()
            ),
        )
        verb = "Added" if created else "Updated"
        console.print(
            f"{verb}: {connector.name} {connector.version} ({connector.status}), "
            f"Id {connector.id}, {len(definition['Methods'])} methods",
            highlight=False,
            soft_wrap=True,
        )
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def get(
    connector_id: Annotated[int, typer.Argument(help="The connector release's Id.")],
    output: Annotated[
        Path | None,
        typer.Option(help="Write the definition to this YAML file (default: print it)."),
    ] = None,
) -> None:
    """A release's definition as YAML, with every default filled in, to edit and add again."""
    settings = load_settings()
    connector = run_in_transaction(
        settings,
        lambda session: catalog.get_connector(session=session, connector_id=connector_id),
    )
    text = dump_yaml(connector.definition)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(
        f"Wrote {output} ({connector.name} {connector.version}, {connector.status})",
        highlight=False,
        soft_wrap=True,
    )
