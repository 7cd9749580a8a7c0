"""Builds the engine and the dispatcher a process runs, from its settings.

``junction serve`` gets the local dispatcher (it runs transactions itself) or, with
``JUNCTION_DISPATCHER=procrastinate``, only the job queue (workers run them);
``junction worker`` gets a procrastinate worker.
"""

from __future__ import annotations

from datetime import timedelta

from junction.api.context import AppContext
from junction.dispatch.jobs import JobQueue, job_app
from junction.dispatch.local import LocalDispatcher
from junction.dispatch.upkeep import Housekeeping, process_owner
from junction.dispatch.worker import Worker
from junction.engine.notify import Notifier
from junction.engine.runner import Engine, EngineOptions
from junction.reports import retention
from junction.scripting.sandbox import limits_from


def build_engine(context: AppContext) -> Engine:
    settings = context.settings
    engine = Engine(
        database=context.database,
        runtime=context.runtime,
        keyring=context.keyring,
        oauth_env=context.oauth,
        clock=context.clock,
        notifier=Notifier(
            http=context.runtime.http,
            database=context.database,
            error_webhook_url=settings.transaction_error_webhook_url,
            notification_url=settings.notification_webhook_url,
        ),
        options=EngineOptions(
            owner=process_owner(),
            lease=timedelta(seconds=settings.lease_seconds),
            retry_schedule=list(settings.retry_schedule),
            consecutive_error_limit=settings.consecutive_error_limit,
            script_limits=limits_from(
                settings.script_time_limit_seconds, settings.script_memory_limit_mb
            ),
        ),
        plans=context.plans,
    )
    context.engine = engine
    return engine


def _retention(context: AppContext) -> Housekeeping:
    async def purge() -> None:
        await retention.purge_step_data(
            database=context.database, settings=context.settings, now=context.clock()
        )

    return purge


def build_job_queue(context: AppContext) -> JobQueue:
    settings = context.settings
    return JobQueue(
        app=job_app(settings.resolved_database_url),
        database=context.database,
        clock=context.clock,
        lanes=settings.account_concurrency_limit,
    )


def build_dispatcher(context: AppContext) -> LocalDispatcher | JobQueue:
    """What ``junction serve`` runs; ``context.wake`` is wired to it."""
    settings = context.settings
    dispatcher: LocalDispatcher | JobQueue
    if settings.dispatcher == "procrastinate":
        dispatcher = build_job_queue(context)
    else:
        dispatcher = LocalDispatcher(
            engine=build_engine(context),
            database=context.database,
            clock=context.clock,
            concurrency=settings.worker_concurrency,
            account_limit=settings.account_concurrency_limit,
            poll_interval=settings.poll_interval_seconds,
            stopped_queue_after=timedelta(hours=settings.stopped_queue_hours),
            housekeeping=_retention(context),
            housekeeping_interval=settings.housekeeping_interval_seconds,
        )
    context.wake = dispatcher.wake
    if isinstance(dispatcher, JobQueue):
        context.woken_for = dispatcher.wake_for
    else:
        context.woken_for = lambda _transaction, _account: dispatcher.wake()
    return dispatcher


def build_worker(
    context: AppContext,
    *,
    concurrency: int | None = None,
    queue: JobQueue | None = None,
    install_signal_handlers: bool = False,
) -> Worker:
    """A procrastinate worker; ``queue`` shares a job queue already built (tests run the
    server and a worker in one process)."""
    settings = context.settings
    return Worker(
        engine=build_engine(context),
        queue=queue or build_job_queue(context),
        database=context.database,
        clock=context.clock,
        concurrency=concurrency or settings.worker_concurrency,
        poll_interval=settings.poll_interval_seconds,
        stopped_queue_after=timedelta(hours=settings.stopped_queue_hours),
        shutdown_grace=settings.worker_shutdown_grace_seconds,
        housekeeping=_retention(context),
        housekeeping_interval=settings.housekeeping_interval_seconds,
        install_signal_handlers=install_signal_handlers,
    )
