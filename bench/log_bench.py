"""The cost of Junction's logging (``junction.logs``): binding a transaction's ids (what
every transaction pays), a line dropped by its level, and a text or JSON line written with
the ids; and, when structlog is installed, the same JSON line through structlog with its
contextvars, for comparison.

    uv run python bench/log_bench.py [--lines 50000]
    uv run --with structlog python bench/log_bench.py [--lines 50000]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

from junction.logs import bind_transaction, configure_logging, unbind
from junction.settings import Settings

ROUNDS = 5


def per_call(work: Callable[[], None], count: int) -> float:
    """Median over ROUNDS of the µs one call of ``work`` takes."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(count):
            work()
        times.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(times)


def stdlib(log_format: str, count: int) -> tuple[float, float, float]:
    configure_logging(Settings(log_format=log_format, log_level="info"))
    log = logging.getLogger("junction.engine")

    def bound() -> None:
        unbind(bind_transaction(account_id="acme", cycle_id="c" * 36, transaction_id="t" * 36))

    def dropped() -> None:
        log.debug("step %s ran", "s1")

    token = bind_transaction(account_id="acme", cycle_id="c" * 36, transaction_id="t" * 36)

    def written() -> None:
        log.warning("transaction ended Errored: %s", "Failed to call the method")

    try:
        return per_call(bound, count), per_call(dropped, count), per_call(written, count)
    finally:
        unbind(token)


def with_structlog(count: int) -> float | None:
    try:
        import structlog  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    log = structlog.get_logger("junction.engine")
    structlog.contextvars.bind_contextvars(
        account_id="acme", cycle_id="c" * 36, transaction_id="t" * 36
    )

    def written() -> None:
        log.warning("transaction ended Errored", error="Failed to call the method")

    try:
        return per_call(written, count)
    finally:
        structlog.contextvars.clear_contextvars()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args()
    real_stderr = sys.stderr
    # Written and flushed line by line, as on a real stderr, but nowhere to wait on.
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    try:
        bound, dropped, text = stdlib("text", args.lines)
        _, _, json_line = stdlib("json", args.lines)
        structlog_line = with_structlog(args.lines)
    finally:
        sys.stderr.close()
        sys.stderr = real_stderr
    runner = "uv run" if structlog_line is None else "uv run --with structlog"
    print(f"{runner} python bench/log_bench.py --lines {args.lines}")
    print(f"Python {platform.python_version()} on {platform.machine()}, median of {ROUNDS}")
    print(f"bind and unbind a transaction's ids: {bound:.2f} µs")
    print(f"a line dropped by its level:         {dropped:.2f} µs")
    print(f"a text line with the ids:            {text:.2f} µs")
    print(f"a JSON line with the ids:            {json_line:.2f} µs")
    if structlog_line is not None:
        print(f"the JSON line through structlog:     {structlog_line:.2f} µs")
    else:
        print("structlog: not installed (uv run --with structlog ...)")


if __name__ == "__main__":
    main()
