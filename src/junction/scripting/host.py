"""Functions scripts call that reach outside the sandbox: ``http_request`` and storage.

The sandbox thread calls them synchronously; the work itself is a coroutine on the event
loop (the runtime's HTTP client, the database), so each call hands it over with
``run_coroutine_threadsafe`` and waits. Values cross as JSON text, and a Python call never
raises into QuickJS (the binding cannot carry a Python exception): it answers
``{"error": ...}`` and the JavaScript side throws.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import quickjs

from junction.errors import JunctionError

# (request as given to http_request) -> {status_code, headers, content, request}
HttpFunction = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
# (per_cycle, operation, key, value) -> the operation's answer
StorageFunction = Callable[[bool, str, str | None, Any], Awaitable[Any]]

STORAGE_OPERATIONS = (
    "list_values",
    "delete_all",
    "delete",
    "get",
    "set",
    "append",
    "list_keys",
    "increment",
    "decrement",
)

_PRELUDE = """
function __call(name, args) {
  var answer = JSON.parse(__host(name, JSON.stringify(args)));
  if (answer.error !== undefined) throw new Error(answer.error);
  return answer.value;
}
function http_request(request) { return __call('http_request', [request]); }
""" + "".join(
    f"function {prefix}_storage_{op}(key, value) "
    f"{{ return __call('storage', [{str(prefix == 'cycle').lower()}, '{op}', key, value]); }}\n"
    for prefix in ("cyclr", "cycle")
    for op in STORAGE_OPERATIONS
)


MAX_CALLS = 1000  # per execution


@dataclass
class Host:
    """The host functions of one execution. Waiting on a host call takes no CPU time, so the
    sandbox's CPU limit does not bound it: the execution's wall-clock time does (``seconds``
    from ``install``), as does a number of calls."""

    loop: asyncio.AbstractEventLoop
    http: HttpFunction | None = None
    storage: StorageFunction | None = None
    seconds: float = 60.0  # the execution's time limit, as wall-clock time for host calls
    timeout: float = 120.0  # one host call; the HTTP client has its own, shorter, timeouts
    _deadline: float = field(default=0.0, init=False)
    _calls: int = field(default=0, init=False)

    def install(self, context: quickjs.Context) -> None:
        self._deadline = time.monotonic() + self.seconds
        self._calls = 0
        context.add_callable("__host", self._dispatch)
        context.eval(_PRELUDE)

    def _dispatch(self, name: str, arguments: str) -> str:
        try:
            args = json.loads(arguments)
            if name == "http_request":
                if self.http is None:
                    raise _Unavailable("http_request is not available here")
                if not args or not isinstance(args[0], dict):
                    raise _Unavailable("http_request takes one object: {method, url, ...}")
                value = self._wait(self.http(args[0]))
            elif name == "storage":
                if self.storage is None:
                    raise _Unavailable(
                        "storage functions are only available when a cycle step runs"
                    )
                per_cycle, operation, key, data = [*args, None, None][:4]
                value = self._wait(self.storage(bool(per_cycle), str(operation), key, data))
            else:
                raise _Unavailable(f"there is no function {name}")
            return json.dumps({"value": value}, default=str)
        except (JunctionError, _Unavailable) as exc:
            return json.dumps({"error": str(exc)})
        except TimeoutError:
            return json.dumps({"error": f"{name} did not finish within the time it had"})
        except Exception as exc:  # must not cross into QuickJS
            return json.dumps({"error": f"{name} failed: {type(exc).__name__}: {exc}"})

    def _wait(self, work: Awaitable[Any]) -> Any:
        async def run() -> Any:
            return await work

        self._calls += 1
        left = self._deadline - time.monotonic()
        if left <= 0 or self._calls > MAX_CALLS:
            close = getattr(work, "close", None)
            if close is not None:
                close()  # never awaited: no "coroutine was never awaited" warning
            raise _Unavailable(
                "the script's time limit has passed"
                if left <= 0
                else f"a script may make at most {MAX_CALLS} such calls"
            )
        future = asyncio.run_coroutine_threadsafe(run(), self.loop)
        try:
            return future.result(min(self.timeout, left))
        except TimeoutError:
            future.cancel()
            raise


class _Unavailable(Exception):
    pass
