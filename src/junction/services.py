"""The composition root: what one Junction process holds, built once when it starts.

``junction serve`` (through ``api.app.create_app``), ``junction worker`` and the tests all
start from ``build_services``. The result is immutable: nothing is attached to it later,
and every part gets what it needs passed in when it is built. The engine, when this
process runs one, is built here too, so the dispatcher, the webhook intake and the
routes share one plan cache, one connector gateway and one set of webhook waiters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from junction.accounts.tally import UsageTally
from junction.auth.cache import IdentityCache
from junction.auth.throttle import FailureThrottle
from junction.clock import Clock, system_clock
from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.calls.oauth import OAuthEnvironment, RefreshLocks
from junction.connectors.runtime import Runtime, RuntimeSettings
from junction.db.engine import Database
from junction.dispatch.base import Detached, Dispatcher
from junction.dispatch.jobs import JobQueue, job_app
from junction.dispatch.local import LocalDispatcher
from junction.dispatch.upkeep import Housekeeping, process_owner
from junction.dispatch.worker import Worker
from junction.engine.notify import Notifier
from junction.engine.plans import PlanCache
from junction.engine.runner import Engine, EngineOptions, Waiters
from junction.installation.service import Overrides
from junction.metrics import Metrics
from junction.reports import retention
from junction.scripting.sandbox import limits_from
from junction.scripting.workers import ScriptWorkers
from junction.security.address_guard import AddressGuard
from junction.security.keyring import Keyring, load_keyring
from junction.settings import Settings
from junction.webhooks.intake import Intake
from junction.webhooks.scripts import WebhookScripts

log = logging.getLogger(__name__)

# What the process is: the API server (which runs transactions itself unless told
# otherwise) or a procrastinate worker (which runs them from the job queue).
Role = Literal["serve", "worker"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    keyring: Keyring
    database: Database
    throttle: FailureThrottle
    gateway: ConnectorGateway
    # Compiled cycles, shared by the webhook intake and the engine.
    plans: PlanCache
    # Stores webhook calls, in groups under load.
    intake: Intake
    webhook_scripts: WebhookScripts
    # Webhook calls waiting for a WebhookResponse step, by transaction id: the webhook
    # route registers a future, the engine of this process resolves it.
    waiters: Waiters
    dispatcher: Dispatcher
    # The partner's overrides of some settings (the console's Settings page): read the
    # effective values through it, not through ``settings``.
    installation: Overrides
    # Bearer tokens and accounts already checked (emptied by change notices, see auth.cache).
    identities: IdentityCache
    # Data on Demand's task counts, written in groups (accounts.tally).
    tally: UsageTally
    # This process's Prometheus instruments (a registry per Services, see metrics.py).
    metrics: Metrics = field(default_factory=Metrics, compare=False)
    # The engine, when this process runs transactions.
    engine: Engine | None = None
    # The procrastinate worker, for role "worker".
    worker: Worker | None = field(default=None, compare=False)

    async def close(self) -> None:
        try:
            await self.tally.close()
        except Exception:
            log.exception("task counts held at the stop could not be written")
        await self.gateway.close()
        self.gateway.runtime.settings.script_limits.workers.shutdown()
        await self.database.dispose()


def build_services(
    settings: Settings,
    *,
    role: Role = "serve",
    clock: Clock = system_clock,
    keyring: Keyring | None = None,
    database: Database | None = None,
    dispatcher: Dispatcher | None = None,
) -> Services:
    """Everything a process of this ``role`` runs with. ``dispatcher`` replaces the one the
    settings choose (tests pass an ``InMemoryDispatcher`` to drive the engine themselves)."""
    if settings.demo and not settings.outbound_allow_loopback:
        # The demo's connectors call this same server.
        settings = settings.model_copy(update={"outbound_allow_loopback": True})
    keyring = keyring if keyring is not None else load_keyring(settings)
    database = database if database is not None else Database(settings.resolved_database_url)
    installation = Overrides(settings, database)
    metrics = Metrics()
    gateway = build_gateway(
        settings, clock=clock, keyring=keyring, database=database, metrics=metrics
    )
    plans = PlanCache()
    waiters: Waiters = {}
    engine: Engine | None = None
    worker: Worker | None = None
    if dispatcher is None:
        if role == "worker":
            engine = build_engine(
                settings, clock, database, gateway, plans, waiters, metrics, installation
            )
            queue = build_job_queue(settings, clock=clock, database=database)
            worker = build_worker(
                settings, clock, database, engine, queue, install_signal_handlers=True
            )
            dispatcher = queue
        elif not settings.engine_enabled:
            dispatcher = Detached()
        elif settings.dispatcher == "procrastinate":
            dispatcher = build_job_queue(settings, clock=clock, database=database)
        else:
            engine = build_engine(
                settings, clock, database, gateway, plans, waiters, metrics, installation
            )
            dispatcher = build_local_dispatcher(settings, clock, database, engine)
    return Services(
        settings=settings,
        clock=clock,
        keyring=keyring,
        database=database,
        throttle=FailureThrottle(
            limit=settings.token_failure_limit, window=settings.token_failure_window, clock=clock
        ),
        gateway=gateway,
        plans=plans,
        intake=Intake(database=database, plans=plans, clock=clock),
        webhook_scripts=WebhookScripts(database=database, plans=plans),
        waiters=waiters,
        dispatcher=dispatcher,
        installation=installation,
        identities=IdentityCache(database.changes),
        tally=UsageTally(database),
        metrics=metrics,
        engine=engine,
        worker=worker,
    )


def build_gateway(
    settings: Settings,
    *,
    clock: Clock,
    keyring: Keyring,
    database: Database,
    metrics: Metrics | None = None,
) -> ConnectorGateway:
    metrics = metrics or Metrics()
    limits = limits_from(
        settings.script_time_limit_seconds,
        settings.script_memory_limit_mb,
        metrics.script_observed,
        ScriptWorkers(settings.script_workers, settings.script_workers_per_account),
    )
    runtime = Runtime(
        RuntimeSettings(
            allow_loopback=settings.outbound_allow_loopback,
            allow_private=settings.outbound_allow_private,
            script_limits=limits,
        ),
        wall_clock=clock,
        metrics=metrics,
    )
    oauth_env = OAuthEnvironment(
        database=database,
        keyring=keyring,
        clock=clock,
        guard=AddressGuard(
            allow_loopback=settings.outbound_allow_loopback,
            allow_private=settings.outbound_allow_private,
        ),
        locks=RefreshLocks(),
        public_base_url=settings.public_base_url,
        script_limits=limits,
        metrics=metrics,
    )
    return ConnectorGateway(
        database=database, keyring=keyring, runtime=runtime, oauth_env=oauth_env
    )


def build_engine(
    settings: Settings,
    clock: Clock,
    database: Database,
    gateway: ConnectorGateway,
    plans: PlanCache,
    waiters: Waiters,
    metrics: Metrics | None = None,
    installation: Overrides | None = None,
) -> Engine:
    metrics = metrics or Metrics()
    installation = installation or Overrides(settings, database)
    return Engine(
        database=database,
        gateway=gateway,
        clock=clock,
        notifier=Notifier(
            http=gateway.runtime.http,
            database=database,
            error_webhook_url=settings.transaction_error_webhook_url,
            notification_url=settings.notification_webhook_url,
            overrides=installation,
        ),
        options=EngineOptions(
            owner=process_owner(),
            lease=timedelta(seconds=settings.lease_seconds),
            retry_schedule=list(settings.retry_schedule),
            consecutive_error_limit=settings.consecutive_error_limit,
            # One set of script threads per process, shared with the gateway's scripts.
            script_limits=gateway.runtime.settings.script_limits,
        ),
        plans=plans,
        waiters=waiters,
        metrics=metrics,
    )


def _retention(installation: Overrides, clock: Clock, database: Database) -> Housekeeping:
    async def purge() -> None:
        settings = await installation.settings()
        await retention.purge_step_data(database=database, settings=settings, now=clock())

    return purge


def build_local_dispatcher(
    settings: Settings, clock: Clock, database: Database, engine: Engine
) -> LocalDispatcher:
    installation = engine.notifier.overrides or Overrides(settings, database)
    return LocalDispatcher(
        engine=engine,
        database=database,
        clock=clock,
        concurrency=settings.worker_concurrency,
        account_limit=settings.account_concurrency_limit,
        poll_interval=settings.poll_interval_seconds,
        stopped_queue_after=timedelta(hours=settings.stopped_queue_hours),
        housekeeping=_retention(installation, clock, database),
        housekeeping_interval=settings.housekeeping_interval_seconds,
    )


def build_job_queue(settings: Settings, *, clock: Clock, database: Database) -> JobQueue:
    return JobQueue(
        app=job_app(settings.resolved_database_url),
        database=database,
        clock=clock,
        lanes=settings.account_concurrency_limit,
    )


def build_worker(
    settings: Settings,
    clock: Clock,
    database: Database,
    engine: Engine,
    queue: JobQueue,
    *,
    concurrency: int | None = None,
    install_signal_handlers: bool = False,
) -> Worker:
    installation = engine.notifier.overrides or Overrides(settings, database)
    return Worker(
        engine=engine,
        queue=queue,
        database=database,
        clock=clock,
        concurrency=concurrency or settings.worker_concurrency,
        poll_interval=settings.poll_interval_seconds,
        stopped_queue_after=timedelta(hours=settings.stopped_queue_hours),
        shutdown_grace=settings.worker_shutdown_grace_seconds,
        housekeeping=_retention(installation, clock, database),
        housekeeping_interval=settings.housekeeping_interval_seconds,
        install_signal_handlers=install_signal_handlers,
    )


def worker_beside(services: Services, queue: JobQueue | None = None) -> Worker:
    """A procrastinate worker with an engine of its own on the same services: another
    worker process, in one test process. ``queue`` shares a job queue already built."""
    settings, clock, database = services.settings, services.clock, services.database
    engine = build_engine(
        settings,
        clock,
        database,
        services.gateway,
        services.plans,
        services.waiters,
        services.metrics,
        services.installation,
    )
    return build_worker(
        settings,
        clock,
        database,
        engine,
        queue or build_job_queue(settings, clock=clock, database=database),
    )


async def serve_worker(services: Services) -> None:
    """``junction worker``: run until SIGTERM or SIGINT, then shut down gracefully."""
    worker = services.worker
    assert worker is not None, "build the services with role='worker'"
    try:
        await worker.start()
        await worker.wait()
    finally:
        await worker.stop()
        await services.close()


__all__ = ["Role", "Services", "build_services", "serve_worker", "worker_beside"]
