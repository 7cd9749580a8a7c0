"""The console's whole journey in real Chromium, as a customer-success person would take it:
import a connector from an OpenAPI file, build a three-step template in the builder, test-run
the draft, publish it, install it into an account and connect the app, activate it, send its
webhook calls, watch the runs, break the target API, find the incident, fix the target,
replay, and see every run Completed. A viewer, signed in beside, is refused every change.
Every page on the way is checked with axe."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from junction.console import users
from junction.utilities import builtin
from tests.console.support import PASSWORD, make_user
from tests.embed.browser import accessibility_problems, chromium, screenshot
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
    api = ContactsApi(total=0)
    api.start()
    yield api
    api.stop()


def crm_openapi(base_url: str) -> dict[str, object]:
    """The loopback contacts API as its vendor would describe it."""
    contact = {
        "type": "object",
        "required": ["email"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string"},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Signup CRM", "version": "1.0"},
        "servers": [{"url": base_url}],
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": {"Contact": contact},
        },
        "paths": {
            "/contacts": {
                "post": {
                    "operationId": "createContact",
                    "summary": "Create contact",
                    "tags": ["contacts"],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Created",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Contact"}
                                }
                            },
                        }
                    },
                }
            },
            "/statuses": {
                "get": {
                    "operationId": "listStatuses",
                    "summary": "List statuses",
                    "tags": ["reference"],
                    "responses": {"200": {"description": "The statuses"}},
                }
            },
        },
    }


def _until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.25)


def _sign_in(page: Page, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/console/signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_whole_journey_in_the_browser(
    junction: Junction, browser: Browser, saas: ContactsApi, tmp_path: Path
) -> None:
    # The shipped utilities (the Generic Webhook trigger), as `junction serve` adds them.
    junction.run(builtin.register(database=junction.services.database, now=junction.clock()))
    make_user(junction, "admin", users.ADMINISTRATOR)
    make_user(junction, "vera", users.VIEWER)
    document = tmp_path / "signup-crm.yaml"
    document.write_text(yaml.safe_dump(crm_openapi(saas.base_url)))
    base = junction.base_url

    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str, shot: bool = False) -> None:
        problems[name] = accessibility_problems(page)
        if shot:
            screenshot(page, f"console-journey-{name}")

    _sign_in(page, base, "admin")
    check("home")

    # 1. The connector, from the vendor's OpenAPI file: only the contacts operations.
    page.get_by_role("link", name="Connectors", exact=True).click()
    page.get_by_role("link", name="Import OpenAPI").click()
    page.get_by_label("A file (JSON or YAML)").set_input_files(str(document))
    page.get_by_label("Connector name (optional)").fill("Signup CRM")
    page.get_by_role("button", name="Read the operations").click()
    page.get_by_role("checkbox", name="reference").uncheck()
    page.get_by_role("button", name="Preview").click()
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_visible()
    check("import-preview")
    import_button.click()
    expect(page.get_by_role("status")).to_contain_text("imported with 1 method")
    page.get_by_role("button", name="Make Live").click()
    expect(page.get_by_role("status")).to_contain_text("Live now")
    check("connector")

    # 2. The customer's account, with the app connected.
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Acme")
    page.get_by_label("Id (optional)", exact=True).fill("acme")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("link", name="Connectors", exact=True).last.click()
    page.get_by_label("Connector", exact=True).select_option(label="Signup CRM 1.0")
    page.get_by_role("button", name="Install").click()
    page.get_by_label("Signup CRM API key").fill(API_KEY)
    page.get_by_role("button", name="Try and save").click()
    expect(page.locator(".jn-connector-head .jn-status")).to_have_text("Authenticated")
    check("account-connectors")

    # 3. The template, built in the builder: webhook trigger → decision → POST (and the
    # decision's other exit to a Stop step).
    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_label("Name", exact=True).fill("New signups to the CRM")
    page.get_by_role("button", name="Create template").click()
    page.get_by_role("link", name="Builder").first.click()
    builder = page.url
    page.get_by_label("Find a method or tool").fill("webhook")
    page.get_by_label("Method or tool", exact=True).select_option(label="Webhook · Webhook trigger")
    page.get_by_label("Name (optional)").fill("Signup")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("status")).to_contain_text("Step 'Signup' added.")
    page.goto(builder)
    page.get_by_label("Method or tool", exact=True).select_option(
        label="Decision (True / False exits)"
    )
    page.get_by_label("Name (optional)").fill("Has an email")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("heading", name="Has an email")).to_be_visible()
    page.get_by_label("Field of an earlier step").fill("signup:email")
    page.get_by_label("Comparison").select_option("IsNotEmpty")
    page.get_by_role("button", name="Add condition").click()
    expect(page.get_by_role("status")).to_contain_text("Condition added.")
    page.goto(builder)
    page.get_by_label("Find a method or tool").fill("create contact")
    page.get_by_label("Method or tool", exact=True).select_option(label="Create contact · POST")
    page.get_by_label("Where it goes").select_option(label="After Has an email: True")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("heading", name="Create contact", exact=True)).to_be_visible()
    # The import names each request field from its path (SystemField email → Email).
    for field, source in (("Email", "signup:email"), ("Name", "signup:name")):
        mapping = page.locator(".jn-map", has=page.get_by_role("heading", name=field))
        mapping.get_by_label("Source").select_option("step")
        mapping.get_by_label("Field of an earlier step").fill(source)
        mapping.get_by_role("button", name=f"Save {field}").click()
        expect(page.get_by_role("status")).to_contain_text(f"'{field}' mapped.")
    expect(page.get_by_text("No problems: this step is ready.")).to_be_visible()
    check("builder-step")
    # A decision has both exits: the False one ends at a Stop step.
    page.goto(builder)
    page.get_by_label("Method or tool", exact=True).select_option(label="Stop")
    page.get_by_label("Name (optional)").fill("No email")
    page.get_by_label("Where it goes").select_option(label="After Has an email: False")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("status")).to_contain_text("Step 'No email' added.")
    page.goto(builder)
    expect(page.get_by_text("Needs exactly one")).to_have_count(0)
    # A failed call ends the transaction Errored at once (no retries to wait for).
    page.get_by_label("When a step fails").select_option("Ignore")
    page.get_by_role("button", name="Save settings").click()
    page.goto(builder)
    check("builder", shot=True)

    # 4. A test run of the draft against the account: each step's request and response.
    page.get_by_label("Account").select_option("acme")
    page.get_by_label("Sample trigger data (JSON)").fill(
        '{"email": "test@example.com", "name": "Tess"}'
    )
    page.get_by_role("button", name="Run a test").click()
    expect(page.locator(".jn-builder-head .jn-status")).to_have_text("Completed", timeout=20_000)
    expect(page.get_by_text("test@example.com").first).to_be_attached()
    check("test-run")
    assert [c["email"] for c in saas.state.contacts] == ["test@example.com"]

    # 5. Published, installed into the account, activated.
    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_role("link", name="New signups to the CRM").click()
    page.get_by_role("button", name="Publish release 1").click()
    expect(page.get_by_role("status")).to_contain_text("Live")
    check("template")
    page.goto(f"{base}/console/accounts/acme/cycles")
    page.get_by_label("Template", exact=True).select_option(label="New signups to the CRM")
    page.get_by_role("button", name="Install").click()
    expect(page.get_by_role("status")).to_contain_text("is installed, Paused")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("The cycle is active.")
    check("account-cycles", shot=True)
    webhook_url = page.locator("code.jn-webhook-url").inner_text()
    runs = page.get_by_role("link", name="Runs of New signups to the CRM").get_attribute("href")

    # 6. The app calls the webhook; the runs appear, Completed.
    def send(*emails: str) -> None:
        for email in emails:
            answer = httpx.post(webhook_url, json={"email": email, "name": email.split("@")[0]})
            assert answer.status_code < 300, answer.text

    def shown(status: str) -> int:
        page.goto(f"{base}{runs}&status={status}")
        return page.locator("tbody tr").count()

    send("ann@example.com", "bob@example.com", "cat@example.com")
    _until(lambda: shown("Completed") == 3, "three Completed runs")
    check("runs")

    # 7. The target breaks: the runs end Errored, each with an incident.
    saas.state.fail_next = 1_000
    send("dan@example.com", "eve@example.com")
    _until(lambda: shown("Errored") == 2, "two Errored runs")
    page.get_by_role("link", name="Incidents").click()
    expect(page.locator("tbody tr", has_text="Create contact")).to_have_count(2)
    check("incidents")

    # 8. Fixed, replayed together after a confirmation, all Completed.
    saas.state.fail_next = 0
    shown("Errored")
    for row in page.locator("tbody input[type=checkbox]").all():
        row.check()
    page.get_by_role("button", name="Replay selected…").click()
    # The confirmation is a page of its own: wait for it before axe looks at it.
    confirm = page.get_by_role("button", name="Replay 2 transactions")
    expect(confirm).to_be_visible()
    check("replay")
    confirm.click()
    expect(page.get_by_text("Queued again at the step where each ended")).to_be_visible()
    _until(lambda: shown("Completed") == 5 and shown("Errored") == 0, "five Completed runs")
    check("runs-done", shot=True)
    assert sorted(c["email"] for c in saas.state.contacts) == sorted(
        [
            "ann@example.com",
            "bob@example.com",
            "cat@example.com",
            "dan@example.com",
            "eve@example.com",
            "test@example.com",
        ]
    )

    # 9. A viewer sees the same pages with nothing to change, and a change posted anyway
    # (with the viewer's own valid CSRF token) is refused.
    watcher = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = watcher.new_page()
    _sign_in(page, base, "vera")
    template_path = "/console/templates"
    for path in (
        "/console/connectors",
        template_path,
        "/console/accounts/acme/connectors",
        "/console/accounts/acme/cycles",
        "/console/runs",
        "/console/settings",
    ):
        page.goto(f"{base}{path}")
        assert page.locator("form[method=post]").count() == 1, path  # signing out only
        check(f"viewer {path}")
    csrf = page.locator("input[name=csrf]").first.input_value()
    for path, form in (
        ("/console/accounts/acme/cycles", {"TemplateId": "any"}),
        ("/console/templates", {"Name": "Viewer's"}),
        ("/console/runs/replay", {"id": "any"}),
        ("/console/accounts", {"Name": "Viewer's"}),
    ):
        refused = page.request.post(f"{base}{path}", form={"csrf": csrf, **form})
        assert refused.status == 403, path
    watcher.close()
    context.close()
    assert not [p for found in problems.values() for p in found], problems
