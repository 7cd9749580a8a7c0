"""The FastAPI dependencies that hand out the process's services and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from junction.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _services_dependency(request: Request) -> Services:
    # async: FastAPI runs a plain-function dependency in a thread pool, a hop per request.
    return get_services(request)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database transaction per request, committed before the response is sent.

    GET requests never write, so they get a read-only transaction.
    """
    read_only = request.method in SAFE_METHODS
    async with get_services(request).database.transaction(read_only=read_only) as session:
        yield session


Context = Annotated[Services, Depends(_services_dependency)]


async def _wake_after_commit(request: Request, background: BackgroundTasks) -> Callable[[], None]:
    """Tell the dispatcher about new work once the request's transaction has committed
    (background tasks run after the response, which follows the commit): a wake-up
    before it could look for the work and not see it yet."""
    dispatcher = get_services(request).dispatcher
    return lambda: background.add_task(dispatcher.wake)


WakeAfterCommit = Annotated[Callable[[], None], Depends(_wake_after_commit)]
# scope="function": the commit happens before the response leaves, so a failed commit is
# reported to the caller instead of following a success it already received.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
