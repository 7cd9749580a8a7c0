"""The threads scripts run on, shared fairly between accounts.

Every script execution (an inline ``=`` mapping, an event's handlers, a webhook's
``before_webhook``) runs on one pool of ``JUNCTION_SCRIPT_WORKERS`` threads, never on the
event loop. An account may hold at most ``JUNCTION_SCRIPT_WORKERS_PER_ACCOUNT`` of them at
once; its further executions wait for one of its own to end, not for a free thread. So an
account whose scripts spin until their time limit slows only itself: the other threads stay
free for everyone else's.

Whose execution it is comes from ``on_behalf_of``, set where work for an account starts (a
transaction run, a webhook call, a Data on Demand request); executions outside any account
(a partner's test of a connector, say) share one key of their own.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_account: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "junction_script_account", default=None
)


Bound = contextvars.Token[str | None]


def bind_account(account_id: str | None) -> Bound:
    """Scripts run from here on (in this task and what it starts) count against
    ``account_id``'s share of the script threads, until ``unbind_account``."""
    return _account.set(account_id)


def unbind_account(bound: Bound) -> None:
    _account.reset(bound)


@contextmanager
def on_behalf_of(account_id: str | None) -> Iterator[None]:
    """``bind_account`` for the block."""
    bound = bind_account(account_id)
    try:
        yield
    finally:
        unbind_account(bound)


def default_share(workers: int) -> int:
    """An account's share when none is set: leave at least one thread, and one core, to the
    other accounts."""
    return max(1, min(workers - 1, (os.cpu_count() or 1) - 1))


@dataclass
class _Share:
    semaphore: asyncio.Semaphore
    users: int = 0  # holding or waiting


# How much lower than the rest of the process script threads run (a nice value, Linux).
NICENESS = 10


def _lower_priority() -> None:
    """Script threads yield the CPU to the event loop's thread: the API and the engine
    stay responsive however much CPU scripts burn."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICENESS)
    except (AttributeError, OSError):  # not Linux: threads share the process's priority
        pass


class ScriptWorkers:
    def __init__(self, workers: int = 4, per_account: int | None = None) -> None:
        self.workers = workers
        self.per_account = min(workers, per_account or default_share(workers))
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="junction-script", initializer=_lower_priority
        )
        self._shares: dict[tuple[int, str | None], _Share] = {}

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` on a script thread, within the current account's share, with
        this task's context (what the script's functions log carries the transaction's ids).
        """
        loop = asyncio.get_running_loop()
        # asyncio's semaphores belong to one event loop; tests run several.
        key = (id(loop), _account.get())
        share = self._shares.get(key)
        if share is None:
            share = self._shares[key] = _Share(asyncio.Semaphore(self.per_account))
        share.users += 1
        try:
            await share.semaphore.acquire()
        except BaseException:
            self._leave(key, share)
            raise
        in_context = contextvars.copy_context().run
        running = loop.run_in_executor(self._pool, in_context, function, *args)
        # The thread is held until the script ends, even if the caller stops waiting (a
        # cancelled task): only then is the account's share given back.
        running.add_done_callback(lambda _: self._release(key, share))
        return await running

    def _release(self, key: tuple[int, str | None], share: _Share) -> None:
        share.semaphore.release()
        self._leave(key, share)

    def _leave(self, key: tuple[int, str | None], share: _Share) -> None:
        share.users -= 1
        if share.users == 0 and self._shares.get(key) is share:
            del self._shares[key]  # only accounts with scripts under way are kept

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_shared: ScriptWorkers | None = None


def shared_workers() -> ScriptWorkers:
    """The workers of limits built without settings (tests, the CLI's checks)."""
    global _shared
    if _shared is None:
        _shared = ScriptWorkers()
    return _shared
