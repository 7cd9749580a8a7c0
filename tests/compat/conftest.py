"""The closing note of the compatibility module: how many documented examples were tried
and how many got the documented answer, per database."""

from __future__ import annotations

from collections import defaultdict

import pytest

EXAMPLE_TEST = "test_documented_example["

_results: dict[str, dict[str, bool]] = defaultdict(dict)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if EXAMPLE_TEST not in report.nodeid or report.skipped:
        return  # a database that is not set up is not a try
    if report.when == "call" or report.outcome != "passed":
        backend, _, name = report.nodeid.split(EXAMPLE_TEST, 1)[1].rstrip("]").partition("-")
        # A failed set-up or teardown counts against the example, whatever its call did.
        passed = report.outcome == "passed" and _results[backend].get(name, True)
        _results[backend][name] = passed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for backend, results in sorted(_results.items()):
        passing = sum(results.values())
        terminalreporter.write_line(
            f"Cyclr's documented examples on {backend}: {len(results)} tried, {passing} passing"
        )
