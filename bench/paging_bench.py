"""Paging memory: Runtime.pages over 10,000 and 100,000 records, peak memory growth of each.

A loopback API (in its own process, so only the client is measured) serves a contacts list
with page-number paging, 100 records a page. The client walks every page through
``Runtime.pages`` keeping only a running count, as a trigger splitting items into
transactions would. tracemalloc's peak above the starting point shows what paging holds at
once; it should be about one page's worth whatever the number of records.

    uv run python bench/paging_bench.py [--page-size 100] [--totals 10000,100000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import _free_port, _wait_for  # the same loopback helpers

from junction.connectors.runtime import (
    CallInput,
    ConnectionContext,
    Credentials,
    Runtime,
    RuntimeSettings,
)
from junction.connectors.spec.models import ConnectorDefinition
from junction.connectors.spec.validate import parse_definition


def _serve(port: int) -> None:
    async def contacts(request: web.Request) -> web.Response:
        total = int(request.query["total"])
        page, size = int(request.query["page"]), int(request.query["per_page"])
        start, end = (page - 1) * size, min(total, page * size)
        items = [
            {
                "id": i,
                "email": f"person{i}@example.com",
                "name": f"Person {i}",
                "created": "2026-01-02T03:04:05Z",
            }
            for i in range(start, end)
        ]
        return web.json_response({"contacts": items, "meta": {"total": total}})

    app = web.Application()
    app.router.add_get("/contacts", contacts)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _definition(base: str, page_size: int) -> ConnectorDefinition:
    return parse_definition(
        {
            "Name": "Paging bench",
            "Version": "1",
            "BaseUrl": base,
            "Paging": {"InboundPaging": True, "InboundPageSize": page_size, "MaxPages": 100_000},
            "Methods": [
                {
                    "Name": "List Contacts",
                    "MethodUniqueIdentifier": "contacts-list",
                    "Endpoint": "/contacts",
                    "Parameters": [
                        {"TargetType": "QueryString", "TargetName": "total"},
                        {
                            "TargetType": "QueryString",
                            "TargetName": "page",
                            "Value": "CYCLR_PAGE_NUMBER",
                        },
                        {
                            "TargetType": "QueryString",
                            "TargetName": "per_page",
                            "Value": "CYCLR_PAGE_SIZE",
                        },
                    ],
                    "ResponseFields": [
                        {
                            "ConnectorField": "[contacts].id",
                            "SystemField": "Id",
                            "DataType": "Integer",
                        },
                        {"ConnectorField": "[contacts].email", "SystemField": "Email"},
                        {"ConnectorField": "[contacts].name", "SystemField": "Name"},
                        {
                            "ConnectorField": "[contacts].created",
                            "SystemField": "Created",
                            "DataType": "DateTime",
                        },
                    ],
                }
            ],
        }
    )


async def walk(runtime: Runtime, base: str, total: int, page_size: int) -> tuple[int, int, float]:
    """(records seen, pages, seconds) for one paged call."""
    definition = _definition(base, page_size)
    method = definition.Methods[0]
    context = ConnectionContext(key="ac:1", properties={}, credentials=Credentials())
    records = pages = 0
    started = time.perf_counter()
    async for page in runtime.pages(
        definition, method, context, CallInput(parameters={"total": str(total)})
    ):
        pages += 1
        records += len(page.records)
    return records, pages, time.perf_counter() - started


async def measure(
    base: str, totals: list[int], page_size: int
) -> list[tuple[int, int, int, float, int]]:
    results = []
    async with Runtime(RuntimeSettings(allow_loopback=True)) as runtime:
        await walk(runtime, base, 1000, page_size)  # warm up: session, plans, caches
        for total in totals:
            gc.collect()
            tracemalloc.start()
            start, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            records, pages, seconds = await walk(runtime, base, total, page_size)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            results.append((total, records, pages, seconds, peak - start))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--totals", default="10000,100000")
    args = parser.parse_args()
    totals = [int(t) for t in args.totals.split(",")]

    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        _wait_for(port)
        results = asyncio.run(measure(f"http://127.0.0.1:{port}", totals, args.page_size))
    finally:
        server.terminate()
        server.join()

    print(
        f"command: uv run python bench/paging_bench.py --page-size {args.page_size} "
        f"--totals {args.totals}"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}"
    )
    for total, records, pages, seconds, growth in results:
        assert records == total, f"expected {total} records, saw {records}"
        print(
            f"{total:>9,} records, {pages:>5,} pages: peak memory growth {growth / 1024:,.0f} KiB"
            f"  ({seconds:.2f} s, {records / seconds:,.0f} records/s, tracemalloc on)"
        )
    first, last = results[0][4], results[-1][4]
    print(
        f"peak growth ratio ({results[-1][0]:,} vs {results[0][0]:,} records): {last / first:.2f}"
    )


if __name__ == "__main__":
    main()
