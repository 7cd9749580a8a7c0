"""Real Chromium for the customer-page journeys: Debian's ``chromium`` driven by Playwright
(nothing is downloaded: Playwright is pointed at the system browser), a stand-in for the
partner's product on another site, and screenshots of each page."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("JUNCTION_TEST_CHROMIUM") or shutil.which("chromium") or ""
# CI installs Chromium and sets this: there, a missing browser fails the run.
REQUIRED = os.environ.get("JUNCTION_TEST_BROWSER_REQUIRED") == "1"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# axe-core from the npm registry (tests/embed/axe/package.json; scripts/test.sh installs it).
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def chromium() -> Iterator[Browser]:
    if not CHROMIUM:
        if REQUIRED:
            pytest.fail("Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> None:
    """Both sizes of the page, into JUNCTION_SCREENSHOT_DIR when it is set (the docs' images
    are made with ``JUNCTION_SCREENSHOT_DIR=docs/images/embed``)."""
    folder = os.environ.get("JUNCTION_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    kept = page.viewport_size
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(folder) / f"{name}-{size}.png"), full_page=True)
    if kept:
        page.set_viewport_size(kept)


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page (which must be in a browser
    context made with ``bypass_csp=True``: the pages' own policy refuses injected scripts)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/embed/axe")
    # A click that submits a form returns before the next page has loaded; axe needs it whole.
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.impact} ${v.id}: ${v.help} `
                          + `(${v.nodes.map(n => n.target).join(", ")})`);
        }"""
    )
    return [str(item) for item in found]


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner app</title></head>
<body>
<h1>Partner app: integrations</h1>
<iframe id="integrations" title="Integrations" src="{url}" width="1100" height="760"></iframe>
<script>
window.received = [];
window.addEventListener("message", function (event) {{
  window.received.push({{origin: event.origin, data: event.data}});
}});
</script>
</body></html>
"""


class HostSite:
    """The partner's product, served from ``localhost`` (another site than Junction's
    ``127.0.0.1``), showing a page that frames a Junction URL."""

    def __init__(self) -> None:
        self.url_to_frame = ""
        # The partner's Marketplace notification endpoint: (headers, body) of each call.
        self.notices: list[tuple[dict[str, str], bytes]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.origin = ""

    async def _page(self, _request: web.Request) -> web.Response:
        return web.Response(text=HOST_PAGE.format(url=self.url_to_frame), content_type="text/html")

    async def _notice(self, request: web.Request) -> web.Response:
        self.notices.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    def start(self) -> str:
        self._thread.start()

        async def serve() -> str:
            app = web.Application()
            app.router.add_get("/", self._page)
            app.router.add_post("/notifications", self._notice)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            return f"http://localhost:{self._runner.addresses[0][1]}"

        self.origin = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        return self.origin

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
