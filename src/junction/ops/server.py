"""The small HTTP server of ``junction worker``: ``/healthz``, ``/readyz`` and ``/metrics``
of the worker process itself (its counters are its own, see ``junction.metrics``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from junction.api.errors import install_error_handlers
from junction.api.middleware import SecurityHeadersMiddleware
from junction.ops import router as ops
from junction.services import Services


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The worker owns SIGTERM and SIGINT (a graceful stop), and stops this server after.
        yield


def ops_app(services: Services) -> FastAPI:
    app = FastAPI(title="Junction worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(ops.router)
    return app


def ops_server(services: Services, *, host: str, port: int) -> uvicorn.Server:
    """A server to ``await server.serve()`` beside the worker; ``server.should_exit = True``
    stops it."""
    config = uvicorn.Config(
        ops_app(services),
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        log_level=services.settings.log_level,
        access_log=False,
    )
    return _Server(config)
