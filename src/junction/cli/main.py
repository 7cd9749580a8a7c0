"""Entry point of the ``junction`` command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from junction import __version__
from junction.cli import (
    accounts,
    connectors,
    console_users,
    credentials,
    cycles,
    imports,
    keys,
    templates,
    tokens,
    transactions,
)
from junction.cli.common import console, fail, load_settings, prepare_database
from junction.errors import JunctionError
from junction.security.keyring import load_keyring

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from junction.services import Services

# How long `junction serve` keeps an idle HTTP connection open (see serve below).
KEEP_ALIVE_SECONDS = 75

app = typer.Typer(
    help="Junction: a self-hosted embedded integration platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(credentials.app, name="credentials")
app.add_typer(tokens.app, name="tokens")
app.add_typer(keys.app, name="keys")
app.add_typer(connectors.app, name="connectors")
app.add_typer(templates.app, name="templates")
app.add_typer(accounts.app, name="accounts")
app.add_typer(cycles.app, name="cycles")
app.add_typer(transactions.app, name="transactions")
app.add_typer(console_users.app, name="console-users")
app.add_typer(imports.app, name="import")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (JUNCTION_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (JUNCTION_PORT).")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve the demo apps and create the demo account, templates and cycles "
            "(JUNCTION_DEMO).",
        ),
    ] = False,
) -> None:
    """Apply migrations, then serve the API."""
    import uvicorn

    from junction.api.app import create_app
    from junction.services import build_services

    settings = load_settings()
    if demo or settings.demo:
        settings.demo = True
        if "public_base_url" not in settings.model_fields_set:
            # The demo connectors call this server: at the address it really listens on.
            listen = host or settings.host
            if listen in ("0.0.0.0", "::", ""):  # noqa: S104 - a comparison, not a bind
                listen = "127.0.0.1"
            settings.public_base_url = f"http://{listen}:{port or settings.port}"
    try:
        keyring = load_keyring(settings)
        prepare_database(settings)
        application = create_app(build_services(settings, keyring=keyring))
    except JunctionError as exc:
        fail(exc.message)
    console.print(
        f"Junction {__version__} on http://{host or settings.host}:{port or settings.port} "
        f"(database: {settings.resolved_database_url.split('://')[0]}, data: {settings.data_dir})",
        highlight=False,
        soft_wrap=True,
    )
    if settings.demo:
        console.print(
            "Demo mode: the demo apps are under /demo/; the demo account, its client ID and "
            "secret and example calls are printed once the server is up.",
            highlight=False,
            soft_wrap=True,
        )
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        # Logging is set up already (load_settings): Uvicorn's own configuration would
        # replace it, and its access and error lines would bypass JUNCTION_LOG_FORMAT.
        log_config=None,
        log_level=settings.log_level,
        # The application reads forwarded headers itself (JUNCTION_FORWARDED_ALLOW_IPS);
        # Uvicorn doing it too would rewrite the client address before the app checks it.
        proxy_headers=False,
        # Idle connections are left for the client to close: clients and load balancers
        # keep theirs up to 5 s (httpx) or 60 s (common proxies). With Uvicorn's own 5 s, a
        # client reusing a connection just as the server closes it gets a read error, and
        # a webhook sender cannot tell whether its call was stored.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", min=1, help="Transactions run at once (JUNCTION_WORKER_CONCURRENCY)."
        ),
    ] = None,
) -> None:
    """Run transactions from the job queue (JUNCTION_DISPATCHER=procrastinate, PostgreSQL).

    Stops on SIGTERM or Ctrl-C: running transactions get JUNCTION_WORKER_SHUTDOWN_GRACE_SECONDS
    to finish, the rest go back to the queue for another worker.
    """
    from junction.services import build_services

    settings = load_settings()
    if settings.dispatcher != "procrastinate":
        fail(
            "junction worker runs the procrastinate dispatcher's jobs: set "
            "JUNCTION_DISPATCHER=procrastinate (and the same on every junction serve)"
        )
    try:
        keyring = load_keyring(settings)
        prepare_database(settings)
        console.print(
            f"Junction {__version__} worker (concurrency "
            f"{concurrency or settings.worker_concurrency}) on "
            f"{settings.resolved_database_url.split('://')[0]}",
            highlight=False,
        )
        if concurrency is not None:
            settings = settings.model_copy(update={"worker_concurrency": concurrency})
        services = build_services(settings, role="worker", keyring=keyring)
        _run_event_loop(_run_worker(services))
    except JunctionError as exc:
        fail(exc.message)


def _run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (Uvicorn's standard extras bring it on
    Linux and macOS; `junction serve` runs on it through Uvicorn), else on asyncio's own
    loop. A worker spends much of its time in the loop's socket waits: psycopg registers and
    unregisters its connection with the loop for each wait."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        asyncio.run(main)
        return
    uvloop.run(main)


async def _run_worker(services: Services) -> None:
    """The worker, and its health and metrics server when JUNCTION_WORKER_PORT is set."""
    import asyncio

    from junction.ops.server import ops_server
    from junction.services import serve_worker

    settings = services.settings
    if settings.worker_port is None:
        await serve_worker(services)
        return
    server = ops_server(services, host=settings.host, port=settings.worker_port)
    serving = asyncio.create_task(server.serve(), name="junction-worker-http")
    try:
        await serve_worker(services)
    finally:
        server.should_exit = True
        await serving


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""
    settings = load_settings()
    try:
        prepare_database(settings)
    except JunctionError as exc:
        fail(exc.message)
    console.print("Database is up to date.")


@app.command()
def version() -> None:
    """Print Junction's version."""
    console.print(__version__)


def main() -> None:
    app()
