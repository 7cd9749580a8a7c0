"""The composition root: what each kind of process is built with, and that it stays as built."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest

from junction.api.app import create_app
from junction.db import migrate
from junction.dispatch.base import Detached, Dispatcher, InMemoryDispatcher
from junction.dispatch.jobs import JobQueue
from junction.dispatch.local import LocalDispatcher
from junction.services import Services, build_services
from junction.settings import Settings

# Building connects to nothing: an address is enough to build a job queue.
UNUSED_POSTGRES = "postgresql://junction@127.0.0.1:5432/never-connected"


def _settings(folder: Path, **values: object) -> Settings:
    return Settings.model_validate({"data_dir": folder, **values})


@pytest.mark.parametrize(
    ("values", "dispatcher", "runs_engine"),
    [
        pytest.param({}, LocalDispatcher, True, id="serve-local"),
        pytest.param({"engine_enabled": False}, Detached, False, id="serve-intake-only"),
        pytest.param(
            {"dispatcher": "procrastinate", "database_url": UNUSED_POSTGRES},
            JobQueue,
            False,
            id="serve-job-queue",
        ),
    ],
)
def test_serve_gets_the_dispatcher_its_settings_choose(
    tmp_path: Path, values: dict[str, object], dispatcher: type, runs_engine: bool
) -> None:
    services = build_services(_settings(tmp_path, **values))
    assert isinstance(services.dispatcher, dispatcher)
    assert isinstance(services.dispatcher, Dispatcher)
    assert (services.engine is not None) is runs_engine
    assert services.worker is None
    if services.engine is not None:
        # One gateway, one plan cache, one set of waiters for the whole process.
        assert services.engine.gateway is services.gateway
        assert services.engine.plans is services.plans
        assert services.engine.responses is services.waiters


def test_a_worker_runs_an_engine_from_the_job_queue(tmp_path: Path) -> None:
    services = build_services(
        _settings(tmp_path, dispatcher="procrastinate", database_url=UNUSED_POSTGRES), role="worker"
    )
    assert isinstance(services.dispatcher, JobQueue)
    assert services.worker is not None
    assert services.engine is not None
    assert services.worker.engine is services.engine
    assert services.worker.queue is services.dispatcher


def test_the_services_cannot_be_changed_after_start_up(tmp_path: Path) -> None:
    services = build_services(_settings(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        services.engine = None  # type: ignore[misc]


def test_the_demo_allows_loopback_calls_without_touching_the_callers_settings(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, demo=True)
    services = build_services(settings)
    assert services.settings.outbound_allow_loopback
    assert not settings.outbound_allow_loopback
    assert services.gateway.runtime.settings.allow_loopback


def test_an_app_on_an_in_memory_dispatcher_runs_nothing_and_records_wake_ups(
    tmp_path: Path,
) -> None:
    """The in-memory dispatcher: a whole application in the test's own event loop, through
    HTTP in-process, with nothing running transactions behind the test's back."""
    settings = _settings(tmp_path)
    migrate.upgrade(settings.resolved_database_url)
    recorder = InMemoryDispatcher()
    services: Services = build_services(settings, dispatcher=recorder)
    assert services.engine is None
    app = create_app(services)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            assert recorder.started
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://junction") as client:
                refused = await client.get("/v1.0/accounts")
                assert refused.status_code == 401
                assert (await client.get("/")).status_code == 200

    asyncio.run(run())
    assert not recorder.started
