"""Webhook → map → POST cycles through `junction serve`, against plain aiohttp POSTs.

Three processes share the machine: a loopback "target" API (aiohttp, its own process) that
records when it receives each item, `junction serve` (SQLite in a fresh data folder unless
--database-url says otherwise), and this client. The client sends N webhook calls
(``{"item": n}``), a fixed number in flight, to a cycle whose trigger is the webhook and
whose one action POSTs the mapped item to the target. Figures:

- transactions per second: N over the time from the first webhook sent to the last item
  received by the target;
- latency: from sending an item's webhook to the target receiving that item (p50, p99);
- the webhook call's own answer time (stored and acknowledged), and the time until the
  reports API shows all N transactions Completed;
- how fast the rest reached the target once every call had been acknowledged (the engine
  alone), and the latency of a webhook sent on its own to an idle server;
- Junction's CPU time per transaction (user + system, from /proc).

"The bare limit" is the same client POSTing the same N items with the same concurrency
directly to the same target: what the machine does with no integration platform between.

    uv run python bench/webhook_cycle.py [--webhooks 2000] [--concurrency 32] [--workers 16]

--lock-stats also reports how long the server waited for and held SQLite's write lock
(bench/lock_probe). BENCH_PROFILE=FILE.svg (or FILE.txt for collapsed stacks) attaches
py-spy to the server for the measured run. Both slow the server down a little.
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_api_bench import _credentials, _profile
from dod_bench import API_KEY, _drive, _free_port, _wait_for  # the same loopback helpers

LONE_WEBHOOKS = 25


def _serve_target(
    port: int, delay: float, expected: Callable[[int], dict[str, Any]] | None = None
) -> None:
    """POST /items records (item, receive time) and answers 201; GET /received lists them;
    DELETE /received forgets them. Times are time.monotonic(), shared by the processes.
    With ``expected`` (item → the body it should arrive as), GET /mismatches lists the
    bodies that differed from it."""
    received: list[tuple[int, float]] = []
    mismatches: list[Any] = []

    async def create(request: web.Request) -> web.Response:
        at = time.monotonic()
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        item = body["item"]
        received.append((item, at))
        if expected is not None and body != expected(item):
            mismatches.append(body)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response({"id": item}, status=201)

    async def listing(_request: web.Request) -> web.Response:
        return web.json_response(received)

    async def forget(_request: web.Request) -> web.Response:
        received.clear()
        mismatches.clear()
        return web.json_response({})

    async def mismatched(_request: web.Request) -> web.Response:
        return web.json_response(mismatches)

    app = web.Application()
    app.router.add_post("/items", create)
    app.router.add_get("/received", listing)
    app.router.add_delete("/received", forget)
    app.router.add_get("/mismatches", mismatched)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _connectors(target: str) -> list[dict[str, Any]]:
    hooks = {
        "Name": "Bench Hooks",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": "https://hooks.example.com",
        "Methods": [
            {
                "Name": "Item sent",
                "MethodUniqueIdentifier": "item-hook",
                "MethodType": "Webhook",
                "Endpoint": "/hooks",
                "ResponseFields": [
                    {"ConnectorField": "item", "SystemField": "Item", "DataType": "Integer"}
                ],
            }
        ],
    }
    items = {
        "Name": "Bench Items",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": target,
        "Authentication": [
            {
                "Id": "key",
                "AuthType": "ApiKey",
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Methods": [
            {
                "Name": "Create item",
                "MethodUniqueIdentifier": "item-create",
                "HttpMethod": "POST",
                "Endpoint": "/items",
                "RequestFields": [
                    {"ConnectorField": "item", "SystemField": "Item", "DataType": "Integer"}
                ],
                "ResponseFields": [
                    {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer"}
                ],
            }
        ],
    }
    return [hooks, items]


_TEMPLATE: dict[str, Any] = {
    "Name": "Bench webhook to POST",
    "Steps": [
        {
            "Key": "hook",
            "Name": "Item sent",
            "ConnectorName": "Bench Hooks",
            "MethodUniqueIdentifier": "item-hook",
        },
        {
            "Key": "create",
            "Name": "Create item",
            "ConnectorName": "Bench Items",
            "MethodUniqueIdentifier": "item-create",
            "FieldMappings": [
                {
                    "Name": "Item",
                    "MappingType": "StepData",
                    "SourceStepKey": "hook",
                    "SourceField": "Item",
                }
            ],
        },
    ],
    "Edges": [{"TailStepKey": "hook", "HeadStepKey": "create"}],
}


async def _call(
    session: aiohttp.ClientSession, method: str, path: str, expect: tuple[int, ...], **kw: Any
) -> Any:
    async with session.request(method, path, **kw) as response:
        if response.status not in expect:
            raise SystemExit(f"{method} {path} answered {response.status}: {await response.text()}")
        return await response.json()


async def _prepare(
    junction: str,
    env: dict[str, str],
    target: str,
    connectors: list[dict[str, Any]] | None = None,
    template_definition: dict[str, Any] | None = None,
) -> tuple[str, str, str]:
    """An active webhook → POST cycle; the token, the cycle id and the webhook URL.
    ``connectors`` and ``template_definition`` replace the ones here (same connector names)."""
    credentials = _credentials(env)
    async with aiohttp.ClientSession(junction) as session:
        token = (
            await _call(
                session,
                "POST",
                "/oauth/token",
                (200,),
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials["ClientId"],
                    "client_secret": credentials["ClientSecret"],
                },
            )
        )["access_token"]
        partner = {"Authorization": f"Bearer {token}"}
        account = partner | {"X-Cyclr-Account": "bench"}
        await _call(
            session,
            "POST",
            "/v1.0/accounts",
            (200,),
            json={"Id": "bench", "Name": "Bench"},
            headers=partner,
        )
        for definition in connectors or _connectors(target):
            await _call(
                session, "POST", "/v1.0/connectors", (201,), json=definition, headers=partner
            )
        template = await _call(
            session,
            "POST",
            "/v1.0/templates",
            (201,),
            json=template_definition or _TEMPLATE,
            headers=partner,
        )
        await _call(
            session,
            "PUT",
            f"/v1.0/templates/{template['Id']}/releases/1/status",
            (200,),
            json={"Status": "Live"},
            headers=partner,
        )
        cycle = await _call(
            session,
            "POST",
            f"/v1.0/templates/{template['Id']}/install",
            (200, 201),
            json={},
            headers=account,
        )
        for connector in cycle["Connectors"]:
            if connector["Name"] == "Bench Items":
                await _call(
                    session,
                    "PUT",
                    f"/v1.0/account/connectors/{connector['AccountConnectorId']}",
                    (200,),
                    json={"AuthValue": API_KEY},
                    headers=account,
                )
        activated = await _call(
            session,
            "PUT",
            f"/v1.0/cycles/{cycle['Id']}/activate",
            (200,),
            json={},
            headers=account,
        )
    return token, cycle["Id"], activated["Webhooks"][0]["Url"]


async def _received(target: str) -> list[tuple[int, float]]:
    async with aiohttp.ClientSession() as session, session.get(f"{target}/received") as r:
        return [(item, at) for item, at in await r.json()]


async def _forget(target: str) -> None:
    async with aiohttp.ClientSession() as session, session.delete(f"{target}/received"):
        pass


async def _until_received(target: str, count: int, within: float) -> list[tuple[int, float]]:
    deadline = time.monotonic() + within
    while True:
        got = await _received(target)
        if len({item for item, _ in got}) >= count:
            return got
        if time.monotonic() > deadline:
            raise SystemExit(f"the target received {len(got)} of {count} items in time")
        await asyncio.sleep(0.05)


async def _completed(junction: str, token: str, cycle_id: str, status: str = "Completed") -> int:
    headers = {"Authorization": f"Bearer {token}", "X-Cyclr-Account": "bench"}
    async with (
        aiohttp.ClientSession(junction, headers=headers) as session,
        session.get(
            f"/v1.0/cycles/{cycle_id}/transactions", params={"status": status, "pageSize": "1"}
        ) as r,
    ):
        return int(r.headers["Total-Records"])


async def _until_completed(junction: str, token: str, cycle_id: str, count: int) -> None:
    deadline = time.monotonic() + 600
    while True:
        done = await _completed(junction, token, cycle_id)
        if done >= count:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{done} of {count} transactions Completed in time")
        await asyncio.sleep(0.05)


async def _send(
    count: int, concurrency: int, post: Callable[[aiohttp.ClientSession, int], Awaitable[None]]
) -> tuple[dict[int, float], dict[int, float], float]:
    """Send items 0..count-1; (send times, answer times, first send time)."""
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(item: int) -> None:
            sent[item] = time.monotonic()
            await post(session, item)
            answered[item] = time.monotonic()

        first = time.monotonic()
        await _drive(count, concurrency, one)
    return sent, answered, first


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _latencies(sent: dict[int, float], received: list[tuple[int, float]]) -> list[float]:
    first: dict[int, float] = {}
    for item, at in received:
        first.setdefault(item, at)
    return [first[item] - sent[item] for item in sent]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _lone(
    target: str, post: Callable[[aiohttp.ClientSession, int], Awaitable[None]], count: int
) -> list[float]:
    """Latencies of webhooks sent one at a time to an otherwise idle server."""
    latencies = []
    async with aiohttp.ClientSession() as session:
        for number in range(count):
            item = 1_000_000 + number
            await asyncio.sleep(0.2)
            sent = time.monotonic()
            await post(session, item)
            got = await _until_received(target, 1, 30)
            latencies.append(got[0][1] - sent)
            await _forget(target)
    return latencies


def _lock_stats(env: dict[str, str], pid: int) -> tuple[list[float], list[float]] | None:
    """The server's write-lock waits and holds so far (bench/lock_probe), or None."""
    prefix = env.get("BENCH_LOCK_STATS")
    if not prefix:
        return None
    time.sleep(1.5)  # the probe writes its file every second
    data = json.loads(Path(f"{prefix}.{pid}.json").read_text())
    return data["waits"], data["holds"]


