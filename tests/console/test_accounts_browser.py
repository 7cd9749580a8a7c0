"""The account pages in real Chromium: accessibility and screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from junction.console import users
from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import PASSWORD, make_user
from tests.console.test_accounts_pages import copy_template
from tests.cycles.builders import publish
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.embed.flows import mailing_with_test
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

# SQLite only: the pages are the same on every database (the HTTP tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


def test_accounts_in_the_browser(junction: Junction, browser: Browser, saas: ContactsApi) -> None:
    token = junction.token()
    partner = junction.http(token)
    for definition in (contacts_definition(), mailing_with_test()):
        assert partner.post("/v1.0/connectors", json=definition).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "globex", "Name": "Globex"}).is_success
    template_id = publish(partner, copy_template())
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
    page.get_by_role("link", name="Accounts", exact=True).click()

    page.get_by_label("Name", exact=True).fill("Acme Ltd")
    page.get_by_label("Id (optional)", exact=True).fill("acme")
    page.get_by_label("Time zone (optional)", exact=True).fill("Mars/Base")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("is not an IANA time zone name")).to_be_visible()
    check("console-accounts-refused")
    page.get_by_label("Time zone (optional)", exact=True).fill("Europe/London")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Account Acme Ltd created.")

    page.get_by_label("User name").fill("ann")
    page.get_by_role("button", name="Add user").click()
    page.get_by_label("Name", exact=True).last.fill("Acme EU")
    page.get_by_role("button", name="Create sub-account").click()
    expect(page.get_by_role("heading", name="Acme EU")).to_be_visible()
    page.goto(f"{junction.base_url}/console/accounts/acme")
    check("console-accounts-account")
    page.goto(f"{junction.base_url}/console/accounts")
    check("console-accounts-list")

    account = junction.http(token, account="acme")
    assert account.post(f"/v1.0/templates/{template_id}/install").status_code == 200
    page.goto(f"{junction.base_url}/console/accounts/acme/connectors")
    page.get_by_label("Connector", exact=True).select_option(label="Test Mailing 1.0")
    page.get_by_role("button", name="Install").click()
    expect(page.get_by_role("status")).to_contain_text("Test Mailing installed.")
    mailing = page.locator("section", has=page.get_by_role("heading", name="Test Mailing"))
    mailing.get_by_label("Test Mailing API key").fill("wrong-key")
    mailing.get_by_label("API address").fill(saas.base_url)
    mailing.get_by_role("button", name="Try and save").click()
    expect(page.get_by_role("alert").first).to_contain_text("refused these credentials")
    check("console-accounts-connectors")

    page.goto(f"{junction.base_url}/console/accounts/acme/cycles")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot be activated yet")
    check("console-accounts-cycles")
    context.close()
    assert not [p for found in problems.values() for p in found], problems
