"""The audit log: every change made through the console, newest first."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from junction.audit import service as audit
from junction.console.web import NavItem, SignedIn, page_router, render

router = page_router()
NAV = NavItem("Audit log", "/console/audit", 95)
PAGE_SIZE = 100


@router.get("/audit")
async def audit_page(
    request: Request, staff: SignedIn, actor: str = "", kind: str = "", target: str = ""
) -> Response:
    query = audit.entries_query(
        actor=actor or None, target_kind=kind or None, target_id=target or None
    )
    async with staff.context.database.transaction(read_only=True) as session:
        entries = await audit.newest(session=session, query=query, limit=PAGE_SIZE)
    return render(
        request,
        "audit.html",
        title="Audit log",
        staff=staff,
        entries=entries,
        filters={"actor": actor, "kind": kind, "target": target},
        page_size=PAGE_SIZE,
    )
