"""Partner route: the audit log of changes made through the console, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from junction.api.context import Session
from junction.api.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, PageRequest, fetch_page
from junction.audit import service
from junction.audit.models import AuditEntry
from junction.audit.schemas import AuditEntryOut
from junction.bounds import Instant

router = APIRouter(tags=["Audit"])

SORTABLE = {"CreatedOnUtc": AuditEntry.id, "Id": AuditEntry.id}


async def _newest_first(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    pageSize: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    ] = DEFAULT_PAGE_SIZE,
    sortOrderAsc: Annotated[
        bool, Query(description="Oldest first when true; newest first by default.")
    ] = False,
) -> PageRequest:
    return PageRequest(page, pageSize, None, sortOrderAsc)


@router.get(
    "/audit",
    response_model=list[AuditEntryOut],
    summary="Read the audit log",
    description="Every change made through the console: who (`Actor`), when, what "
    "(`Action`, `TargetKind`, `TargetId`) and the state before and after, secrets hidden. "
    "Filters: `actor`, `targetKind`, `targetId`, `after`, `before`.",
)
async def list_audit_entries(
    session: Session,
    response: Response,
    paging: Annotated[PageRequest, Depends(_newest_first)],
    actor: str | None = None,
    targetKind: str | None = None,
    targetId: str | None = None,
    after: Annotated[Instant | None, Query(description="At or after (ISO 8601).")] = None,
    before: Annotated[Instant | None, Query(description="Before (ISO 8601).")] = None,
) -> list[AuditEntryOut]:
    query = service.entries_query(
        actor=actor, target_kind=targetKind, target_id=targetId, since=after, until=before
    )
    rows: list[AuditEntry] = await fetch_page(
        session=session,
        query=query,
        request=paging,
        sortable=SORTABLE,
        default_order="Id",
        tiebreak=AuditEntry.id,
        response=response,
    )
    return [AuditEntryOut.build(row) for row in rows]