async def junction_run(
    junction: str, target: str, env: dict[str, str], pid: int, args: argparse.Namespace
) -> dict[str, Any]:
    token, cycle_id, url = await _prepare(junction, env, target)

    async def post(session: aiohttp.ClientSession, item: int) -> None:
        async with session.post(url, json={"item": item}) as response:
            if response.status != 200:
                raise SystemExit(f"the webhook answered {response.status}: {await response.text()}")
            await response.read()

    warm = min(args.webhooks, 200)
    await _send(warm, args.concurrency, post)
    await _until_received(target, warm, 60)
    await _until_completed(junction, token, cycle_id, warm)
    await _forget(target)
    lone = await _lone(target, post, LONE_WEBHOOKS)
    await _until_completed(junction, token, cycle_id, warm + LONE_WEBHOOKS)

    locks_before = _lock_stats(env, pid)
    profiler = _profile(pid)
    cpu_before = _cpu_seconds(pid)
    sent, answered, first = await _send(args.webhooks, args.concurrency, post)
    accepted_at = time.monotonic()
    received = await _until_received(target, args.webhooks, 600)
    cpu_after = _cpu_seconds(pid)
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        profiler.wait(60)
    await _until_completed(junction, token, cycle_id, warm + LONE_WEBHOOKS + args.webhooks)
    all_completed = time.monotonic()
    locks_after = _lock_stats(env, pid)
    locks = None
    if locks_before is not None and locks_after is not None:
        waits = locks_after[0][len(locks_before[0]) :]
        holds = locks_after[1][len(locks_before[1]) :]
        locks = {
            "count": len(holds),
            "wait_p50": _percentile(waits, 0.5),
            "wait_p90": _percentile(waits, 0.9),
            "wait_p99": _percentile(waits, 0.99),
            "hold_p50": _percentile(holds, 0.5),
            "hold_p99": _percentile(holds, 0.99),
            "held": sum(holds),
            "span": all_completed - first,
        }
    errored = await _completed(junction, token, cycle_id, "Errored")
    if errored:
        raise SystemExit(f"{errored} transactions ended Errored")
    last = max(at for _, at in received)
    latencies = _latencies(sent, received)
    answers = [answered[item] - sent[item] for item in sent]
    # Once every call was acknowledged, only the engine is left working.
    after = sorted(at for _, at in received if at > accepted_at)
    return {
        "rate": args.webhooks / (last - first),
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "accept_rate": args.webhooks / (accepted_at - first),
        "answer_p50": _percentile(answers, 0.5),
        "answer_p99": _percentile(answers, 0.99),
        "lone_p50": _percentile(lone, 0.5),
        "lone_max": max(lone),
        "completed_after": all_completed - first,
        "received_by_then": len(received) - len(after),
        "drain_rate": len(after) / (after[-1] - accepted_at) if len(after) > 1 else None,
        "duplicates": len(received) - args.webhooks,
        "locks": locks,
        "cpu_ms": None
        if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) / args.webhooks * 1000,
    }


