"""What every dispatcher offers the rest of the process.

A dispatcher is told when work may be due (``wake``) or when one new transaction was
committed (``wake_for``) and gets it run: in this process (``LocalDispatcher``), by
``junction worker`` processes through the job queue (``JobQueue``), or not at all here
(``Detached``: another process runs transactions). ``InMemoryDispatcher`` records what
it was told, for tests that drive the engine themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@runtime_checkable
class Dispatcher(Protocol):
    async def start(self) -> None: ...

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking work; running transactions get ``grace`` seconds to finish."""
        ...

    def wake(self) -> None:
        """Work may be due now (an activation, a replay, a finished wait)."""
        ...

    @property
    def alive(self) -> bool:
        """Started and not stopped (or failed): what readiness reports."""
        ...

    def wake_for(self, transaction_id: str, account_id: str) -> None:
        """This new transaction was committed (a webhook call)."""
        ...


class Detached:
    """A process that runs no transactions (``JUNCTION_ENGINE_ENABLED=false``): the
    sweeper of the process that does finds new work by its poll."""

    async def start(self) -> None:
        return None

    async def stop(self, grace: float = 10.0) -> None:
        return None

    @property
    def alive(self) -> bool:
        return True  # nothing to run here, so nothing that can stop

    def wake(self) -> None:
        return None

    def wake_for(self, transaction_id: str, account_id: str) -> None:
        return None


@dataclass
class InMemoryDispatcher:
    """Runs nothing; keeps every wake-up, so a test can see what would have been run."""

    started: bool = False
    wakes: int = 0
    woken_for: list[tuple[str, str]] = field(default_factory=list)

    async def start(self) -> None:
        self.started = True

    async def stop(self, grace: float = 10.0) -> None:
        self.started = False

    @property
    def alive(self) -> bool:
        return self.started

    def wake(self) -> None:
        self.wakes += 1

    def wake_for(self, transaction_id: str, account_id: str) -> None:
        self.woken_for.append((transaction_id, account_id))
