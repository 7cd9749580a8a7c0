"""``create_app(settings)``: the ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from junction import __version__
from junction.api.docs import mount_docs
from junction.api.errors import install_error_handlers
from junction.api.home import mount_home
from junction.api.middleware import (
    BodyLimitMiddleware,
    ForwardedHeadersMiddleware,
    SecurityHeadersMiddleware,
    TrailingSlashMiddleware,
)
from junction.api.openapi import install_openapi
from junction.api.route_guard import guard_included_routers
from junction.api.routes import API_PREFIX, mount_routes
from junction.auth.identity import BearerAuthMiddleware
from junction.connectors.catalog.documents import MAX_OPENAPI_BYTES
from junction.embed.mount import mount_pages
from junction.services import Services
from junction.utilities import builtin

DESCRIPTION = """\
Junction's REST API, compatible with Cyclr's v1.0 API.

Get a token from `POST /oauth/token` with your client ID and secret
(`grant_type=client_credentials`), then send `Authorization: Bearer {token}`.
Account-level methods also need `X-Cyclr-Account: {AccountId}`.
Methods marked *Junction extension* are not part of Cyclr's API.
"""


def create_app(services: Services) -> FastAPI:
    """The application of a ``junction serve`` process built from ``services``.

    Migrations are the caller's job (``junction serve`` runs them). The lifespan starts
    the dispatcher (and, with ``settings.demo``, the demo: demo data kept from an earlier
    start is first pointed at this server's address, then, once the server answers, any
    missing data is created through the API) and closes the services.
    """
    demo = None
    if services.settings.demo:
        from junction.demo import Demo

        demo = Demo(
            services.settings,
            database=services.database,
            keyring=services.keyring,
            clock=services.clock,
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await builtin.register(
                database=services.database,
                now=services.clock(),
                library_connectors=services.settings.library_connectors,
            )
            if demo is not None:
                await demo.prepare()
            await services.dispatcher.start()
            if demo is not None:
                await demo.start()
            yield
        finally:
            if demo is not None:
                await demo.stop()
            await services.dispatcher.stop()
            await services.close()

    app = FastAPI(
        title="Junction",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.services = services
    app.state.demo = demo
    # Added last = outermost: the headers middleware also covers the auth middleware's 401s,
    # and the body limits apply only once the caller is authenticated.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=services.settings.api_max_bytes,
        max_depth=services.settings.json_max_depth,
        exempt="/api/webhook/",
        larger={f"{API_PREFIX}/connectors/import/openapi": MAX_OPENAPI_BYTES},
    )
    app.add_middleware(BearerAuthMiddleware, prefix=API_PREFIX)
    app.add_middleware(SecurityHeadersMiddleware)
    # Outside the layers that go by the path (the token check, the body limits), so that
    # they see the path that will be served.
    app.add_middleware(TrailingSlashMiddleware, router=app.router)
    # Outermost: every layer inside sees the client address a trusted proxy reported.
    app.add_middleware(ForwardedHeadersMiddleware, trusted=services.settings.forwarded_allow_ips)
    if services.settings.cors_origins:
        # Outside even that: a browser's preflight (OPTIONS, no token) is answered here.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=services.settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Cyclr-Account"],
            expose_headers=["Total-Pages", "Total-Records", "Retry-After"],
            max_age=600,
        )
    install_error_handlers(app)
    mount_routes(app)
    mount_pages(app)
    mount_docs(app)
    install_openapi(app)
    mount_home(app)
    if demo is not None:
        demo.mount(app)
    # Last: it reads the routes every router holds by now.
    guard_included_routers(app)
    return app
