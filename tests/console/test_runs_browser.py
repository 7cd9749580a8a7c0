"""The Runs pages in real Chromium: accessibility, screenshots, the live transaction page and
a replay of several transactions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from junction.console import users
from tests.console.support import PASSWORD, make_user
from tests.console.test_runs_pages import seed_runs
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.fixtures.server import Junction
from tests.reports import seed
from tests.reports.conftest import T0

# SQLite only: the pages are the same on every database (the HTTP tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def test_runs_in_the_browser(junction: Junction, browser: Browser) -> None:
    seeded = seed_runs(junction)
    ids = seeded.ids
    seed.incident(
        junction,
        account_id="acme",
        cycle_id=seeded.orders,
        level="Error",
        created_at=T0 + timedelta(minutes=1),
        transaction_id=ids["errored"],
    )
    make_user(junction, "admin", users.ADMINISTRATOR)

    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = accessibility_problems(page)
        screenshot(page, name)

    page.goto(f"{junction.base_url}/console/signin")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    check("console-runs-list")

    page.get_by_label("Status").select_option("Errored")
    page.get_by_label("Created from (UTC)").fill("2026-03-02T00:00")
    page.get_by_label("Created before (UTC)").fill("2026-03-01T00:00")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("must be later than Created from")).to_be_visible()
    check("console-runs-refused")

    page.goto(f"{junction.base_url}/console/runs/{ids['errored']}")
    page.locator("summary", has_text="Request").first.click()
    expect(page.get_by_text('"email": "ann@example.com"')).to_be_visible()
    check("console-runs-transaction")

    # A running transaction's page asks for its state every 2 seconds.
    with page.expect_request(re.compile(r"/state$"), timeout=10_000):
        page.goto(f"{junction.base_url}/console/runs/{ids['running']}")
    expect(page.get_by_role("status")).to_contain_text("this page follows it")

    page.goto(f"{junction.base_url}/console/runs/incidents")
    expect(page.get_by_role("link", name=ids["errored"][:8])).to_be_visible()
    check("console-runs-incidents")

    page.goto(f"{junction.base_url}/console/runs")
    page.get_by_label(f"Choose {ids['errored']} to replay").check()
    page.get_by_label(f"Choose {ids['stopped']} to replay").check()
    page.get_by_role("button", name="Replay selected…").click()
    expect(page.get_by_role("button", name="Replay 2 transactions")).to_be_visible()
    check("console-runs-replay")
    page.get_by_role("button", name="Replay 2 transactions").click()
    expect(page.get_by_text("Queued again at the step where each ended")).to_be_visible()
    check("console-runs-replayed")
    context.close()
    assert not [p for found in problems.values() for p in found], problems
