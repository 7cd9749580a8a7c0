"""``junction credentials``: the client ID and secret pairs that get API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from junction.auth import service
from junction.cli.common import (
    console,
    keyring_for,
    load_settings,
    print_json,
    run_in_transaction,
)
from junction.clock import system_clock

app = typer.Typer(help="Manage OAuth client credentials for the partner API.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _as_json(credential: service.CredentialSet) -> dict[str, str]:
    data = {"ClientId": credential.client_id}
    if credential.client_secret is not None:
        data["ClientSecret"] = credential.client_secret
    data["Description"] = credential.description
    data["CreatedDate"] = credential.created_at.isoformat()
    return data


@app.command()
def create(
    description: Annotated[str, typer.Option(help="What the set is for.")],
    as_json: JsonFlag = False,
) -> None:
    """Generate a new client ID and secret."""
    settings = load_settings()
    keyring = keyring_for(settings)
    created = run_in_transaction(
        settings,
        lambda session: service.create_credentials(
            session=session,
            keyring=keyring,
            description=description,
            limit=settings.max_client_credentials,
            now=system_clock(),
        ),
    )
    if as_json:
        data = _as_json(created)
        print_json({k: data[k] for k in ("ClientId", "ClientSecret", "Description")})
        return
    console.print(f"ClientId:     {created.client_id}", highlight=False)
    console.print(f"ClientSecret: {created.client_secret}", highlight=False)
    console.print(f"Description:  {created.description}", highlight=False)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List credential sets (without secrets)."""
    settings = load_settings()
    rows = run_in_transaction(settings, lambda session: service.list_credentials(session=session))
    if as_json:
        print_json([_as_json(row) for row in rows])
        return
    table = Table("ClientId", "Created", "Description")
    for row in rows:
        table.add_row(
            row.client_id, row.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"), row.description
        )
    console.print(table)


@app.command()
def show(client_id: str, as_json: JsonFlag = False) -> None:
    """Show one credential set, secret included."""
    settings = load_settings()
    keyring = keyring_for(settings)
    row = run_in_transaction(
        settings,
        lambda session: service.reveal_credentials(
            session=session, keyring=keyring, client_id=client_id
        ),
    )
    if as_json:
        print_json(_as_json(row))
        return
    console.print(f"ClientId:     {row.client_id}", highlight=False)
    console.print(f"ClientSecret: {row.client_secret}", highlight=False)
    console.print(f"Description:  {row.description}", highlight=False)
    console.print(f"Created:      {row.created_at.isoformat()}", highlight=False)


@app.command()
def delete(client_id: str) -> None:
    """Delete a credential set; every token issued to it stops working."""
    settings = load_settings()
    run_in_transaction(
        settings, lambda session: service.delete_credentials(session=session, client_id=client_id)
    )
    console.print(f"Deleted client credentials {client_id}; their tokens no longer work.")
