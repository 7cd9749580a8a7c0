"""The template builder in real Chromium: a flow built by clicking, a test run, accessibility
and screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from junction.console import users
from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import PASSWORD, make_user
from tests.embed.browser import accessibility_problems, chromium, screenshot
from tests.engine.hooks import hooks_definition
from tests.fixtures.saas import API_KEY, ContactsApi
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


def test_build_a_flow_in_the_browser(
    junction: Junction, browser: Browser, saas: ContactsApi
) -> None:
    token = junction.token()
    partner = junction.http(token)
    for definition in (contacts_definition(), hooks_definition()):
        assert partner.post("/v1.0/connectors", json=definition).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    contacts = partner.get("/v1.0/connectors/Test Contacts").json()[0]["Id"]
    installed = junction.http(token, account="acme").post(
        f"/v1.0/connectors/{contacts}/install",
        json={"AuthValue": API_KEY, "Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert installed.is_success, installed.text
    template_id = partner.post("/v1.0/templates", json={"Name": "New contacts"}).json()["Id"]
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
    builder = f"{junction.base_url}/console/templates/{template_id}/builder"
    page.goto(builder)
    check("console-builder-empty")

    # The trigger: found by typing, picked from the list.
    page.get_by_label("Find a method or tool").fill("contact created")
    page.get_by_label("Method or tool", exact=True).select_option(
        label="Contact created · Webhook trigger"
    )
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("status")).to_contain_text("Step 'Contact created' added.")
    page.get_by_role("link", name="Builder").click()

    page.get_by_label("Method or tool", exact=True).select_option(
        label="Decision (True / False exits)"
    )
    page.get_by_label("Name (optional)").fill("Has a name")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("heading", name="Has a name")).to_be_visible()
    page.get_by_label("Field of an earlier step").fill("contact-created:Name")
    page.get_by_label("Comparison").select_option("IsNotEmpty")
    page.get_by_role("button", name="Add condition").click()
    expect(page.get_by_role("status")).to_contain_text("Condition added.")
    page.get_by_role("link", name="Builder").click()

    page.get_by_label("Find a method or tool").fill("create contact")
    page.get_by_label("Method or tool", exact=True).select_option(label="Create Contact · POST")
    page.get_by_label("Where it goes").select_option(label="After Has a name: True")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("heading", name="Create Contact", exact=True)).to_be_visible()
    expect(page.get_by_text("Required field 'Email' is not mapped")).to_be_visible()
    page.goto(builder)
    page.get_by_label("Method or tool", exact=True).select_option(label="Stop")
    page.get_by_label("Name (optional)").fill("No name")
    page.get_by_label("Where it goes").select_option(label="After Has a name: False")
    page.get_by_role("button", name="Add step").click()
    page.goto(builder)
    check("console-builder-flow-problems")

    # The step panel: a bad source is refused beside its field, a good one clears the problem.
    page.locator("g[data-href$='/steps/create-contact']").click()
    email = page.locator(".jn-map", has=page.get_by_role("heading", name="Email"))
    email.get_by_label("Source").select_option("step")
    email.get_by_label("Field of an earlier step").fill("create-contact:Id")
    email.get_by_role("button", name="Save Email").click()
    expect(page.get_by_text("does not always run before it")).to_be_visible()
    check("console-builder-step-refused")
    email = page.locator(".jn-map", has=page.get_by_role("heading", name="Email"))
    email.get_by_label("Field of an earlier step").fill("contact-created:Email")
    page.evaluate("window.stillHere = true")
    email.get_by_role("button", name="Save Email").click()
    expect(page.get_by_text("No problems: this step is ready.")).to_be_visible()
    # Checked again and shown without reloading the page.
    assert page.evaluate("window.stillHere") is True
    check("console-builder-step")
    page.get_by_role("link", name="Builder").click()
    check("console-builder-flow")

    page.get_by_label("Account").select_option("acme")
    page.get_by_label("Sample trigger data (JSON)").fill(
        '{"email": "ada@example.com", "name": "Ada"}'
    )
    page.get_by_role("button", name="Run a test").click()
    expect(page.get_by_role("heading", name="Test run")).to_be_visible()
    expect(page.locator(".jn-builder-head .jn-status")).to_have_text("Completed", timeout=20_000)
    check("console-builder-test-run")
    context.close()
    assert saas.state.contacts[-1]["email"] == "ada@example.com"
    assert not [p for found in problems.values() for p in found], problems
