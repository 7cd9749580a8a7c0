"""Where a server's py-spy samples fall, before and after a change, per Data on Demand call.

Takes two files of collapsed stacks (``BENCH_PROFILE=FILE.txt`` of ``dod_api_bench.py``)
and the number of calls each profile covered. Each sample goes to the category of the frame
nearest its leaf that names one (so a middleware's own work is not counted with everything
it wraps); idle samples (the event loop's poll, SQLite's thread waiting) are left out.

    uv run python bench/profile_table.py BEFORE.txt AFTER.txt [--calls 3000] [--hz 100]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("SQLite's thread (statements)", ("_connection_worker_thread",)),
    ("SQLAlchemy (sessions, statements, results)", ("sqlalchemy/",)),
    (
        "the call to the API (connector runtime, aiohttp)",
        ("junction/connectors/runtime/", "aiohttp/"),
    ),
    ("token check", ("identify_request",)),
    ("the route's own code", ("calls/router.py", "calls/service.py")),
    ("FastAPI's dependencies", ("solve_dependencies", "request_params_to_args")),
    ("routing", ("_match (fastapi", "matches (fastapi", "route_guard", "matches (starlette")),
    (
        "middleware",
        ("api/middleware.py", "identity.py:98", "proxy_headers", "starlette/middleware"),
    ),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/protocols", "httptools")),
]
OTHER = "FastAPI's request handling, the event loop, the rest"
IDLE = ("selectors.py", "aiosqlite/core.py:59")


def shares(path: Path) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in IDLE):
            continue
        samples = int(number)
        total += samples
        counts[_category(frames)] += samples
    return counts, total


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, patterns in CATEGORIES:
            if any(pattern in frame for pattern in patterns):
                return name
    return OTHER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--calls", type=int, default=3000, help="calls each profile covered")
    parser.add_argument("--hz", type=int, default=100, help="py-spy's sampling rate")
    args = parser.parse_args()
    before, before_total = shares(args.before)
    after, after_total = shares(args.after)
    ms = 1000 / args.hz / args.calls
    print("| where the server's samples fall | before | after | before, ms/call | after, ms/call |")
    print("|---|---|---|---|---|")
    for name in [*(name for name, _ in CATEGORIES), OTHER]:
        print(
            f"| {name} | {100 * before[name] / before_total:.0f}% "
            f"| {100 * after[name] / after_total:.0f}% "
            f"| {before[name] * ms:.2f} | {after[name] * ms:.2f} |"
        )
    print(
        f"| all | {before_total} samples | {after_total} samples "
        f"| {before_total * ms:.2f} | {after_total * ms:.2f} |"
    )


if __name__ == "__main__":
    main()
