"""Cyclr-style list paging: ``page`` (from 1), ``pageSize``, ``orderBy``, ``sortOrderAsc``.

Totals go in the ``Total-Records`` and ``Total-Pages`` response headers; a page past the
end is an empty list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Response
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from junction.bounds import INT32_MAX
from junction.errors import BadRequest

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
# Past it the row offset would overflow the databases' 64-bit OFFSET; any page this far
# is past the end anyway, but an explicit limit names the parameter instead of failing.
MAX_PAGE = INT32_MAX


@dataclass(frozen=True)
class PageRequest:
    page: int
    page_size: int
    order_by: str | None
    ascending: bool


async def page_request(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    pageSize: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    ] = DEFAULT_PAGE_SIZE,
    orderBy: Annotated[str | None, Query(description="Field to sort by.")] = None,
    sortOrderAsc: Annotated[bool, Query(description="Ascending when true.")] = True,
) -> PageRequest:
    return PageRequest(page, pageSize, orderBy, sortOrderAsc)


async def fetch_page(
    *,
    session: AsyncSession,
    query: Select[Any],
    request: PageRequest,
    sortable: dict[str, InstrumentedAttribute[Any]],
    default_order: str,
    tiebreak: InstrumentedAttribute[Any],
    response: Response,
) -> list[Any]:
    order_name = request.order_by or default_order
    column = next(
        (col for name, col in sortable.items() if name.lower() == order_name.lower()), None
    )
    if column is None:
        raise BadRequest(
            f"orderBy: '{order_name}' is not sortable; use one of {', '.join(sorted(sortable))}"
        )
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    total = total or 0
    direction = column.asc() if request.ascending else column.desc()
    tie = tiebreak.asc() if request.ascending else tiebreak.desc()
    rows = await session.scalars(
        query.order_by(direction, tie)
        .limit(request.page_size)
        .offset((request.page - 1) * request.page_size)
    )
    response.headers["Total-Records"] = str(total)
    response.headers["Total-Pages"] = str(math.ceil(total / request.page_size))
    return list(rows)
