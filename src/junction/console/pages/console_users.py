"""Console users: who can sign in, and adding one (administrators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from junction.console import users
from junction.console.web import (
    Changes,
    NavItem,
    SignedIn,
    Staff,
    back_to,
    field_errors,
    page_router,
    render,
)
from junction.errors import BadRequest

router = page_router()
NAV = NavItem("Users", "/console/users", 90)


async def _page(
    request: Request,
    staff: Staff,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        listed = await users.users(session=session)
    return render(
        request,
        "users.html",
        status_code=status_code,
        title="Console users",
        staff=staff,
        users=listed,
        roles=users.ROLES,
        notice=notice,
        errors=errors or {},
        values=values or {},
    )


@router.get("/users")
async def users_page(request: Request, staff: SignedIn, notice: str = "") -> Response:
    return await _page(request, staff, notice=notice)


@router.post("/users")
async def create_user(
    request: Request,
    staff: Changes,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = users.VIEWER,
) -> Response:
    try:
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            created = await users.create_user(
                session=session, username=username, password=password, role=role, now=now
            )
            staff.audit(
                session,
                "console-user.create",
                "console-user",
                created.username,
                after={"Username": created.username, "Role": created.role},
                now=now,
            )
    except BadRequest as exc:
        # Shown beside the field it names; nothing was stored.
        return await _page(
            request,
            staff,
            status_code=400,
            errors=field_errors(exc),
            values={"username": username, "role": role},
        )
    return back_to("/console/users", f"{created.username} can sign in now.")
