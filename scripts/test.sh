#!/usr/bin/env bash
# The whole check: formatting, lint, strict typing, then the test suite.
# PostgreSQL tests run when JUNCTION_TEST_POSTGRES_URL is set (CI always sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

uv sync --frozen --quiet
uv run --frozen ruff format --check src tests scripts bench
uv run --frozen ruff check src tests scripts bench
uv run --frozen mypy src
uv run --frozen pytest "$@"
