"""Account-level report routes: transactions, step data, incidents, and replay.

Mounted before the cycles router: ``/cycles/transactions`` and ``/cycles/incidents/...``
must not be taken for a cycle's Id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import Select

from junction.api.context import Context, Session, WakeAfterCommit
from junction.api.ids import GuidId
from junction.api.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PageRequest,
    fetch_page,
)
from junction.auth.identity import AccountContext, CurrentAccount
from junction.cycles import service as cycles
from junction.cycles.models import Cycle
from junction.engine.models import Transaction
from junction.engine.transactions import Status
from junction.errors import BadRequest, Conflict, NotFound
from junction.reports import service
from junction.reports.schemas import (
    MAX_REPLAY,
    IncidentOut,
    NotReplayedOut,
    ReplayIn,
    ReplayOut,
    ReportDate,
    StatusFilter,
    StepDataOut,
    TransactionOut,
)

router = APIRouter(tags=["Reports"])


async def newest_first(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    pageSize: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    ] = DEFAULT_PAGE_SIZE,
    orderBy: Annotated[str | None, Query(description="Field to sort by: CreatedOnUtc.")] = None,
    sortOrderAsc: Annotated[
        bool, Query(description="Oldest first when true; newest first by default.")
    ] = False,
) -> PageRequest:
    return PageRequest(page, pageSize, orderBy, sortOrderAsc)


Paging = Annotated[PageRequest, Depends(newest_first)]


async def window(
    after: Annotated[
        ReportDate | None,
        Query(
            description="Created at or after (ISO 8601, or US month/day/year; UTC if no offset)."
        ),
    ] = None,
    before: Annotated[ReportDate | None, Query(description="Created before (as after).")] = None,
) -> service.Window:
    return service.Window.of(after, before)


Window = Annotated[service.Window, Depends(window)]


async def _transactions(
    session: Session,
    response: Response,
    paging: PageRequest,
    query: Select[Any],
    cycle_names: dict[str, str] | None = None,
) -> list[TransactionOut]:
    rows: list[Transaction] = await fetch_page(
        session=session,
        query=query,
        request=paging,
        sortable=service.TRANSACTION_SORTABLE,
        default_order="CreatedOnUtc",
        tiebreak=service.TRANSACTION_TIEBREAK,
        response=response,
    )
    names = cycle_names or await service.cycle_names(
        session=session, cycle_ids=(row.cycle_id for row in rows)
    )
    return [TransactionOut.build(row, names.get(row.cycle_id, "")) for row in rows]


async def _incidents(
    session: Session, response: Response, paging: PageRequest, query: Select[Any]
) -> list[IncidentOut]:
    rows = await fetch_page(
        session=session,
        query=query,
        request=paging,
        sortable=service.INCIDENT_SORTABLE,
        default_order="CreatedOnUtc",
        tiebreak=service.INCIDENT_TIEBREAK,
        response=response,
    )
    names = await service.cycle_names(session=session, cycle_ids=(row.cycle_id for row in rows))
    return [IncidentOut.build(row, names.get(row.cycle_id, "")) for row in rows]


def _replay_out(report: service.ReplayReport) -> ReplayOut:
    return ReplayOut(
        Replayed=report.replayed,
        NotReplayed=[NotReplayedOut(Id=i, Reason=reason) for i, reason in report.not_replayed],
    )


async def _cycle(session: Session, account: AccountContext, cycle_id: GuidId) -> Cycle:
    return await cycles.get(session=session, account_id=account.account_id, cycle_id=cycle_id)


@router.get(
    "/cycles/transactions",
    response_model=list[TransactionOut],
    summary="List the account's transactions",
    description="Every cycle of the account, newest first; `after`/`before` filter on the "
    "created time, `status` on one of Queued, Running, Waiting, Completed, Errored, Stopped "
    "(any letter case).",
)
async def list_account_transactions(
    account: CurrentAccount,
    session: Session,
    paging: Paging,
    window: Window,
    response: Response,
    status: StatusFilter | None = None,
) -> list[TransactionOut]:
    query = service.transactions_query(
        account_id=account.account_id, cycle_id=None, window=window, status=status
    )
    return await _transactions(session, response, paging, query)


@router.post(
    "/cycles/transactions/replay",
    response_model=ReplayOut,
    summary="Replay transactions (Junction extension)",
    description="Junction extension. Queues Errored or Stopped transactions again at the step "
    f'where they ended: `{{"TransactionIds": [...]}}`, or `{{"CycleId", "Status"}}` for '
    f"the cycle's oldest {MAX_REPLAY:,} Errored (default) or Stopped ones. Answers which were "
    "replayed and, for the others, why not.",
)
async def replay_transactions(
    replay_in: ReplayIn,
    account: CurrentAccount,
    session: Session,
    context: Context,
    wake: WakeAfterCommit,
) -> ReplayOut:
    if replay_in.CycleId is not None:
        try:
            cycle_id = (await _cycle(session, account, replay_in.CycleId)).id
        except NotFound as exc:
            # An Id in the body, not the path: bad input, and another account's cycle gets
            # the same answer as one that exists nowhere.
            raise BadRequest(f"CycleId: {exc.message}") from None
        ids = await service.replayable_ids(
            session=session, cycle_id=cycle_id, status=Status(replay_in.Status), limit=MAX_REPLAY
        )
    else:
        ids = replay_in.TransactionIds or []
    report = await service.replay(
        session=session, account_id=account.account_id, ids=ids, now=context.clock()
    )
    if report.replayed:
        # The engine polls as well; this only spares it the wait.
        wake()
    return _replay_out(report)


@router.get(
    "/cycles/incidents/{level}",
    response_model=list[IncidentOut],
    summary="List the account's incidents of one level",
    description="`level` is `error` or `warning`; every cycle of the account, newest first.",
)
async def list_account_incidents(
    level: str,
    account: CurrentAccount,
    session: Session,
    paging: Paging,
    window: Window,
    response: Response,
) -> list[IncidentOut]:
    query = service.incidents_query(
        account_id=account.account_id,
        cycle_id=None,
        level=service.parse_level(level),
        window=window,
    )
    return await _incidents(session, response, paging, query)


@router.get(
    "/cycles/{cycle_id}/transactions",
    response_model=list[TransactionOut],
    summary="List a cycle's transactions",
    description="Newest first; the filters of GET /v1.0/cycles/transactions.",
)
async def list_cycle_transactions(
    cycle_id: GuidId,
    account: CurrentAccount,
    session: Session,
    paging: Paging,
    window: Window,
    response: Response,
    status: StatusFilter | None = None,
) -> list[TransactionOut]:
    cycle = await _cycle(session, account, cycle_id)
    query = service.transactions_query(
        account_id=account.account_id, cycle_id=cycle.id, window=window, status=status
    )
    return await _transactions(session, response, paging, query, {cycle.id: cycle.name})


@router.get(
    "/cycles/{cycle_id}/transactions/{transaction_id}",
    response_model=list[StepDataOut],
    summary="Get a transaction's step data",
    description="The step data in order, as an array as Cyclr answers it (empty once purged "
    "by retention); with `query`, only the steps whose exchanges, output or message contain "
    "the text (case-insensitive). The transaction itself: GET .../summary.",
)
async def get_transaction(
    cycle_id: GuidId,
    transaction_id: GuidId,
    account: CurrentAccount,
    session: Session,
    query: Annotated[str | None, Query(max_length=500)] = None,
) -> list[StepDataOut]:
    cycle = await _cycle(session, account, cycle_id)
    row = await service.get_transaction(
        session=session,
        account_id=account.account_id,
        cycle_id=cycle.id,
        transaction_id=transaction_id,
    )
    steps = await service.step_data(session=session, transaction_id=row.id, query=query)
    return [StepDataOut.build(step) for step in steps]


@router.get(
    "/cycles/{cycle_id}/transactions/{transaction_id}/summary",
    response_model=TransactionOut,
    summary="Get a transaction (Junction extension)",
    description="Junction extension. The transaction as the transaction lists show it "
    "(status, origin, counts, message), without its step data.",
)
async def get_transaction_summary(
    cycle_id: GuidId, transaction_id: GuidId, account: CurrentAccount, session: Session
) -> TransactionOut:
    cycle = await _cycle(session, account, cycle_id)
    row = await service.get_transaction(
        session=session,
        account_id=account.account_id,
        cycle_id=cycle.id,
        transaction_id=transaction_id,
    )
    return TransactionOut.build(row, cycle.name)


@router.post(
    "/cycles/{cycle_id}/transactions/{transaction_id}/replay",
    response_model=TransactionOut,
    summary="Replay a transaction (Junction extension)",
    description="Junction extension. Queues an Errored or Stopped transaction again at the "
    "step where it ended and answers it. 409, with the reason, when it completed, is still "
    "in progress or its step data was purged.",
)
async def replay_transaction(
    cycle_id: GuidId,
    transaction_id: GuidId,
    account: CurrentAccount,
    session: Session,
    context: Context,
    wake: WakeAfterCommit,
) -> TransactionOut:
    cycle = await _cycle(session, account, cycle_id)
    row = await service.get_transaction(
        session=session,
        account_id=account.account_id,
        cycle_id=cycle.id,
        transaction_id=transaction_id,
    )
    report = await service.replay(
        session=session, account_id=account.account_id, ids=[row.id], now=context.clock()
    )
    if report.not_replayed:
        raise Conflict(f"Transaction '{row.id}' cannot be replayed: {report.not_replayed[0][1]}")
    wake()
    row = await service.get_transaction(
        session=session,
        account_id=account.account_id,
        cycle_id=cycle.id,
        transaction_id=transaction_id,
    )
    return TransactionOut.build(row, cycle.name)


@router.get(
    "/cycles/{cycle_id}/incidents",
    response_model=list[IncidentOut],
    summary="List a cycle's incidents",
    description="Both levels, newest first; `level` (Error or Warning) keeps one.",
)
async def list_cycle_incidents(
    cycle_id: GuidId,
    account: CurrentAccount,
    session: Session,
    paging: Paging,
    window: Window,
    response: Response,
    level: str | None = None,
) -> list[IncidentOut]:
    found = (await _cycle(session, account, cycle_id)).id
    query = service.incidents_query(
        account_id=account.account_id,
        cycle_id=found,
        level=service.parse_level(level) if level is not None else None,
        window=window,
    )
    return await _incidents(session, response, paging, query)


@router.delete(
    "/cycles/{cycle_id}/incidents",
    summary="Delete a cycle's incidents",
    description='Answers `{"Message", "Deleted"}`; the transactions are not changed.',
)
async def delete_cycle_incidents(
    cycle_id: GuidId, account: CurrentAccount, session: Session
) -> Any:
    found = (await _cycle(session, account, cycle_id)).id
    deleted = await service.delete_incidents(session=session, cycle_id=found)
    return {"Message": f"{deleted} incident(s) deleted.", "Deleted": deleted}
