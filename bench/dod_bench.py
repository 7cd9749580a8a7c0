"""Data-on-Demand-style calls per second: Runtime.call against plain aiohttp GETs.

Both clients call the same loopback aiohttp server (in its own process, so it does not
share the clients' event loop) with N calls in flight. The runtime does everything a real
call does: request built from a definition (mergefield, query and header parameters, an
API-key header), rate-limit check, guarded connection, redacted exchange, JSON parsed and
mapped onto response fields. The plain client only sends the GET and parses the JSON, so
the ratio is the runtime's cost per call. On a machine with few cores the server competes
with the client for CPU, so the script also reports the runtime's own CPU per call with
the transport stubbed out.

    uv run python bench/dod_bench.py [--calls 20000] [--concurrency 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from junction.connectors.runtime import (
    BuiltRequest,
    CallInput,
    ConnectionContext,
    Credentials,
    HttpClient,
    HttpResponse,
    Runtime,
    RuntimeSettings,
)
from junction.connectors.spec.models import ConnectorDefinition
from junction.connectors.spec.validate import parse_definition

API_KEY = "bench-key-0123456789"


def _serve(port: int) -> None:
    async def contact(request: web.Request) -> web.Response:
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.json_response({"error": "unauthorised"}, status=401)
        contact_id = int(request.match_info["id"])
        return web.json_response(
            {
                "id": contact_id,
                "email": f"person{contact_id}@example.com",
                "name": f"Person {contact_id}",
                "vip": contact_id % 7 == 0,
                "created": "2026-01-02T03:04:05Z",
            }
        )

    app = web.Application()
    app.router.add_get("/contacts/{id}", contact)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the bench server did not start")


async def _drive(calls: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Calls per second with ``concurrency`` calls in flight."""
    numbers = iter(range(calls))

    async def worker() -> None:
        for number in numbers:
            await one(number)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


async def plain_rate(base: str, calls: int, concurrency: int) -> float:
    async with aiohttp.ClientSession() as session:

        async def one(number: int) -> None:
            async with session.get(
                f"{base}/contacts/{number}",
                params={"fields": "all"},
                headers={"X-Api-Key": API_KEY, "Accept": "application/json"},
            ) as response:
                response.raise_for_status()
                await response.json()

        await _drive(min(calls, 500), concurrency, one)  # warm the pool
        return await _drive(calls, concurrency, one)


def _definition(base: str) -> ConnectorDefinition:
    return parse_definition(
        {
            "Name": "Bench",
            "Version": "1",
            "BaseUrl": base,
            "Authentication": [{"Id": "k", "AuthType": "ApiKey", "IsDefault": True}],
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
                        {"ConnectorField": "name", "SystemField": "Name"},
                        {"ConnectorField": "vip", "SystemField": "Vip", "DataType": "Boolean"},
                        {
                            "ConnectorField": "created",
                            "SystemField": "Created",
                            "DataType": "DateTime",
                        },
                    ],
                }
            ],
        }
    )


async def runtime_rate(base: str, calls: int, concurrency: int) -> float:
    definition = _definition(base)
    method = definition.Methods[0]
    context = ConnectionContext(
        key="ac:1",
        properties={},
        credentials=Credentials(auth=definition.Authentication[0], api_key=API_KEY),
    )
    async with Runtime(RuntimeSettings(allow_loopback=True)) as runtime:

        async def one(number: int) -> None:
            result = await runtime.call(
                definition, method, context, CallInput(parameters={"ContactId": str(number)})
            )
            assert result.records[0]["Id"] == number

        await _drive(min(calls, 500), concurrency, one)
        return await _drive(calls, concurrency, one)


class _CannedClient(HttpClient):
    """Answers every request at once with one stored response: the runtime's own CPU cost,
    without the network or the server sharing this machine's cores."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response

    async def send(
        self, request: BuiltRequest, *, max_response_bytes: int | None = None
    ) -> HttpResponse:
        return self.response


async def runtime_overhead(calls: int) -> float:
    """Microseconds of CPU per Runtime.call with the transport stubbed out."""
    definition = _definition("http://127.0.0.1:9")
    method = definition.Methods[0]
    context = ConnectionContext(
        key="ac:1",
        properties={},
        credentials=Credentials(auth=definition.Authentication[0], api_key=API_KEY),
    )
    body = b'{"id": 7, "email": "person7@example.com", "name": "Person 7", "vip": true, '
    body += b'"created": "2026-01-02T03:04:05Z"}'
    headers = CIMultiDictProxy(
        CIMultiDict({"Content-Type": "application/json; charset=utf-8", "Server": "bench"})
    )
    canned = HttpResponse(200, "OK", headers, body, URL("http://127.0.0.1:9/contacts/7"))
    async with Runtime(http=_CannedClient(canned)) as runtime:
        values = CallInput(parameters={"ContactId": "7"})
        for _ in range(1000):
            await runtime.call(definition, method, context, values)
        started = time.process_time()
        for _ in range(calls):
            await runtime.call(definition, method, context, values)
        return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        _wait_for(port)
        base = f"http://127.0.0.1:{port}"
        plain: list[float] = []
        runtime: list[float] = []
        for _ in range(args.rounds):  # alternate, so drift in the machine hits both
            plain.append(asyncio.run(plain_rate(base, args.calls, args.concurrency)))
            runtime.append(asyncio.run(runtime_rate(base, args.calls, args.concurrency)))
    finally:
        server.terminate()
        server.join()

    overhead = asyncio.run(runtime_overhead(args.calls))
    plain_rate_ = statistics.median(plain)
    runtime_rate_ = statistics.median(runtime)
    print(
        f"command: uv run python bench/dod_bench.py --calls {args.calls} "
        f"--concurrency {args.concurrency} --rounds {args.rounds}"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}"
    )
    print(f"calls: {args.calls} per round, {args.concurrency} in flight, median of {args.rounds}")

    def rounds(rates: list[float]) -> str:
        return ", ".join(f"{rate:,.0f}" for rate in rates)

    print(f"plain aiohttp GET: {plain_rate_:,.0f} calls/s  (rounds: {rounds(plain)})")
    print(f"Runtime.call:      {runtime_rate_:,.0f} calls/s  (rounds: {rounds(runtime)})")
    print(f"ratio (runtime / plain): {runtime_rate_ / plain_rate_:.2f}")
    print(f"Runtime.call with the transport stubbed: {overhead:.0f} us of CPU per call")


if __name__ == "__main__":
    main()
