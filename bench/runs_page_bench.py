"""The console's Runs page over 100,000 transactions: median and p95 response times.

A new database (SQLite in a temporary folder, or a new PostgreSQL database with
``--postgres URL`` or JUNCTION_TEST_POSTGRES_URL) is migrated, then filled with
transactions spread over several accounts, cycles, statuses and 30 days (bulk inserts with
SQLAlchemy Core). An administrator signs in, and each case is requested ``--requests``
times through the whole application (in-process ASGI: routing, session check, queries,
template) after a few warm-up requests.

    uv run python bench/runs_page_bench.py [--transactions 100000] [--requests 50]
    uv run python bench/runs_page_bench.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from junction.accounts.models import Account
from junction.api.app import create_app
from junction.console import users
from junction.cycles.models import Cycle
from junction.db import migrate
from junction.engine.models import Transaction
from junction.services import Services, build_services
from junction.settings import Settings

ACCOUNTS = 5
CYCLES_PER_ACCOUNT = 4
DAYS = 30
END = datetime(2026, 3, 1, tzinfo=UTC)
# Roughly what a live installation holds: mostly completed, some errors, a little in flight.
STATUSES = [
    ("Completed", 0.85),
    ("Errored", 0.08),
    ("Stopped", 0.03),
    ("Running", 0.02),
    ("Queued", 0.01),
    ("Waiting", 0.01),
]
PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway database's user
BATCH = 5_000


def _row(account_id: str, cycle_id: str, status: str, created: datetime) -> dict[str, Any]:
    ended = status in ("Completed", "Errored", "Stopped")
    return {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "cycle_id": cycle_id,
        "status": status,
        "step_id": None if status == "Completed" else "step-2",
        "due_at": created if status == "Queued" else None,
        "lease_owner": None,
        "lease_expires_at": None,
        "attempt": 0,
        "origin": "Schedule",
        "parent_id": None,
        "values": {},
        "payload": None,
        "steps_run": 2,
        "error_count": 1 if status == "Errored" else 0,
        "warning_count": 0,
        "message": "Failed to call the method" if status == "Errored" else None,
        "created_at": created,
        "started_at": None if status == "Queued" else created + timedelta(seconds=1),
        "ended_at": created + timedelta(seconds=3) if ended else None,
        "updated_at": created,
        "purge_after": None,
        "purged_at": None,
    }


async def fill(services: Services, total: int) -> dict[str, str]:
    """Accounts, cycles and ``total`` transactions; answers one account and one cycle."""
    rng = random.Random(7)  # noqa: S311 - repeatable data, not secrets
    now = END
    cycles: list[tuple[str, str]] = []
    async with services.database.transaction() as session:
        for a in range(ACCOUNTS):
            account_id = f"account-{a}"
            session.add(Account(id=account_id, name=f"Account {a}", created_at=now))
            await session.flush()
            for c in range(CYCLES_PER_ACCOUNT):
                cycle_id = str(uuid.uuid4())
                session.add(
                    Cycle(
                        id=cycle_id,
                        account_id=account_id,
                        name=f"Cycle {a}.{c}",
                        settings={},
                        variables=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
                cycles.append((account_id, cycle_id))
        await users.create_user(
            session=session,
            username="bench",
            password=PASSWORD,
            role=users.ADMINISTRATOR,
            now=now,
        )
    names = [name for name, _ in STATUSES]
    weights = [weight for _, weight in STATUSES]
    span = DAYS * 86_400
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        rows = []
        for _ in range(size):
            account_id, cycle_id = rng.choice(cycles)
            created = END - timedelta(seconds=rng.uniform(0, span))
            rows.append(_row(account_id, cycle_id, rng.choices(names, weights)[0], created))
        async with services.database.transaction() as session:
            await session.execute(insert(Transaction), rows)
        done += size
    async with services.database.transaction() as session:
        # Fresh statistics, as a database that has been running a while would have.
        await session.execute(text("ANALYZE"))
    return {"account": cycles[0][0], "cycle": cycles[0][1]}


async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/signin")
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token, "no sign-in form"
    client.headers["Cookie"] = form.headers["set-cookie"].split(";")[0]
    answer = await client.post(
        "/console/signin",
        data={"username": "bench", "password": PASSWORD, "token": token.group(1)},
    )
    found = re.search(r"junction_console=([^;]+)", answer.headers.get("set-cookie", ""))
    assert found, f"sign-in refused: {answer.status_code}"
    client.headers["Cookie"] = f"junction_console={found.group(1)}"


async def timed(client: httpx.AsyncClient, path: str, count: int) -> tuple[float, float, int]:
    """Median and p95 in ms over ``count`` requests, and how many rows the page listed."""
    for _ in range(3):
        warm = await client.get(path)
        assert warm.status_code == 200, (path, warm.status_code, warm.text[:500])
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    rows = len(re.findall(r'<td><a href="/console/runs/', answer.text))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, rows


async def measure(
    services: Services, total: int, count: int
) -> list[tuple[str, float, float, int]]:
    started = time.perf_counter()
    found = await fill(services, total)
    print(f"filled {total:,} transactions in {time.perf_counter() - started:.1f} s", flush=True)
    app = create_app(services)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    window = {"after": "2026-02-10T00:00", "before": "2026-02-20T00:00"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await sign_in(client)
        first = await client.get("/console/runs")
        older = re.search(r'rel="next" href="([^"]+)"', first.text)
        assert older, "no next page"
        cases = {
            "unfiltered (newest 50)": "/console/runs",
            "unfiltered, next page": older.group(1).replace("&amp;", "&"),
            "status=Errored": "/console/runs?status=Errored",
            "account + status=Errored + 10-day window": "/console/runs?"
            + urlencode({"account": found["account"], "status": "Errored", **window}),
            "account + status=Stopped + 10-day window": "/console/runs?"
            + urlencode({"account": found["account"], "status": "Stopped", **window}),
            "cycle": "/console/runs?" + urlencode({"cycle": found["cycle"]}),
            "status=Waiting (rare) + 10-day window": "/console/runs?"
            + urlencode({"status": "Waiting", **window}),
        }
        results = []
        for name, path in cases.items():
            median, p95, rows = await timed(client, path, count)
            results.append((name, median, p95, rows))
    await services.close()
    return results


def _conninfo(admin_url: str) -> str:
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"junction_runs_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), name


def _drop_postgres(admin_url: str, name: str) -> None:
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("JUNCTION_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to make a new database on; default: SQLite only",
    )
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        backends.append(("PostgreSQL", args.postgres))
    print(
        "command: uv run python bench/runs_page_bench.py "
        f"--transactions {args.transactions} --requests {args.requests}"
        + (" --postgres URL" if args.postgres else "")
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for label, admin_url in backends:
        with tempfile.TemporaryDirectory() as folder:
            dropped = None
            url = None
            if admin_url:
                url, dropped = _postgres_database(admin_url)
            try:
                settings = Settings(data_dir=Path(folder), database_url=url, log_level="warning")
                migrate.upgrade(settings.resolved_database_url)
                services = build_services(settings)
                results = asyncio.run(measure(services, args.transactions, args.requests))
            finally:
                if admin_url and dropped:
                    _drop_postgres(admin_url, dropped)
        print(f"\n{label}, {args.transactions:,} transactions, {args.requests} requests a case")
        print(f"{'case':<44} {'median ms':>10} {'p95 ms':>8} {'rows':>5}")
        for name, median, p95, rows in results:
            print(f"{name:<44} {median:>10.1f} {p95:>8.1f} {rows:>5}")


if __name__ == "__main__":
    main()
