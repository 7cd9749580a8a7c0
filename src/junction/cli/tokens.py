"""``junction tokens``: list and revoke live access tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from junction.auth import service
from junction.auth.schemas import AccessTokenOut
from junction.cli.common import console, load_settings, print_json, run_in_transaction
from junction.clock import system_clock

app = typer.Typer(help="List and revoke API access tokens.", no_args_is_help=True)


@app.command("list")
def list_(
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="Only this client's.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List unexpired tokens (ids only; token values are never stored)."""
    settings = load_settings()
    rows = run_in_transaction(
        settings,
        lambda session: service.list_tokens(
            session=session, now=system_clock(), client_id=client_id
        ),
    )
    tokens = [AccessTokenOut.from_row(row) for row in rows]
    if as_json:
        print_json([token.model_dump(mode="json") for token in tokens])
        return
    table = Table("Id", "ClientId", "Scope", "Issued", "Expires")
    for token in tokens:
        table.add_row(
            token.Id,
            token.ClientId,
            token.Scope,
            token.IssuedDate.strftime("%Y-%m-%d %H:%M"),
            token.ExpiresDate.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command()
def revoke(token_id: str) -> None:
    """Revoke one token by its Id; it stops working at once."""
    settings = load_settings()
    run_in_transaction(
        settings,
        lambda session: service.revoke_token(
            session=session, token_id=token_id, now=system_clock()
        ),
    )
    console.print(f"Revoked access token {token_id}.")
