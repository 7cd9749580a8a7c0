"""The cost of one script execution in the sandbox: a new QuickJS context, the script, and
the value back as JSON types; directly (``run``) and through the scripts' thread pool
(``evaluate``, what a step pays).

    uv run python bench/script_bench.py [--runs 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time

from junction.scripting.sandbox import Limits, evaluate, run

SCRIPT = "['Script', 100 * 2].join('-').toLowerCase() + '@' + `example.com`"


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
    print(f"command: uv run python bench/script_bench.py --runs {args.runs}")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print("| path | median | p99 |")
    print("|---|---|---|")
    for name, times in (("run (same thread)", direct), ("evaluate (thread pool)", through_pool)):
        ordered = sorted(times)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        print(f"| {name} | {statistics.median(times) * 1e6:,.0f} µs | {p99 * 1e6:,.0f} µs |")


if __name__ == "__main__":
    main()