async def plain_run(target: str, args: argparse.Namespace) -> dict[str, Any]:
    headers = {"X-Api-Key": API_KEY}

    async def post(session: aiohttp.ClientSession, item: int) -> None:
        async with session.post(f"{target}/items", json={"item": item}, headers=headers) as r:
            if r.status != 201:
                raise SystemExit(f"the target answered {r.status}")
            await r.read()

    await _send(min(args.webhooks, 500), args.concurrency, post)  # warm up
    await _forget(target)
    sent, _, first = await _send(args.webhooks, args.concurrency, post)
    received = await _until_received(target, args.webhooks, 60)
    last = max(at for _, at in received)
    latencies = _latencies(sent, received)
    return {
        "rate": args.webhooks / (last - first),
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
    }


def junction_env(
    folder: str, port: int, workers: int, account_limit: int, database_url: str | None = None
) -> dict[str, str]:
    """The environment of a bench `junction serve` (and its workers): this one without any
    JUNCTION_* of the caller's, a fresh data folder, loopback calls allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUNCTION_")}
    env |= {
        "JUNCTION_DATA_DIR": folder,
        "JUNCTION_PORT": str(port),
        "JUNCTION_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "JUNCTION_OUTBOUND_ALLOW_LOOPBACK": "true",
        "JUNCTION_LOG_LEVEL": "warning",
        "JUNCTION_WORKER_CONCURRENCY": str(workers),
        "JUNCTION_ACCOUNT_CONCURRENCY_LIMIT": str(account_limit),
    }
    if database_url:
        env["JUNCTION_DATABASE_URL"] = database_url
    return env


def _command(args: argparse.Namespace) -> str:
    command = (
        f"uv run python bench/webhook_cycle.py --webhooks {args.webhooks} "
        f"--concurrency {args.concurrency} --workers {args.workers}"
    )
    if args.account_limit != args.workers:
        command += f" --account-limit {args.account_limit}"
    if args.target_delay_ms:
        command += f" --target-delay-ms {args.target_delay_ms:g}"
    if args.database_url:
        command += f" --database-url {args.database_url}"
    if args.lock_stats:
        command += " --lock-stats"
    return command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=2000, help="webhook calls (N)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument(
        "--workers", type=int, default=16, help="JUNCTION_WORKER_CONCURRENCY (default 16)"
    )
    parser.add_argument(
        "--account-limit",
        type=int,
        default=None,
        help="JUNCTION_ACCOUNT_CONCURRENCY_LIMIT; default: --workers (all work is one account)",
    )
    parser.add_argument(
        "--target-delay-ms", type=float, default=0, help="the target answers this late"
    )
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database; default: SQLite"
    )
    parser.add_argument(
        "--lock-stats",
        action="store_true",
        help="time SQLite's write lock in the server (bench/lock_probe; SQLite only)",
    )
    args = parser.parse_args()
    if args.lock_stats and args.database_url:
        parser.error("--lock-stats measures SQLite's lock; leave out --database-url")
    if args.account_limit is None:
        args.account_limit = args.workers

    target_port, junction_port = _free_port(), _free_port()
    target_server = multiprocessing.Process(
        target=_serve_target, args=(target_port, args.target_delay_ms / 1000), daemon=True
    )
    target_server.start()
    _wait_for(target_port)
    target = f"http://127.0.0.1:{target_port}"
    junction = f"http://127.0.0.1:{junction_port}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            env = junction_env(
                folder, junction_port, args.workers, args.account_limit, args.database_url
            )
            if args.lock_stats:
                probe = str(Path(__file__).resolve().parent / "lock_probe")
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [probe, env.get("PYTHONPATH")]))
                env["BENCH_LOCK_STATS"] = str(Path(folder) / "locks")
            command = [sys.executable, "-m", "junction", "serve"]
            server = subprocess.Popen(command, env=env)  # noqa: S603 - our own command line
            try:
                _wait_for(junction_port)
                through = asyncio.run(junction_run(junction, target, env, server.pid, args))
            finally:
                server.terminate()
                server.wait(30)
        plain = asyncio.run(plain_run(target, args))
    finally:
        target_server.terminate()
        target_server.join()

    print(f"command: {_command(args)}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, aiohttp {aiohttp.__version__}"
    )
    print(
        f"database: {'PostgreSQL' if args.database_url else 'SQLite (WAL, synchronous=NORMAL)'}; "
        f"workers {args.workers}, per-account limit {args.account_limit}; "
        f"{args.webhooks} items, {args.concurrency} in flight; "
        f"target delay {args.target_delay_ms:g} ms"
    )
    ms = 1000
    print()
    print("| path | items/s | p50 latency | p99 latency |")
    print("|---|---|---|---|")
    print(
        f"| webhook → Junction → POST to the target | {through['rate']:,.0f} "
        f"| {through['p50'] * ms:,.1f} ms | {through['p99'] * ms:,.1f} ms |"
    )
    print(
        f"| plain aiohttp POST to the target (the bare limit) | {plain['rate']:,.0f} "
        f"| {plain['p50'] * ms:,.1f} ms | {plain['p99'] * ms:,.1f} ms |"
    )
    print()
    print(f"ratio (Junction / bare limit): {through['rate'] / plain['rate']:.3f}")
    print(
        f"webhook calls acknowledged: {through['accept_rate']:,.0f}/s, answer time "
        f"p50 {through['answer_p50'] * ms:,.1f} ms, p99 {through['answer_p99'] * ms:,.1f} ms"
    )
    print(
        f"one webhook at a time ({LONE_WEBHOOKS}, idle server): webhook to target "
        f"p50 {through['lone_p50'] * ms:,.1f} ms, max {through['lone_max'] * ms:,.1f} ms"
    )
    print(
        f"when the last call was acknowledged the target had {through['received_by_then']} "
        "items; the rest came at "
        + (f"{through['drain_rate']:,.0f}/s" if through["drain_rate"] else "-")
    )
    print(
        f"all {args.webhooks} transactions Completed "
        f"{through['completed_after']:.2f} s after the first send"
    )
    if through["cpu_ms"] is not None:
        print(f"junction serve CPU: {through['cpu_ms']:.2f} ms per transaction")
    print(f"items the target received more than once: {through['duplicates']}")
    locks = through["locks"]
    if locks is not None:
        print(
            f"SQLite write lock: {locks['count']:,} write transactions "
            f"({locks['count'] / args.webhooks:.1f} per item); waited for p50 "
            f"{locks['wait_p50'] * ms:,.1f} ms, p90 {locks['wait_p90'] * ms:,.1f} ms, "
            f"p99 {locks['wait_p99'] * ms:,.1f} ms; held p50 {locks['hold_p50'] * ms:,.1f} ms, "
            f"p99 {locks['hold_p99'] * ms:,.1f} ms, {locks['held']:.1f} s in all over "
            f"{locks['span']:.1f} s"
        )


if __name__ == "__main__":
    main()
