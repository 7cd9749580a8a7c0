#!/usr/bin/env bash
# The whole check: formatting, lint, import contracts, strict typing, then the test suite.
# PostgreSQL tests run when JUNCTION_TEST_POSTGRES_URL is set (CI always sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

# Container images often set PYTHONDONTWRITEBYTECODE. With it, every Python process of the
# run (each test process, and each `junction` process and CLI command the tests start)
# compiles every module it imports from source: about 1.7 s of CPU per process start here
# (3.0 s against 1.3 s to import the CLI). The run keeps Python's usual bytecode cache.
unset PYTHONDONTWRITEBYTECODE

# --fast: the edit loop. SQLite only, without the tests that start real processes
# (-m "not slow"); the full run (no flag) is what CI runs.
fast=false
if [ "${1:-}" = "--fast" ]; then
    fast=true
    shift
    export JUNCTION_TEST_POSTGRES_URL=""
fi

# Without JUNCTION_TEST_POSTGRES_URL, use a PostgreSQL on this machine if one answers
# (the tests create and drop their own junction_test_* databases there).
if ! $fast && [ -z "${JUNCTION_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null \
    && pg_isready -q -h 127.0.0.1 -p 5432 -U postgres; then
    export JUNCTION_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:5432/postgres"
fi
if [ -n "${JUNCTION_TEST_POSTGRES_URL:-}" ]; then
    echo "PostgreSQL tests: on (${JUNCTION_TEST_POSTGRES_URL%%\?*})"
else
    echo "PostgreSQL tests: skipped (set JUNCTION_TEST_POSTGRES_URL to run them)"
fi

uv sync --frozen --quiet
# axe-core for the pages' accessibility check, from the npm registry at its locked version.
if [ ! -f tests/embed/axe/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
    npm ci --prefix tests/embed/axe --silent --no-audit --no-fund
fi
# Stoplight Prism, the mock of each vendor's API description in the connector contract tests.
if [ ! -x tests/connectors/library/prism/node_modules/.bin/prism ] && command -v npm >/dev/null; then
    npm ci --prefix tests/connectors/library/prism --silent --no-audit --no-fund
fi
uv run --frozen ruff format --check src tests scripts bench
uv run --frozen ruff check src tests scripts bench
uv run --frozen lint-imports
uv run --frozen mypy src tests bench scripts
# The tests run in one process per core (pytest-xdist); JUNCTION_TEST_WORKERS=0 runs them
# in this process, which a debugger or -x wants.
# One process more than the cores: many tests wait on real processes, browsers and sockets,
# and the extra process fills that time (measured: 420 s against 457 s with one per core, on
# two cores). worksteal: an idle process takes queued tests from a busy one, so a few long
# tests at the end of one process's queue do not keep the run going alone.
workers=(-n "${JUNCTION_TEST_WORKERS:-$(( $(nproc) + 1 ))}" --dist worksteal)
if $fast; then
    uv run --frozen pytest "${workers[@]}" -m "not slow" "$@"
else
    uv run --frozen pytest "${workers[@]}" "$@"
fi
