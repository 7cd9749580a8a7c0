"""The connector pages in real Chromium: accessibility and screenshots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from junction.connectors import library
from junction.console import users
from junction.utilities import builtin
from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import PASSWORD, make_user
from tests.console.test_connectors_pages import mailer_definition
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.fixtures.server import Junction

# SQLite only: the pages are the same on every database (the HTTP tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]

TASKS = Path(__file__).parents[1] / "fixtures" / "openapi" / "tasks-v3.1.yaml"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def test_connectors_in_the_browser(junction: Junction, browser: Browser) -> None:
    partner = junction.http(junction.token())
    for definition in (
        contacts_definition(),
        contacts_definition() | {"Version": "2.0", "ReleaseStatus": "Draft"},
        mailer_definition(),
    ):
        assert partner.post("/v1.0/connectors", json=definition).status_code == 201
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
    page.get_by_role("link", name="Connectors", exact=True).click()
    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()
    check("console-connectors-list")

    page.get_by_role("link", name="Test Mailer", exact=True).click()
    expect(page.get_by_role("heading", name="Partner properties")).to_be_visible()
    page.get_by_label("Value for MailerClientSecret").fill("a secret never shown")
    page.get_by_role("button", name="Save partner properties").click()
    expect(page.get_by_role("status")).to_contain_text("Partner properties saved")
    page.locator("details.jn-method summary").first.click()
    check("console-connectors-release")

    page.goto(f"{junction.base_url}/console/connectors/add")
    broken = contacts_definition() | {"Version": "1 0"}
    del broken["Name"]
    page.get_by_label("Or the definition pasted").fill(json.dumps(broken, indent=2))
    page.get_by_role("button", name="Check and add").click()
    expect(page.get_by_role("alert")).to_contain_text("Field required")
    check("console-connectors-add-refused")

    page.goto(f"{junction.base_url}/console/connectors/import")
    page.get_by_label("A file (JSON or YAML)").set_input_files(str(TASKS))
    page.get_by_label("Connector name (optional)").fill("Tasks")
    page.get_by_role("button", name="Read the operations").click()
    expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="(no tag)").uncheck()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("dl.jn-facts")).to_contain_text("Tasks")
    check("console-connectors-import-choose")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("imported with 2 methods")
    page.get_by_role("button", name="Make Live").click()
    expect(page.get_by_role("status")).to_contain_text("Live now")
    check("console-connectors-imported")
    context.close()
    assert not [p for found in problems.values() for p in found], problems


def test_the_shipped_connectors_in_the_console(junction: Junction, browser: Browser) -> None:
    junction.run(
        builtin.register(
            database=junction.services.database, now=junction.clock(), library_connectors="all"
        )
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
    page.get_by_role("link", name="Connectors", exact=True).click()
    rows = page.locator("table.jn-connectors tbody tr")
    expect(rows).to_have_count(len(library.slugs()) + len(builtin.definitions()))
    # Every shipped connector shows its icon (a data: URI of the shipped SVG, drawn).
    icons = page.locator("td.jn-connector-icon img")
    expect(icons).to_have_count(len(library.slugs()))
    assert all(
        page.evaluate("(img) => img.complete && img.naturalWidth > 0", icon.element_handle())
        for icon in icons.all()
    )
    check("console-connectors-library")
    page.get_by_label("Category").select_option("CRM")
    page.get_by_role("button", name="Search").click()
    crm = [s for s in library.slugs() if "CRM" in library.definition(s)["Categories"]]
    expect(rows).to_have_count(len(crm))
    check("console-connectors-library-crm")
    page.get_by_role("link", name="HubSpot", exact=True).click()
    expect(page.get_by_role("heading", name="Partner properties")).to_be_visible()
    check("console-connectors-library-hubspot")
    context.close()
    assert not [p for found in problems.values() for p in found], problems
