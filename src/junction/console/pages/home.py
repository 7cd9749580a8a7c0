"""The overview: what the installation holds and what happened in the last day."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from junction.console import overview
from junction.console.web import NavItem, SignedIn, page_router, render

router = page_router()
NAV = NavItem("Overview", "/console", 0)


@router.get("")
async def home(request: Request, staff: SignedIn) -> Response:
    context = staff.context
    async with context.database.transaction(read_only=True) as session:
        found = await overview.overview(
            session=session,
            now=context.clock(),
            error_limit=context.settings.consecutive_error_limit,
        )
    return render(
        request,
        "home.html",
        title="Overview",
        staff=staff,
        overview=found,
        chart=overview.chart(found.hours),
        statuses=overview.STATUSES,
        waited=overview.waited,
    )
