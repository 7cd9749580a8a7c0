"""``junction cycles``: list cycles, pause and activate them.

Pausing and activating go through the same flows as ``PUT /v1.0/cycles/{id}/deactivate``
and ``/activate`` (which change a cycle's status only through ``cycles.lifecycle``), so
webhooks installed at third-party APIs are removed or installed exactly as there.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.cli.common import console, print_json
from junction.cli.operate import (
    JsonFlag,
    as_json,
    blame,
    choice,
    id_column,
    moment,
    run_with_services,
    wake_running,
)
from junction.cycles import activation_flow, service
from junction.cycles.activation import ALLOWED_INTERVALS, ActivateIn
from junction.cycles.lifecycle import CycleStatus
from junction.cycles.models import Cycle
from junction.cycles.schemas import CycleOut
from junction.errors import BadRequest
from junction.services import Services

app = typer.Typer(help="Cycles: list, pause, activate.", no_args_is_help=True)

CycleArgument = Annotated[str, typer.Argument(help="The cycle's Id.", show_default=False)]


async def cycle_out(session: AsyncSession, cycle: Cycle) -> dict[str, Any]:
    """The cycle as ``GET /v1.0/cycles/{id}`` shows it, with its ``AccountId``."""
    out = CycleOut.build(cycle, await service.connectors_of(session=session, cycle_id=cycle.id))
    facts = await service.run_facts(session=session, cycle_id=cycle.id)
    out.ErrorCount, out.WarningCount = facts.errors, facts.warnings
    out.InProgressTransactionCount = facts.in_progress
    out.LastSuccessfulRunDate = facts.last_successful_run
    return as_json(out, AccountId=cycle.account_id)


_OPTIONS = {"Interval": "--interval", "StartTime": "--start-time"}


def _caller(services: Services) -> activation_flow.Caller:
    return activation_flow.Caller(
        database=services.database,
        gateway=services.gateway,
        base_url=services.settings.public_base_url,
    )


@app.command("list")
def list_(
    account: Annotated[str | None, typer.Option("--account", help="Only this account's.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only cycles in this status: Active or Paused.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    json_out: JsonFlag = False,
) -> None:
    """List cycles, oldest first."""
    wanted = choice("--status", status, CycleStatus)

    async def work(services: Services) -> list[dict[str, Any]]:
        async with services.database.transaction(read_only=True) as session:
            if account is not None:
                with blame("--account"):
                    await accounts.get_account(session=session, account_id=account)
            query = (
                service.cycles_query(account_id=account, status=wanted)
                .order_by(Cycle.created_at, Cycle.id)
                .limit(limit)
            )
            return [await cycle_out(session, cycle) for cycle in await session.scalars(query)]

    rows = run_with_services(work)
    if json_out:
        print_json(rows)
        return
    table = Table(
        id_column("Id", (row["Id"] for row in rows)),
        "Account", "Name", "Status", "In progress", "Errors",
        title=f"{len(rows)} cycle(s)",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row["Id"],
            row["AccountId"],
            row["Name"],
            row["Status"],
            str(row["InProgressTransactionCount"]),
            str(row["ErrorCount"]),
        )
    console.print(table)


@app.command()
def pause(
    cycle_id: CycleArgument,
    finish_queued: Annotated[
        bool,
        typer.Option(
            "--finish-queued",
            help="Let every queued and started transaction run to its end first.",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Pause (deactivate) a cycle. Started transactions end Stopped and queued ones wait for
    the next activation, unless --finish-queued."""

    async def work(services: Services) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with services.database.transaction(read_only=True) as session:
            found = await service.locate(session=session, cycle_id=cycle_id)
        warnings = await activation_flow.deactivate(
            caller=_caller(services),
            account_id=found.account_id,
            cycle_id=cycle_id,
            finish_queued=finish_queued,
            now=services.clock(),
        )
        await wake_running(services)  # a Finishing cycle's queue runs on
        async with services.database.transaction(read_only=True) as session:
            out = await cycle_out(session, await service.locate(session=session, cycle_id=cycle_id))
        return out, [w.model_dump(mode="json") for w in warnings]

    out, warnings = run_with_services(work)
    if json_out:
        print_json({**out, "Warnings": warnings})
        return
    finishing = " (its queued transactions finish first)" if finish_queued else ""
    console.print(
        f"Cycle '{out['Name']}' ({out['Id']}) is {out['Status']}{finishing}.",
        highlight=False,
        soft_wrap=True,
    )
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def activate(
    cycle_id: CycleArgument,
    interval: Annotated[
        int | None,
        typer.Option(
            "--interval",
            help="Minutes between runs of a scheduled cycle: "
            + ", ".join(map(str, ALLOWED_INTERVALS))
            + ".",
        ),
    ] = None,
    start_time: Annotated[
        str | None, typer.Option("--start-time", help="First run, ISO 8601 (UTC if no offset).")
    ] = None,
    run_once: Annotated[bool, typer.Option("--run-once", help="Run once, then pause.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Activate a cycle: refused, with the reason, while it has unmet prerequisites."""
    start = moment("--start-time", start_time)

    async def work(services: Services) -> tuple[dict[str, Any], str]:
        async with services.database.transaction(read_only=True) as session:
            found = await service.locate(session=session, cycle_id=cycle_id)
        try:
            await activation_flow.activate(
                caller=_caller(services),
                account_id=found.account_id,
                cycle_id=cycle_id,
                activate_in=ActivateIn(StartTime=start, Interval=interval, RunOnce=run_once),
                now=services.clock(),
            )
        except BadRequest as exc:
            # The checks name the API's fields; here they are options.
            field, _, rest = exc.message.partition(": ")
            if field in _OPTIONS:
                exc.message = f"{_OPTIONS[field]}: {rest}"
            raise
        who = await wake_running(services)
        async with services.database.transaction(read_only=True) as session:
            out = await cycle_out(session, await service.locate(session=session, cycle_id=cycle_id))
        return out, who

    out, who = run_with_services(work)
    if json_out:
        print_json(out)
        return
    console.print(
        f"Cycle '{out['Name']}' ({out['Id']}) is {out['Status']}; {who}.",
        highlight=False,
        soft_wrap=True,
    )
