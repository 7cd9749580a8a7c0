"""The overview and the Settings page in real Chromium: accessibility and screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from junction.console import users
from junction.engine.transactions import Status
from tests.console.support import PASSWORD, make_user
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.fixtures.server import Junction
from tests.reports import seed

# SQLite only: the pages are the same on every database (the HTTP tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def _busy_day(junction: Junction) -> None:
    token = junction.token()
    with junction.http(token) as partner:
        assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme Ltd"}).is_success
    with junction.http(token, account="acme") as acme:
        cycle_id = acme.post("/v1.0/cycles", json={"Name": "Contacts to CRM"}).json()["Id"]
    now = junction.clock()
    mix = [Status.COMPLETED] * 6 + [Status.ERRORED, Status.STOPPED]
    for hour in range(24):
        for n in range((hour * 7) % 9 + 1):
            seed.transaction(
                junction,
                account_id="acme",
                cycle_id=cycle_id,
                created_at=now - timedelta(hours=hour, minutes=n),
                status=mix[(hour + n) % len(mix)],
            )
    seed.incident(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        level="Error",
        created_at=now - timedelta(minutes=40),
        short_message="The CRM refused the contact",
    )


def _sign_in(page: Page, junction: Junction) -> None:
    page.goto(f"{junction.base_url}/console")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_the_overview_and_settings_in_the_browser(junction: Junction, browser: Browser) -> None:
    make_user(junction, "admin", users.ADMINISTRATOR)
    _busy_day(junction)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = accessibility_problems(page)
        screenshot(page, name)

    _sign_in(page, junction)
    expect(page.get_by_role("img", name="Transactions per hour by status")).to_be_visible()
    check("console-settings-overview")
    page.get_by_text("The figures, hour by hour").click()
    expect(page.get_by_role("columnheader", name="Hour (UTC)")).to_be_visible()

    page.get_by_role("link", name="Settings").first.click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    page.get_by_label("Description of a new credential set").fill("Production backend")
    page.get_by_role("button", name="Create credential set").click()
    expect(page.get_by_role("status")).to_contain_text("Copy its secret now")
    check("console-settings-created")

    page.goto(f"{junction.base_url}/console/settings")
    page.get_by_role("button", name="Reveal the secret of Production backend").click()
    row = page.get_by_role("row").filter(has_text="Production backend")
    secret = row.locator("span.jn-secret")
    expect(secret).not_to_be_empty()
    assert len(secret.inner_text()) > 20

    page.get_by_label("Sites that may show the customer pages in an iframe").fill(
        "https://app.example.com\nnot an origin"
    )
    page.get_by_role("button", name="Save installation settings").click()
    expect(page.get_by_text("is not an origin like https://app.example.com")).to_be_visible()
    page.get_by_text("is not an origin like").scroll_into_view_if_needed()
    check("console-settings-refused")
    page.get_by_label("Sites that may show the customer pages in an iframe").fill(
        "https://app.example.com"
    )
    page.get_by_role("button", name="Save installation settings").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    check("console-settings-page")

    page.get_by_role("link", name="Edit the appearance").click()
    page.get_by_label("Brand name").fill("Acme Connect")
    page.get_by_label("Buttons and links").fill("#2f5bd3")
    page.get_by_label("Text on buttons").fill("white")
    page.get_by_role("button", name="Save the appearance").click()
    expect(page.get_by_text("Enter a colour like #2f5bd3")).to_be_visible()
    check("console-settings-appearance")
    page.get_by_label("Text on buttons").fill("#ffffff")
    page.get_by_role("button", name="Save the appearance").click()
    expect(page.get_by_role("status")).to_contain_text("The appearance is saved")

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("link", name="Delete Production backend").click()
    expect(page.get_by_role("heading", name="Delete Production backend?")).to_be_visible()
    check("console-settings-delete")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_role("status")).to_contain_text("is deleted")

    context.close()
    assert not [p for found in problems.values() for p in found], problems
