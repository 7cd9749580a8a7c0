"""``junction accounts``: the partner's customers, as the API lists them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from junction.accounts import service
from junction.accounts.models import Account
from junction.accounts.schemas import AccountOut
from junction.cli.common import console, print_json
from junction.cli.operate import JsonFlag, as_json, id_column, run_with_services, utc
from junction.services import Services

app = typer.Typer(help="Accounts: the partner's customers.", no_args_is_help=True)


@app.command("list")
def list_(
    search: Annotated[
        str | None, typer.Option("--search", help="Only names containing this (any case).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    json_out: JsonFlag = False,
) -> None:
    """List accounts, oldest first."""

    async def work(services: Services) -> list[Account]:
        query = (
            service.accounts_query(name_contains=search)
            .order_by(Account.created_at, Account.id)
            .limit(limit)
        )
        async with services.database.transaction(read_only=True) as session:
            return list(await session.scalars(query))

    rows = run_with_services(work)
    if json_out:
        print_json([as_json(AccountOut.from_row(row)) for row in rows])
        return
    table = Table(
        id_column("Id", (row.id for row in rows)),
        "Name",
        "Parent",
        "Created (UTC)",
        title=f"{len(rows)} account(s)",
    )
    for row in rows:
        table.add_row(row.id, row.name, row.parent_account_id or "", utc(row.created_at))
    console.print(table)
