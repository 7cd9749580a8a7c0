"""What a running application holds, and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from junction.auth.throttle import FailureThrottle
from junction.clock import Clock
from junction.connectors.calls.oauth import OAuthEnvironment
from junction.connectors.runtime import Runtime
from junction.db.engine import Database
from junction.engine.plans import PlanCache
from junction.engine.runner import Engine
from junction.security.keyring import Keyring
from junction.settings import Settings
from junction.webhooks.intake import Intake
from junction.webhooks.scripts import WebhookScripts


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    keyring: Keyring
    database: Database
    throttle: FailureThrottle
    runtime: Runtime
    oauth: OAuthEnvironment
    # Compiled cycles, shared by webhook intake and the engine.
    plans: PlanCache = field(default_factory=PlanCache)
    # Stores webhook calls, in groups under load.
    intake: Intake = field(init=False)
    webhook_scripts: WebhookScripts = field(init=False)
    # The engine, when this process runs cycles (JUNCTION_ENGINE_ENABLED).
    engine: Engine | None = None
    # Tells the engine that new work is due now (a no-op when the engine is off).
    wake: Callable[[], None] = field(default=lambda: None)
    # The same for one new transaction (transaction id, account id), which a job queue
    # can dispatch without looking for it.
    woken_for: Callable[[str, str], None] = field(default=lambda _t, _a: None)

    def __post_init__(self) -> None:
        self.intake = Intake(database=self.database, plans=self.plans, clock=self.clock)
        self.webhook_scripts = WebhookScripts(database=self.database, plans=self.plans)


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


async def _context_dependency(request: Request) -> AppContext:
    # async: FastAPI runs a plain-function dependency in a thread pool, a hop per request.
    return get_context(request)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database transaction per request, committed before the response is sent.

    GET requests never write, so they get a read-only transaction.
    """
    read_only = request.method in SAFE_METHODS
    async with get_context(request).database.transaction(read_only=read_only) as session:
        yield session


Context = Annotated[AppContext, Depends(_context_dependency)]


async def _wake_after_commit(request: Request, background: BackgroundTasks) -> Callable[[], None]:
    """Tell the engine about new work once the request's transaction has committed
    (background tasks run after the response, which follows the commit): a wake-up
    before it could look for the work and not see it yet."""
    context = get_context(request)
    return lambda: background.add_task(context.wake)


WakeAfterCommit = Annotated[Callable[[], None], Depends(_wake_after_commit)]
# scope="function": the commit happens before the response leaves, so a failed commit is
# reported to the caller instead of following a success it already received.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
