"""Data on Demand through Junction's HTTP API, against plain aiohttp calls to the same API.

Three processes share the machine: the loopback "third-party" API, `junction serve`
(SQLite, a fresh data folder), and this client. Each Data on Demand call is a full request:
bearer-token check, account and account-connector look-ups, credentials decrypted, the
runtime's call to the API, and the JSON answer passed back. The plain figure is the same
client calling the API directly, so the ratio is what going through Junction costs. The same
server then answers GET /v1.0/accounts and GET /v1.0/cycles/transactions (partner API
reads: token check, paging and a count) at the same concurrency.

    uv run python bench/dod_api_bench.py [--calls 5000] [--concurrency 50] [--only dod|PATH]

BENCH_PROFILE=FILE.svg (or FILE.txt for collapsed stacks) attaches py-spy to the server for
the measured runs; it slows the server down a little.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import API_KEY, _drive, _free_port, _serve, _wait_for, plain_rate


def _definition(base: str) -> dict[str, object]:
    return {
        "Name": "Bench Contacts",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": base,
        "Authentication": [
            {
                "Id": "key",
                "AuthType": "ApiKey",
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Methods": [
            {
                "Name": "Get Contact",
                "MethodUniqueIdentifier": "contacts-get",
                "Endpoint": "/contacts/{{ContactId}}",
                "Parameters": [
                    {"TargetType": "MergeField", "TargetName": "ContactId"},
                    {"TargetType": "QueryString", "TargetName": "fields", "Value": "all"},
                ],
                "ResponseFields": [
                    {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer"},
                    {"ConnectorField": "email", "SystemField": "Email"},
                ],
            }
        ],
    }


def _credentials(env: dict[str, str]) -> dict[str, str]:
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "junction",
            "credentials",
            "create",
            "--description",
            "bench",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    credentials: dict[str, str] = json.loads(created.stdout)
    return credentials


async def _prepare(junction: str, env: dict[str, str]) -> tuple[str, int]:
    credentials = _credentials(env)
    async with aiohttp.ClientSession(junction) as session:
        async with session.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["ClientId"],
                "client_secret": credentials["ClientSecret"],
            },
        ) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(
            "/v1.0/accounts", json={"Id": "bench", "Name": "Bench"}, headers=headers
        ):
            pass
        upstream = env["BENCH_UPSTREAM"]
        async with session.post(
            "/v1.0/connectors", json=_definition(upstream), headers=headers
        ) as r:
            connector = (await r.json())["Id"]
        async with session.post(
            f"/v1.0/connectors/{connector}/install",
            json={"AuthValue": API_KEY},
            headers=headers | {"X-Cyclr-Account": "bench"},
        ) as r:
            account_connector = (await r.json())["Id"]
    return token, account_connector


async def junction_rate(junction: str, token: str, ac: int, calls: int, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {token}", "X-Cyclr-Account": "bench"}
    path = f"/v1.0/account/connectors/{ac}/methods/contacts-get"
    async with aiohttp.ClientSession(junction, headers=headers) as session:

        async def one(number: int) -> None:
            body = {"Parameters": {"ContactId": number}}
            async with session.post(path, json=body) as response:
                if response.status != 200:
                    raise SystemExit(
                        f"Data on Demand answered {response.status}: {await response.text()}"
                    )
                await response.json()

        await _drive(min(calls, 200), concurrency, one)  # warm up
        return await _drive(calls, concurrency, one)


async def read_rate(junction: str, token: str, path: str, calls: int, concurrency: int) -> float:
    """GETs of a partner API list (``X-Cyclr-Account`` names the account for account paths)."""
    headers = {"Authorization": f"Bearer {token}", "X-Cyclr-Account": "bench"}
    async with aiohttp.ClientSession(junction, headers=headers) as session:

        async def one(_number: int) -> None:
            async with session.get(path) as response:
                if response.status != 200:
                    raise SystemExit(f"GET {path} answered {response.status}")
                await response.read()

        await _drive(min(calls, 200), concurrency, one)  # warm up
        return await _drive(calls, concurrency, one)


READ_PATHS = ("/v1.0/accounts", "/v1.0/cycles/transactions")


def _profile(pid: int) -> subprocess.Popen[bytes] | None:
    """With BENCH_PROFILE=FILE, py-spy samples the server from here on: a flame graph
    (FILE.svg) or collapsed stacks, one line per stack (FILE.txt)."""
    profile = os.environ.get("BENCH_PROFILE")
    if not profile:
        return None
    raw = ["--format", "raw"] if profile.endswith(".txt") else []
    command = ["py-spy", "record", "--pid", str(pid), "-o", profile, *raw]
    profiler = subprocess.Popen(command)  # noqa: S603 - our own command line
    time.sleep(1)  # let it attach
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database; default: SQLite"
    )
    parser.add_argument(
        "--only",
        choices=("dod", *READ_PATHS),
        default=None,
        help="measure one part (a profile of it alone, say); default: all",
    )
    args = parser.parse_args()

    upstream_port, junction_port = _free_port(), _free_port()
    server = multiprocessing.Process(target=_serve, args=(upstream_port,), daemon=True)
    server.start()
    _wait_for(upstream_port)
    upstream = f"http://127.0.0.1:{upstream_port}"
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUNCTION_")}
        env |= {
            "JUNCTION_DATA_DIR": folder,
            "JUNCTION_PORT": str(junction_port),
            "JUNCTION_OUTBOUND_ALLOW_LOOPBACK": "true",
            "JUNCTION_LOG_LEVEL": "warning",
            "BENCH_UPSTREAM": upstream,
        }
        if args.database_url:
            env["JUNCTION_DATABASE_URL"] = args.database_url
        command = [sys.executable, "-m", "junction", "serve"]
        junction = subprocess.Popen(command, env=env)  # noqa: S603 - our own command line
        profiler: subprocess.Popen[bytes] | None = None
        try:
            _wait_for(junction_port)
            profiler = _profile(junction.pid)
            base = f"http://127.0.0.1:{junction_port}"
            token, ac = asyncio.run(_prepare(base, env))
            through = (
                asyncio.run(junction_rate(base, token, ac, args.calls, args.concurrency))
                if args.only in (None, "dod")
                else None
            )
            reads = {
                path: asyncio.run(read_rate(base, token, path, args.calls, args.concurrency))
                for path in READ_PATHS
                if args.only in (None, path)
            }
            plain = asyncio.run(plain_rate(upstream, args.calls, args.concurrency))
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(60)
            junction.terminate()
            junction.wait(20)
            server.terminate()
    print(
        "command: uv run python bench/dod_api_bench.py "
        f"--calls {args.calls} --concurrency {args.concurrency}"
        + (f" --only {args.only}" if args.only else "")
        + (f" --database-url {args.database_url}" if args.database_url else "")
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    print(f"plain aiohttp GET to the API:        {plain:8,.0f} calls/s")
    if through is not None:
        print(f"Data on Demand through Junction:     {through:8,.0f} calls/s")
        print(f"ratio (Junction / plain):            {through / plain:8.2f}")
    for path, rate in reads.items():
        print(f"GET {path + ':':32}{rate:8,.0f} requests/s")
    time.sleep(0)


if __name__ == "__main__":
    main()
