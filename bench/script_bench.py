"""The cost of one script execution in the sandbox: a new QuickJS context, the script, and
the value back as JSON types; directly (``run``) and through the scripts' thread pool
(``evaluate``, what a step pays); and of one script event (``before_action`` handled at
connector, method and step level, with the function library installed).

    uv run python bench/script_bench.py [--runs 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time

from junction.scripting.events import Scripts, run_event
from junction.scripting.functions import install
from junction.scripting.sandbox import Limits, evaluate, run

SCRIPT = "['Script', 100 * 2].join('-').toLowerCase() + '@' + `example.com`"
HANDLER = """function before_action() {
  method_request_headers['X-Trace'] = (method_request_headers['X-Trace'] || '') + '{level};';
  method_request.email = method_request.email.toLowerCase();
  return true;
}"""
LEVELS = Scripts(*(HANDLER.replace("{level}", level) for level in ("connector", "method", "step")))
REQUEST = {
    "method_endpoint": "https://api.example.com/contacts",
    "method_request_headers": {"Accept": "application/json"},
    "method_request_parameters": {},
    "method_request": {"email": "Ann@Example.com", "name": "Ann"},
    "method_request_mergefields": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    limits = Limits()
    direct: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        run(SCRIPT, limits)
        direct.append(time.perf_counter() - started)

    async def pooled() -> list[float]:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            await evaluate(SCRIPT, limits)
            times.append(time.perf_counter() - started)
        return times

    through_pool = asyncio.run(pooled())
    handlers = LEVELS.handlers("before_action")
    readback = ("method_request", "method_request_headers")
    events: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        run_event("before_action", handlers, REQUEST, readback, limits)
        events.append(time.perf_counter() - started)
    with_library: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        run(SCRIPT, limits, install)
        with_library.append(time.perf_counter() - started)
    print(f"command: uv run python bench/script_bench.py --runs {args.runs}")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print("| path | median | p99 |")
    print("|---|---|---|")
    for name, times in (
        ("run (same thread)", direct),
        ("run with the function library", with_library),
        ("evaluate (thread pool)", through_pool),
        ("one event, three handlers (before_action)", events),
    ):
        ordered = sorted(times)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        print(f"| {name} | {statistics.median(times) * 1e6:,.0f} µs | {p99 * 1e6:,.0f} µs |")


if __name__ == "__main__":
    main()
