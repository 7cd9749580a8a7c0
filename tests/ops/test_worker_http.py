"""The small app ``junction worker`` serves on JUNCTION_WORKER_PORT: the same three routes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from junction.db import migrate
from junction.dispatch.base import InMemoryDispatcher
from junction.ops.server import ops_app
from junction.services import build_services
from junction.settings import Settings


def test_the_worker_app_serves_health_readiness_and_metrics(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'junction.db'}"
    migrate.upgrade(url)

    async def main() -> dict[str, httpx.Response]:
        dispatcher = InMemoryDispatcher()
        settings = Settings(data_dir=tmp_path, database_url=url, metrics="open")
        services = build_services(settings, dispatcher=dispatcher)
        transport = httpx.ASGITransport(app=ops_app(services))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
                stopped = await client.get("/readyz")
                await dispatcher.start()
                return {
                    "stopped": stopped,
                    "ready": await client.get("/readyz"),
                    "health": await client.get("/healthz"),
                    "metrics": await client.get("/metrics"),
                    "api": await client.get("/v1.0/accounts"),
                }
        finally:
            await services.close()

    answers = asyncio.run(main())
    assert answers["stopped"].status_code == 503
    assert answers["stopped"].json()["Checks"]["Dispatcher"] == "not running"
    assert answers["ready"].status_code == 200, answers["ready"].text
    assert answers["health"].json() == {"Status": "ok"}
    assert "junction_queue_depth" in answers["metrics"].text
    # Only the operations routes: the API is the server's.
    assert answers["api"].status_code == 404
