"""The template pages in real Chromium: accessibility and screenshots."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from junction.console import users
from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import PASSWORD, make_user
from tests.cycles.builders import life_template, mailing_definition, publish
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


def test_templates_in_the_browser(junction: Junction, browser: Browser) -> None:
    token = junction.token()
    partner = junction.http(token)
    for definition in (contacts_definition(), mailing_definition()):
        assert partner.post("/v1.0/connectors", json=definition).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    template_id = publish(partner, life_template() | {"Tags": ["Mailing", "CRM"]})
    account = junction.http(token, account="acme")
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    assert account.put(
        f"/v1.0/cycles/{cycle['Id']}/variables/Domain", json={"Value": "acme.test"}
    ).is_success
    second = copy.deepcopy(life_template()) | {"Tags": ["Mailing", "CRM"]}
    second["Variables"][0]["Value"] = "example.org"
    second["Steps"][3]["Name"] = "Create CRM contact"
    assert partner.post(f"/v1.0/templates/{template_id}/releases", json=second).is_success
    assert partner.put(
        f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"}
    ).is_success
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
    page.get_by_role("link", name="Templates", exact=True).click()

    page.get_by_role("button", name="Create template").click()  # Name is required
    page.get_by_label("Name", exact=True).fill("Invoices to accounting")
    page.get_by_label("Tags (optional)").fill("Finance")
    page.get_by_label("Description (optional)").fill("Each new invoice, booked once.")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("status")).to_contain_text("Template Invoices to accounting created")
    check("console-templates-new")

    page.goto(f"{junction.base_url}/console/templates")
    bad: FilePayload = {"name": "bad.json", "mimeType": "application/json", "buffer": b"{oops"}
    page.get_by_label("Export file").set_input_files(files=[bad])
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("is not valid JSON")
    check("console-templates-list")

    page.goto(f"{junction.base_url}/console/templates/{template_id}")
    page.get_by_role("button", name="Start a new Draft from release 2").click()
    expect(page.get_by_role("status")).to_contain_text("Release 3 is a new Draft")
    page.get_by_role("button", name="Upgrade Contacts to the mailing list in Acme").click()
    expect(page.get_by_role("status")).to_contain_text("1 cycle upgraded")
    check("console-templates-template")

    page.goto(f"{junction.base_url}/console/templates/{template_id}/diff?older=1&newer=2")
    expect(page.get_by_role("heading", name="Steps")).to_be_visible()
    check("console-templates-diff")
    context.close()
    assert not [p for found in problems.values() for p in found], problems
