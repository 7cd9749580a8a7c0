"""``junction transactions``: list, show and replay transactions.

Replay goes through ``reports.service.replay``, as ``POST /v1.0/cycles/transactions/replay``
does: the transactions are queued again at the step where they ended, and the process that
runs transactions (``junction serve``, or ``junction worker`` with the job queue) picks
them up; this command runs none itself.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from junction.accounts import service as accounts
from junction.cli.common import console, errors, fail, print_json
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
from junction.cycles import service as cycles
from junction.engine.models import Transaction
from junction.engine.transactions import Status
from junction.reports import service
from junction.reports.schemas import MAX_REPLAY, StepDataOut, TransactionOut
from junction.services import Services

app = typer.Typer(help="Transactions: list, show, replay.", no_args_is_help=True)


def _out(row: Transaction, cycle_name: str) -> dict[str, Any]:
    return as_json(TransactionOut.build(row, cycle_name), AccountId=row.account_id)


@app.command("list")
def list_(
    account: Annotated[str | None, typer.Option("--account", help="Only this account's.")] = None,
    cycle: Annotated[str | None, typer.Option("--cycle", help="Only this cycle's.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only in this status: Queued, Running, Waiting, Completed, Errored or Stopped.",
        ),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Created at or after (ISO 8601; UTC if no offset)."),
    ] = None,
    before: Annotated[
        str | None, typer.Option("--before", help="Created before (ISO 8601; UTC if no offset).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    json_out: JsonFlag = False,
) -> None:
    """List transactions, newest first."""
    wanted = choice("--status", status, Status)
    start, end = moment("--after", after), moment("--before", before)
    if start is not None and end is not None and end <= start:
        fail("--before: must be later than --after")
    window = service.Window.of(start, end)

    async def work(services: Services) -> list[dict[str, Any]]:
        async with services.database.transaction(read_only=True) as session:
            if account is not None:
                with blame("--account"):
                    await accounts.get_account(session=session, account_id=account)
            if cycle is not None:
                with blame("--cycle"):
                    if account is None:
                        await cycles.locate(session=session, cycle_id=cycle)
                    else:
                        await cycles.get(session=session, account_id=account, cycle_id=cycle)
            query = (
                service.transactions_query(
                    account_id=account, cycle_id=cycle, window=window, status=wanted
                )
                .order_by(Transaction.created_at.desc(), Transaction.id.desc())
                .limit(limit)
            )
            rows = list(await session.scalars(query))
            names = await service.cycle_names(session=session, cycle_ids=(r.cycle_id for r in rows))
            return [_out(row, names.get(row.cycle_id, "")) for row in rows]

    rows = run_with_services(work)
    if json_out:
        print_json(rows)
        return
    table = Table(
        id_column("Id", (row["Id"] for row in rows)),
        "Account", "Cycle", "Status", "Created (UTC)", "Steps", "Errors", "Message",
        title=f"{len(rows)} transaction(s), newest first",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row["Id"],
            row["AccountId"],
            row["CycleName"],
            row["Status"],
            row["CreatedOnUtc"].replace("T", " ")[:19],
            str(row["StepCount"]),
            str(row["ErrorCount"]),
            row["Message"] or "",
        )
    console.print(table)


@app.command()
def show(
    transaction_id: Annotated[
        str, typer.Argument(help="The transaction's Id.", show_default=False)
    ],
    query: Annotated[
        str | None,
        typer.Option("--query", help="Only the steps whose data contains this (any case)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a transaction and its step data."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.database.transaction(read_only=True) as session:
            row = await service.locate_transaction(session=session, transaction_id=transaction_id)
            names = await service.cycle_names(session=session, cycle_ids=[row.cycle_id])
            steps = await service.step_data(session=session, transaction_id=row.id, query=query)
            return {
                **_out(row, names.get(row.cycle_id, "")),
                "Steps": [as_json(StepDataOut.build(step)) for step in steps],
            }

    detail = run_with_services(work)
    if json_out:
        print_json(detail)
        return
    for label, key in (
        ("Id", "Id"),
        ("Account", "AccountId"),
        ("Cycle", "CycleName"),
        ("Cycle Id", "CycleId"),
        ("Status", "Status"),
        ("Origin", "Origin"),
        ("Message", "Message"),
        ("Current step", "CurrentStepId"),
    ):
        console.print(f"{label + ':':<14}{detail[key] or ''}", highlight=False, markup=False)
    for label, key in (
        ("Created", "CreatedOnUtc"),
        ("Started", "StartedOnUtc"),
        ("Ended", "EndedOnUtc"),
    ):
        value = (detail[key] or "").replace("T", " ")[:19]
        console.print(f"{label + ':':<14}{value}", highlight=False, markup=False)
    if detail["StepDataPurged"]:
        console.print("Step data purged (retention).", highlight=False)
        return
    table = Table("#", "Step", "Status", "Attempt", "ms", "Message", title="Step data")
    for step in detail["Steps"]:
        table.add_row(
            str(step["Sequence"]),
            step["StepName"],
            step["Status"],
            str(step["Attempt"]),
            f"{step['DurationMs']:.0f}",
            step["Message"] or "",
        )
    console.print(table)


@app.command()
def replay(
    transaction_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Ids of Errored or Stopped transactions.", show_default=False),
    ] = None,
    cycle: Annotated[
        str | None,
        typer.Option(
            "--cycle", help=f"Instead of Ids: this cycle's oldest {MAX_REPLAY:,} in --status."
        ),
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="With --cycle: Errored or Stopped.")
    ] = "Errored",
    json_out: JsonFlag = False,
) -> None:
    """Queue Errored or Stopped transactions again at the step where they ended; the running
    server (or worker) runs them. Exits 1 when any could not be replayed, with the reason."""
    ids = list(transaction_ids or [])
    if bool(ids) == (cycle is not None):
        fail("give transaction Ids or --cycle, not both")
    wanted = choice("--status", status, Status)
    if wanted not in (Status.ERRORED, Status.STOPPED):
        fail(f"--status: '{status}' cannot be replayed; use Errored or Stopped")
    if len(ids) > MAX_REPLAY:
        fail(f"at most {MAX_REPLAY:,} transaction Ids at once")

    async def work(services: Services) -> tuple[service.ReplayReport, str]:
        async with services.database.transaction() as session:
            if cycle is not None:
                with blame("--cycle"):
                    found = await cycles.locate(session=session, cycle_id=cycle)
                assert wanted is not None
                some = await service.replayable_ids(
                    session=session, cycle_id=found.id, status=wanted, limit=MAX_REPLAY
                )
                report = await service.replay(
                    session=session, account_id=found.account_id, ids=some, now=services.clock()
                )
            else:
                report = await service.replay_held(session=session, ids=ids, now=services.clock())
        # After the commit: the jobs (or the poll) must find the transactions queued.
        who = await wake_running(services) if report.replayed else ""
        return report, who

    report, who = run_with_services(work)
    if json_out:
        print_json(
            {
                "Replayed": report.replayed,
                "NotReplayed": [{"Id": i, "Reason": why} for i, why in report.not_replayed],
            }
        )
    else:
        if report.replayed:
            console.print(
                f"Queued {len(report.replayed)} transaction(s) again; {who}.",
                highlight=False,
                soft_wrap=True,
            )
        elif not report.not_replayed:
            console.print("Nothing to replay.", highlight=False)
        for transaction_id, reason in report.not_replayed:
            errors.print(
                f"not replayed: {transaction_id}: {reason}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if report.not_replayed:
        raise typer.Exit(1)
