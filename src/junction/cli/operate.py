"""What the day-to-day commands (accounts, cycles, transactions) share: the services of
``junction serve`` without its engine, option parsing with one-line errors, and waking the
process that runs transactions.

The commands call the same service functions as the API routes, so both behave alike.
They never run a transaction themselves: what they queue is picked up by the running
``junction serve`` (local dispatcher) or ``junction worker`` (procrastinate).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Column

from junction.cli.common import fail, keyring_for, load_settings, prepare_database
from junction.dispatch.base import Detached
from junction.errors import JunctionError
from junction.services import Services, build_job_queue, build_services
from junction.settings import Settings

log = logging.getLogger("junction.cli")

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON (the API's field names) instead of a table.")
]


def run_with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` with the services ``junction serve`` builds from the same settings,
    except the engine: a Detached dispatcher runs nothing in this process."""
    settings = load_settings()
    keyring = keyring_for(settings)

    async def main() -> T:
        services = build_services(settings, keyring=keyring, dispatcher=Detached())
        try:
            return await work(services)
        finally:
            await services.close()

    try:
        prepare_database(settings)
        return asyncio.run(main())
    except JunctionError as exc:
        fail(exc.message)


def choice(option: str, value: str | None, kind: type[E]) -> E | None:
    """``value`` as one of ``kind``'s members, in any letter case; a one-line error naming
    ``option`` otherwise."""
    if value is None:
        return None
    for member in kind:
        if member.value.casefold() == value.strip().casefold():
            return member
    fail(f"{option}: '{value}' is not one of " + ", ".join(m.value for m in kind))


def moment(option: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or date and time; UTC when it has no offset."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):  # fromisoformat takes Z from Python 3.11 on; be explicit
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"{option}: '{value}' is not a date or date and time in ISO 8601 "
            "(e.g. 2026-03-01 or 2026-03-01T12:00:00Z)"
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@contextmanager
def blame(option: str) -> Iterator[None]:
    """A Junction error inside is about ``option``: its message says so first."""
    try:
        yield
    except JunctionError as exc:
        exc.message = f"{option}: {exc.message}"
        raise


def as_json(model: BaseModel, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return {**data, **extra}


def id_column(header: str, values: Iterable[str]) -> Column:
    """Ids are copied from a table into the next command: never wrapped or cut."""
    width = max((len(value) for value in values), default=0)
    return Column(header, no_wrap=True, min_width=max(width, len(header)))


def utc(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


async def wake_running(services: Services) -> str:
    """Tell the process that runs transactions that work may be due; say who runs it.

    With the job queue the jobs are queued here, so a ``junction worker`` starts at once.
    The local dispatcher lives inside ``junction serve``, out of reach of this process: its
    poll finds the work.
    """
    settings: Settings = services.settings
    if settings.dispatcher == "procrastinate":
        queue = build_job_queue(settings, clock=services.clock, database=services.database)
        try:
            await queue.app.open_async()
            try:
                await queue.dispatch()
            finally:
                await queue.app.close_async()
        except Exception:
            # The workers' own sweep queues what is due within about a second anyway.
            log.warning("could not queue jobs now; the workers' sweep will", exc_info=True)
        return "a running `junction worker` picks it up from the job queue"
    return (
        "a running `junction serve` picks it up at its next poll "
        f"(every {settings.poll_interval_seconds:g} s, JUNCTION_POLL_INTERVAL_SECONDS)"
    )
