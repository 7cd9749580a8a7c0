"""``create_app(settings)``: the ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from junction import __version__
from junction.api.context import AppContext
from junction.api.docs import mount_docs
from junction.api.errors import install_error_handlers
from junction.api.home import mount_home
from junction.api.middleware import SecurityHeadersMiddleware
from junction.api.routes import API_PREFIX, mount_routes
from junction.auth.identity import BearerAuthMiddleware
from junction.auth.throttle import FailureThrottle
from junction.clock import Clock, system_clock
from junction.connectors.calls.oauth import OAuthEnvironment, RefreshLocks
from junction.connectors.runtime import Runtime, RuntimeSettings
from junction.db.engine import Database
from junction.dispatch.wiring import build_dispatcher
from junction.scripting.sandbox import limits_from
from junction.security.address_guard import AddressGuard
from junction.security.keyring import Keyring, load_keyring
from junction.settings import Settings
from junction.utilities import builtin

DESCRIPTION = """\
Junction's REST API, compatible with Cyclr's v1.0 API.

Get a token from `POST /oauth/token` with your client ID and secret
(`grant_type=client_credentials`), then send `Authorization: Bearer {token}`.
Account-level methods also need `X-Cyclr-Account: {AccountId}`.
Methods marked *Junction extension* are not part of Cyclr's API.
"""


def build_context(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    keyring: Keyring | None = None,
    database: Database | None = None,
) -> AppContext:
    """What a process holds: database, keyring, connector runtime, OAuth environment."""
    keyring = keyring if keyring is not None else load_keyring(settings)
    database = database if database is not None else Database(settings.resolved_database_url)
    guard = AddressGuard(
        allow_loopback=settings.outbound_allow_loopback,
        allow_private=settings.outbound_allow_private,
    )
    return AppContext(
        settings=settings,
        clock=clock,
        keyring=keyring,
        database=database,
        throttle=FailureThrottle(
            limit=settings.token_failure_limit, window=settings.token_failure_window, clock=clock
        ),
        runtime=Runtime(
            RuntimeSettings(
                allow_loopback=settings.outbound_allow_loopback,
                allow_private=settings.outbound_allow_private,
                script_limits=limits_from(
                    settings.script_time_limit_seconds, settings.script_memory_limit_mb
                ),
            ),
            wall_clock=clock,
        ),
        oauth=OAuthEnvironment(
            database=database,
            keyring=keyring,
            clock=clock,
            guard=guard,
            locks=RefreshLocks(),
            public_base_url=settings.public_base_url,
            script_limits=limits_from(
                settings.script_time_limit_seconds, settings.script_memory_limit_mb
            ),
        ),
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    keyring: Keyring | None = None,
    database: Database | None = None,
) -> FastAPI:
    """Build the application. Migrations are the caller's job (``junction serve`` runs them).

    With ``settings.demo`` the demo apps are mounted under ``/demo/`` and, once the server
    answers, the demo data is created through the API (``junction.demo``); the demo's
    connectors call this same server, so loopback calls are allowed then.
    """
    if settings.demo and not settings.outbound_allow_loopback:
        settings = settings.model_copy(update={"outbound_allow_loopback": True})
    context = build_context(settings, clock=clock, keyring=keyring, database=database)
    keyring, database = context.keyring, context.database
    dispatcher = build_dispatcher(context) if settings.engine_enabled else None
    demo = None
    if settings.demo:
        from junction.demo import Demo

        demo = Demo(settings, database=database, keyring=keyring, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await builtin.register(database=context.database, now=context.clock())
            if dispatcher is not None:
                await dispatcher.start()
            if demo is not None:
                await demo.start()
            yield
        finally:
            if demo is not None:
                await demo.stop()
            if dispatcher is not None:
                await dispatcher.stop()
            await context.runtime.close()
            await context.database.dispose()

    app = FastAPI(
        title="Junction",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.context = context
    app.state.dispatcher = dispatcher
    app.state.demo = demo
    # Added last = outermost: the headers middleware also covers the auth middleware's 401s.
    app.add_middleware(BearerAuthMiddleware, prefix=API_PREFIX)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    mount_routes(app)
    mount_docs(app)
    mount_home(app)
    if demo is not None:
        demo.mount(app)
    return app
