"""The console's sign-in and first pages in real Chromium: accessibility and screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from junction.console import users
from tests.console.support import PASSWORD, make_user
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.fixtures.server import Junction

# SQLite only: the pages are the same on every database (the HTTP tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def test_signing_in_and_adding_a_user_in_the_browser(junction: Junction, browser: Browser) -> None:
    make_user(junction, "admin", users.ADMINISTRATOR)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = accessibility_problems(page)
        screenshot(page, name)

    page.goto(f"{junction.base_url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check("console-signin")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("wrong password, sorry")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    check("console-overview")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("User name").fill("vic")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("needs at least 12 characters")).to_be_visible()
    check("console-users-refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("vic can sign in now")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()
    assert not [p for found in problems.values() for p in found], problems
