"""The offline demo: ``junction serve --demo`` (or ``JUNCTION_DEMO=true``).

``Demo`` mounts two small third-party apps under ``/demo/`` (``apps.py``), a stand-in for a
partner's product that frames the customer pages (``product.py``, at ``/demo/``) and, once the
server answers, creates the demo data through Junction's public API (``seed.py``), prints
the credentials and ``curl`` lines, and lets the demo CRM create contacts. The engine does
not know about any of it: the demo cycles run like any others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from datetime import datetime

import aiohttp
from fastapi import FastAPI

from junction.clock import Clock
from junction.db.engine import Database
from junction.demo.apps import DemoCrm, mailer_router
from junction.demo.product import product_router
from junction.demo.seed import DemoInfo, banner, follow_address, seed
from junction.demo.state import DemoState
from junction.security.keyring import Keyring
from junction.settings import Settings

log = logging.getLogger("junction.demo")


def _print(text: str) -> None:
    print(text, file=sys.stdout, flush=True)


class Demo:
    """The demo apps of one server, and the start-up work that seeds and then runs them."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database,
        keyring: Keyring,
        clock: Clock,
        now: Callable[[], datetime] | None = None,
        announce: Callable[[str], None] = _print,
    ) -> None:
        self.settings = settings
        self.database = database
        self.keyring = keyring
        self.clock = clock
        self.announce = announce
        self.state = DemoState(settings.data_dir / "demo" / "apps.json")
        self.crm = DemoCrm(
            self.state, interval=settings.demo_contact_interval_seconds, now=now or clock
        )
        self.info: DemoInfo | None = None
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def mount(self, app: FastAPI) -> None:
        app.include_router(self.crm.router)
        app.include_router(mailer_router(self.state))
        app.include_router(product_router(self.settings, self.database, self.clock))

    async def prepare(self) -> None:
        """Before the dispatcher starts: demo data from an earlier start follows this
        server's address (no work may call the demo apps at the old one)."""
        await follow_address(
            database=self.database,
            keyring=self.keyring,
            base_url=self.settings.public_base_url,
            now=self.clock(),
        )

    async def start(self) -> None:
        """Begin in the background: the server is not listening yet when this is called."""
        self.ready = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="junction-demo")

    async def _run(self) -> None:
        base_url = self.settings.public_base_url
        try:
            await self._wait_for_server(base_url)
            self.info = await seed(
                base_url=base_url,
                database=self.database,
                keyring=self.keyring,
                state=self.state,
                clock=self.clock,
                credentials_limit=self.settings.max_client_credentials,
            )
            await self.crm.start()
            self.announce(banner(self.info))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the demo could not be set up")
        finally:
            self.ready.set()

    async def _wait_for_server(self, base_url: str, wait_seconds: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + wait_seconds
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while True:
                try:
                    async with http.get(f"{base_url}/demo/crm") as answer:
                        if answer.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"the server did not answer at {base_url}")
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.crm.stop()


__all__ = ["Demo", "DemoInfo"]
