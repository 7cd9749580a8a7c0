"""Signing in through an OpenID Connect provider in real Chromium, the provider on another
site (127.0.0.2) with a page to click through, as a real one has: the session cookie
(SameSite=Strict) must reach /console at the end of a navigation another site started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.console.test_console_sso import sso_configured
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


def test_signing_in_through_the_provider_in_the_browser(
    junction: Junction, browser: Browser
) -> None:
    problems: dict[str, list[str]] = {}
    with sso_configured(junction, host="127.0.0.2") as provider:
        provider.confirm_in_page = True
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
        page = context.new_page()

        def check(name: str) -> None:
            problems[name] = accessibility_problems(page)
            screenshot(page, name)

        page.goto(f"{junction.base_url}/console")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        check("console-sso-signin")
        page.get_by_role("link", name="Sign in with Example ID").click()
        expect(page.get_by_role("heading", name="Example ID")).to_be_visible()
        assert page.url.startswith(provider.issuer)
        page.get_by_role("link", name="Continue").click()
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        expect(page.get_by_text("ada@example.com (administrator)")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()

        junction.services.settings.console_oidc_email_domains = ["example.com"]
        provider.default_user = "eve"
        page.get_by_role("link", name="Sign in with Example ID").click()
        page.get_by_role("link", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("elsewhere.org may not sign in")
        check("console-sso-refused")
        context.close()
    assert not [p for found in problems.values() for p in found], problems
