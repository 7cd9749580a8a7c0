"""Runs: every account's transactions and incidents, one transaction's step data, and
replaying ended transactions.

Reading and replaying go through ``junction.reports.service``, as the API does; a replay
is confirmed on a page of its own first, recorded in the audit log in the transaction that
queues it, and the dispatcher is woken once that has committed.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from junction.console import runs_view as view
from junction.console.web import Changes, NavItem, SignedIn, Staff, back_to, page_router, render
from junction.embed.browser import PageError
from junction.engine.models import Incident, Transaction
from junction.engine.transactions import Status
from junction.errors import NotFound
from junction.reports import service
from junction.reports.schemas import MAX_REPLAY

router = page_router()
NAV = NavItem("Runs", "/console/runs", 30)

TRANSACTION_FILTERS = ("account", "cycle", "status", "after", "before")
INCIDENT_FILTERS = ("account", "cycle", "level", "after", "before")
# A confirmation page lists what it will replay: enough for a screenful of ticks.
MAX_SELECTED = 500


def _typed(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in names}


@router.get("/runs")
async def runs_page(
    request: Request, staff: SignedIn, older: str = "", newer: str = "", notice: str = ""
) -> Response:
    filters = view.read_filters(_typed(request, TRANSACTION_FILTERS))
    page = view.Page([], None, None)
    names: dict[str, str] = {}
    async with staff.context.database.transaction(read_only=True) as session:
        await view.check_holders(session=session, filters=filters)
        if not filters.errors:
            query = service.transactions_query(
                account_id=filters.value("account"),
                cycle_id=filters.value("cycle"),
                window=filters.window,
                status=filters.status,
            )
            page = await view.newest_first(
                session=session, query=query, table=Transaction, older=older, newer=newer
            )
            names = await service.cycle_names(
                session=session, cycle_ids=(row.cycle_id for row in page.rows)
            )
    return render(
        request,
        "runs.html",
        status_code=400 if filters.errors else 200,
        title="Runs",
        staff=staff,
        tab="transactions",
        filters=filters,
        errors=filters.errors,
        page=page,
        names=names,
        statuses=view.STATUSES,
        view=view,
        now=staff.context.clock(),
        notice=notice,
    )


@router.get("/runs/incidents")
async def incidents_page(
    request: Request, staff: SignedIn, older: str = "", newer: str = ""
) -> Response:
    filters = view.read_filters(_typed(request, INCIDENT_FILTERS))
    page = view.Page([], None, None)
    names: dict[str, str] = {}
    async with staff.context.database.transaction(read_only=True) as session:
        await view.check_holders(session=session, filters=filters)
        if not filters.errors:
            query = service.incidents_query(
                account_id=filters.value("account"),
                cycle_id=filters.value("cycle"),
                level=filters.level,
                window=filters.window,
            )
            page = await view.newest_first(
                session=session, query=query, table=Incident, older=older, newer=newer
            )
            names = await service.cycle_names(
                session=session, cycle_ids=(row.cycle_id for row in page.rows)
            )
    return render(
        request,
        "runs_incidents.html",
        status_code=400 if filters.errors else 200,
        title="Incidents",
        staff=staff,
        tab="incidents",
        filters=filters,
        errors=filters.errors,
        page=page,
        names=names,
        levels=view.LEVELS,
        view=view,
    )


# Replay: a page that says what will be replayed, then the change.


def _replayer(staff: Staff) -> None:
    if not staff.admin:
        raise PageError("Not allowed", "A viewer can look at everything but change nothing.", 403)


async def _chosen(
    staff: Staff, ids: list[str]
) -> tuple[list[Transaction], list[str], dict[str, str]]:
    """The chosen transactions in the order chosen, the Ids no transaction has, and the
    cycles' names."""
    async with staff.context.database.transaction(read_only=True) as session:
        found = {
            row.id: row
            for row in await session.scalars(select(Transaction).where(Transaction.id.in_(ids)))
        }
        names = await service.cycle_names(
            session=session, cycle_ids=(row.cycle_id for row in found.values())
        )
    return [found[i] for i in ids if i in found], [i for i in ids if i not in found], names


@router.get("/runs/replay")
async def replay_confirm(request: Request, staff: SignedIn) -> Response:
    _replayer(staff)
    ids = view.selected(request.query_params.getlist("id"), MAX_SELECTED)
    if not ids:
        return back_to("/console/runs", "Tick the transactions to replay first.")
    rows, unknown, names = await _chosen(staff, ids)
    return render(
        request,
        "runs_replay.html",
        title="Replay transactions",
        staff=staff,
        rows=rows,
        unknown=unknown,
        names=names,
        view=view,
    )


@router.post("/runs/replay")
async def replay(request: Request, staff: Changes) -> Response:
    form = await request.form()
    ids = view.selected([str(value) for value in form.getlist("id")], MAX_REPLAY)
    if not ids:
        return back_to("/console/runs", "Nothing was chosen, so nothing was replayed.")
    now = staff.context.clock()
    async with staff.context.database.transaction() as session:
        rows = await session.execute(
            select(Transaction.id, Transaction.status).where(Transaction.id.in_(ids))
        )
        before = {row.id: row.status for row in rows}
        report = await service.replay_held(session=session, ids=ids, now=now)
        for transaction_id in report.replayed:
            staff.audit(
                session,
                "transaction.replay",
                "transaction",
                transaction_id,
                before={"Status": before.get(transaction_id)},
                after={"Status": Status.QUEUED.value},
                now=now,
            )
    if report.replayed:
        # After the commit, as the API's WakeAfterCommit: woken earlier, the dispatcher
        # could look for the work before it is there (it polls as well).
        staff.context.dispatcher.wake()
    if len(ids) == 1 and report.replayed:
        return back_to(f"/console/runs/{ids[0]}", "Transaction queued again.")
    return render(
        request,
        "runs_replay.html",
        title="Replayed",
        staff=staff,
        report=report,
        view=view,
    )


# One transaction.


async def _transaction(staff: Staff, transaction_id: str) -> dict[str, Any]:
    async with staff.context.database.transaction(read_only=True) as session:
        try:
            row = await service.locate_transaction(session=session, transaction_id=transaction_id)
        except NotFound as exc:
            raise PageError("Not found", exc.message, 404) from None
        names = await service.cycle_names(session=session, cycle_ids=[row.cycle_id])
        steps = await service.step_data(session=session, transaction_id=row.id)
    return {"row": row, "cycle_name": names.get(row.cycle_id, ""), "steps": steps}


@router.get("/runs/{transaction_id}")
async def transaction_page(
    request: Request, staff: SignedIn, transaction_id: str, notice: str = ""
) -> Response:
    shown = await _transaction(staff, transaction_id)
    row = shown["row"]
    return render(
        request,
        "runs_transaction.html",
        title=f"Transaction {row.id}",
        staff=staff,
        view=view,
        now=staff.context.clock(),
        notice=notice,
        **shown,
    )


@router.get("/runs/{transaction_id}/state")
async def transaction_state(staff: SignedIn, transaction_id: str) -> Response:
    """What the page's script polls while the transaction runs."""
    async with staff.context.database.transaction(read_only=True) as session:
        try:
            row = await service.locate_transaction(session=session, transaction_id=transaction_id)
        except NotFound as exc:
            return JSONResponse({"Message": exc.message}, status_code=404)
    return JSONResponse(
        {
            "Id": row.id,
            "Status": row.status,
            "StepCount": row.steps_run,
            "Final": view.is_final(row.status),
        },
        headers={"Cache-Control": "no-store"},
    )
