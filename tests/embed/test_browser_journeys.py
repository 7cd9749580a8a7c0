"""The customer's journeys in real Chromium, with Junction framed by a partner's page on
another site: LAUNCH from start to a running integration, ORBIT, and the refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from junction.connectors.calls.oauth import CALLBACK_PATH
from tests.connectors.test_oauth_connectors import oauth_definition
from tests.cycles.builders import publish
from tests.embed.browser import HostSite, accessibility_problems, chromium, screenshot
from tests.embed.flows import mailing_with_test, newsletter_template
from tests.engine.hooks import hooks_definition, wait_for
from tests.fixtures.oauth_provider import OAuthProvider, RegisteredClient
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction

# SQLite only: the pages are the same on every database (the API tests run on both).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture
def host(junction: Junction) -> Iterator[HostSite]:
    site = HostSite()
    origin = site.start()
    settings = junction.services.settings
    kept = settings.embed_frame_ancestors
    settings.embed_frame_ancestors = [origin]
    try:
        yield site
    finally:
        settings.embed_frame_ancestors = kept
        site.stop()


@pytest.fixture
def provider(junction: Junction) -> Iterator[OAuthProvider]:
    with OAuthProvider() as server:
        server.add_client(
            RegisteredClient(
                "junction-app",
                "app-secret",
                redirect_uris=(junction.base_url + CALLBACK_PATH,),
                token_endpoint_auth_method="client_secret_post",
            )
        )
        yield server


def _journey_template() -> dict[str, Any]:
    """The newsletter template, then a call to the OAuth app as the customer's user."""
    document = newsletter_template()
    document["Steps"].append(
        {
            "Key": "me",
            "Name": "Who am I",
            "ConnectorName": "Provider AuthorisationCode",
            "MethodUniqueIdentifier": "me",
        }
    )
    document["Edges"].append({"TailStepKey": "subscribe", "HeadStepKey": "me"})
    return document


def _partner(junction: Junction, provider: OAuthProvider) -> httpx.Client:
    partner = junction.http(junction.token())
    definitions = [
        hooks_definition(),
        mailing_with_test(),
        oauth_definition(provider, "AuthorisationCode"),
    ]
    for definition in definitions:
        added = partner.post("/v1.0/connectors", json=definition)
        assert added.status_code == 201, added.text
    oauth_id = partner.get("/v1.0/connectors/Provider AuthorisationCode").json()[0]["Id"]
    partner.put(
        f"/v1.0/connectors/{oauth_id}/partnerproperties",
        json=[
            {"Name": "OAuthClientId", "Value": "junction-app"},
            {"Name": "OAuthClientSecret", "Value": "app-secret"},
        ],
    ).raise_for_status()
    publish(partner, _journey_template())
    return partner


def _frame(page: Page) -> Frame:
    frame = page.frame(url=re.compile(r"/launch|/orbit"))
    assert frame is not None, [f.url for f in page.frames]
    return frame


def test_launch_in_an_iframe_from_template_to_a_running_integration(
    junction: Junction,
    browser: Browser,
    host: HostSite,
    provider: OAuthProvider,
    saas: ContactsApi,
) -> None:
    partner = _partner(junction, provider)
    launched = partner.post(
        "/v1.0/accounts/acme/launch",
        json={"AccountName": "Acme", "Tags": ["newsletter"], "CompleteParameter": "order-7"},
    )
    assert launched.status_code == 200, launched.text
    host.url_to_frame = launched.json()["LaunchUrl"]

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(host.origin)
    page.wait_for_function("document.querySelector('iframe').contentWindow.length >= 0")
    frame_page = page.frame_locator("#integrations")
    expect(frame_page.get_by_role("heading", name="Set up Newsletter sign-ups")).to_be_visible()
    frame = _frame(page)
    screenshot(page, "launch-in-iframe")

    # The API-key app: a wrong key is refused where it was typed.
    frame.get_by_label("API address").fill(saas.base_url)
    frame.get_by_label("Test Mailing API key").fill("not-the-key")
    frame.get_by_role("button", name="Connect Test Mailing").click()
    expect(frame_page.get_by_role("alert")).to_contain_text("refused these credentials")
    frame = _frame(page)
    frame.get_by_label("API address").fill(saas.base_url)
    frame.get_by_label("Test Mailing API key").fill(API_KEY)
    frame.get_by_role("button", name="Connect Test Mailing").click()
    expect(frame_page.get_by_role("status")).to_contain_text("Test Mailing is connected")

    # The OAuth app: sign-in in a popup, which hands back to the set-up page and closes.
    frame = _frame(page)
    with page.expect_popup() as opened:
        frame.get_by_role("link", name="Sign in to Provider AuthorisationCode").click()
    popup = opened.value
    popup.wait_for_event("close", timeout=15_000)
    expect(frame_page.get_by_role("status")).to_contain_text("Connected")
    assert provider.token_requests["authorization_code"] == 1

    # The customer's choices: a look-up's drop-down and a text box.
    frame = _frame(page)
    frame.get_by_label("Mailing list").select_option("a")
    frame.get_by_label("Source").fill("web form")
    frame.get_by_role("button", name="Save choices").click()
    expect(frame_page.get_by_role("status")).to_contain_text("choices are saved")

    frame = _frame(page)
    frame.get_by_role("button", name="Turn it on").click()
    expect(frame_page.get_by_role("heading", name="All set")).to_be_visible()
    page.wait_for_function("window.received.length > 0")
    received = page.evaluate("window.received")
    assert received[0]["origin"] == junction.base_url
    result = json.loads(received[0]["data"])
    assert result["status"] == "Active"
    assert result["completeParameter"] == "order-7"
    assert result["accountId"] == "acme"

    # The new integration runs: the webhook's address goes to the mailing list, then the
    # OAuth app is called with the customer's token.
    sent = httpx.post(result["webhooks"][0], json={"email": "new@example.com"})
    assert sent.status_code == 200, sent.text
    wait_for(lambda: any("list=a" in r["path"] for r in saas.state.requests))
    wait_for(lambda: any(r.path == "/api/me" for r in provider.api_requests))
    page.close()


def test_a_frame_on_a_site_not_allowed_is_blocked(
    junction: Junction, browser: Browser, provider: OAuthProvider
) -> None:
    partner = _partner(junction, provider)
    site = HostSite()
    site.start()  # not on the allow-list
    try:
        orbit = partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        assert orbit.is_success
        site.url_to_frame = partner.post("/v1.0/accounts/acme/orbit", json={}).json()["OrbitUrl"]
        page = browser.new_page()
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(site.origin)
        page.wait_for_timeout(1000)
        # Chromium refuses to show the frame: it never reaches the ORBIT page.
        assert not any(f.url.endswith("/orbit") for f in page.frames)
        assert any("frame-ancestors" in text for text in blocked), blocked
        page.close()
    finally:
        site.stop()


def test_every_page_passes_the_accessibility_check(
    junction: Junction, browser: Browser, provider: OAuthProvider, saas: ContactsApi
) -> None:
    partner = _partner(junction, provider)
    second = newsletter_template()
    second["Name"] = "Welcome e-mails"
    second["Description"] = "Sends a welcome e-mail to every new customer."
    publish(partner, second)
    launched = partner.post(
        "/v1.0/accounts/acme/launch",
        json={"AccountName": "Acme", "DisplayDescriptions": True},
    ).json()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = accessibility_problems(page)
        screenshot(page, name)

    page.goto(launched["LaunchUrl"])
    expect(page.get_by_role("heading", name="Choose an integration")).to_be_visible()
    check("launch-templates")
    page.get_by_role("button", name="Add Welcome e-mails").click()
    expect(page.get_by_role("heading", name="Set up Welcome e-mails")).to_be_visible()
    check("launch-setup")
    page.get_by_label("API address").fill(saas.base_url)
    page.get_by_label("Test Mailing API key").fill("wrong")
    page.get_by_role("button", name="Connect Test Mailing").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("launch-connect-refused")
    page.get_by_label("API address").fill(saas.base_url)
    page.get_by_label("Test Mailing API key").fill(API_KEY)
    page.get_by_role("button", name="Connect Test Mailing").click()
    page.get_by_label("Mailing list").select_option("a")
    page.get_by_label("Source").fill("web form")
    page.get_by_role("button", name="Save choices").click()
    check("launch-choices")
    cycle_path = page.url.split("?")[0].removeprefix(junction.base_url)
    page.goto(f"{junction.base_url}/launch/oauth-done?cycle=x&status=error&message=access_denied")
    check("launch-oauth-failed")
    page.goto(f"{junction.base_url}{cycle_path}")
    page.get_by_role("button", name="Turn it on").click()
    expect(page.get_by_role("heading", name="All set")).to_be_visible()
    check("launch-complete")
    page.goto(f"{junction.base_url}/orbit")
    check("orbit")
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    mailing = next(
        c["Id"]
        for c in account.get("/v1.0/account/connectors").json()
        if c["Name"] == "Test Mailing"
    )
    token = partner.post("/v1.0/accounts/acme/signintoken", json={}).json()["Token"]
    page.goto(
        f"{junction.base_url}/connectorauth/updateaccountconnectoroauth?id={mailing}"
        f"&token={quote(token)}&targetOrigin={quote('https://app.example.com')}&callbackMessage=ok"
    )
    expect(page.get_by_role("heading", name="Connect Test Mailing")).to_be_visible()
    check("connector-link-start")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Test Mailing API key")).to_be_visible()
    check("connector-link")
    page.get_by_label("Test Mailing API key").fill(API_KEY)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Test Mailing is connected")).to_be_visible()
    check("connector-link-connected")
    page.goto(launched["LaunchUrl"])  # spent already
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    check("sign-in-refused")
    context.close()
    assert not [p for found in problems.values() for p in found], problems


def _launch_set_up(page: Page, saas: ContactsApi) -> None:
    """LAUNCH's set-up page, top level: connect both apps, choose, switch on."""
    page.get_by_label("API address").fill(saas.base_url)
    page.get_by_label("Test Mailing API key").fill(API_KEY)
    page.get_by_role("button", name="Connect Test Mailing").click()
    expect(page.get_by_role("status")).to_contain_text("connected")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Sign in to Provider AuthorisationCode").click()
    opened.value.wait_for_event("close", timeout=15_000)
    expect(page.get_by_role("status")).to_contain_text("Connected")
    page.get_by_label("Mailing list").select_option("a")
    page.get_by_label("Source").fill("web form")
    page.get_by_role("button", name="Save choices").click()
    page.get_by_role("button", name="Turn it on").click()
    expect(page.get_by_role("heading", name="All set")).to_be_visible()


def test_orbit_pauses_reconnects_an_expired_sign_in_and_deletes(
    junction: Junction, browser: Browser, provider: OAuthProvider, saas: ContactsApi
) -> None:
    partner = _partner(junction, provider)
    launched = partner.post("/v1.0/accounts/acme/launch", json={"AccountName": "Acme"}).json()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(launched["LaunchUrl"])
    _launch_set_up(page, saas)
    result = json.loads(page.locator("#jn-result").text_content() or "{}")

    page.get_by_role("link", name="Installed").click()
    card = page.get_by_role("listitem").filter(has_text="Newsletter sign-ups")
    expect(card.get_by_text("Running")).to_be_visible()
    card.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("is paused")
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    assert account.get(f"/v1.0/cycles/{result['cycleId']}").json()["Status"] == "Paused"
    card.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text("running again")

    # The app stops accepting the customer's sign-in: its token expires and cannot be
    # refreshed. The next run finds out, and ORBIT says what to do.
    provider.expire_access_tokens()
    provider.fail_refresh = True
    httpx.post(result["webhooks"][0], json={"email": "late@example.com"}).raise_for_status()
    wait_for(
        lambda: not all(c["Authenticated"] for c in account.get("/v1.0/account/connectors").json())
    )
    page.reload()
    expect(card.get_by_text("needs to be connected again")).to_be_visible()
    screenshot(page, "orbit-reconnect")
    card.get_by_role("link", name="Settings and connections").click()
    provider.fail_refresh = False
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Reconnect").or_(
            page.get_by_role("link", name="Sign in to Provider AuthorisationCode")
        ).click()
    opened.value.wait_for_event("close", timeout=15_000)
    expect(page.get_by_role("status")).to_contain_text("Connected")
    assert all(c["Authenticated"] for c in account.get("/v1.0/account/connectors").json())

    page.get_by_role("link", name="Installed").click()
    expect(card.get_by_text("needs to be connected again")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("is deleted")
    assert account.get(f"/v1.0/cycles/{result['cycleId']}").status_code == 404
    page.close()


def test_refusals_are_clear_pages_that_change_nothing(
    junction: Junction, browser: Browser, provider: OAuthProvider, saas: ContactsApi
) -> None:
    partner = _partner(junction, provider)
    launched = partner.post("/v1.0/accounts/acme/launch", json={"AccountName": "Acme"}).json()
    expired = partner.post("/v1.0/accounts/acme/orbit", json={}).json()
    page = browser.new_page()
    page.goto(launched["LaunchUrl"])
    expect(page.get_by_role("heading", name="Set up Newsletter sign-ups")).to_be_visible()
    cycle_path = page.url.split("?")[0].removeprefix(junction.base_url)

    # A link used twice.
    page.goto(launched["LaunchUrl"])
    expect(page.get_by_role("alert")).to_contain_text("used already")
    # A link past its time.
    junction.clock.advance(timedelta(minutes=10))
    page.goto(expired["OrbitUrl"])
    expect(page.get_by_role("alert")).to_contain_text("expired")
    junction.clock.reset()

    # A form posted without the session's token (from another site, say).
    answer = page.request.post(
        f"{junction.base_url}{cycle_path}/choices", form={"v-Source": "forged"}
    )
    assert answer.status == 403
    assert "form has expired" in answer.text()
    # Another account's integration, with this session's token.
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).is_success
    theirs = partner.post("/v1.0/accounts/other/launch", json={}).json()
    other_page = browser.new_page()
    other_page.goto(theirs["LaunchUrl"])
    expect(other_page.get_by_role("heading", name="Set up Newsletter sign-ups")).to_be_visible()
    other_path = other_page.url.split("?")[0].removeprefix(junction.base_url)
    page.goto(f"{junction.base_url}{cycle_path}")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    answer = page.request.post(
        f"{junction.base_url}{other_path}/choices", form={"csrf": csrf, "v-Source": "forged"}
    )
    assert answer.status == 404
    page.goto(f"{junction.base_url}{other_path}")
    expect(page.get_by_role("alert")).to_contain_text("No cycle")
    screenshot(page, "not-found")
    other_page.reload()
    expect(other_page.get_by_label("Source")).to_have_value("")
    page.close()
    other_page.close()


def _signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    timestamp = headers["X-Junction-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Junction-Signature"], f"sha256={expected.hexdigest()}")


def test_marketplace_installs_and_uninstalls_a_package_and_tells_the_partner(
    junction: Junction,
    browser: Browser,
    host: HostSite,
    provider: OAuthProvider,
    saas: ContactsApi,
) -> None:
    partner = _partner(junction, provider)
    template_id = partner.get("/v1.0/templates").json()[0]["Id"]
    created = partner.post(
        "/v1.0/marketplaces",
        json={
            "Name": "Our integrations",
            "NotificationUrl": f"http://127.0.0.1:{host.origin.rsplit(':', 1)[1]}/notifications",
            "Cards": [
                {"Type": "RichText", "Text": "Connect the apps your team already uses."},
                {
                    "Type": "IntegrationPackage",
                    "Name": "Newsletter sign-ups",
                    "Description": "Every sign-up reaches your mailing list.",
                    "Category": "Marketing",
                    "Tags": ["Email"],
                    "TemplateIds": [template_id],
                    "InstalledMessage": "Sign-ups now reach your list.",
                    "SingleInstallation": True,
                },
            ],
        },
    ).json()
    secret = created["NotificationSigningSecret"]
    deployed = partner.post(
        "/v1.0/accounts/acme/marketplace",
        json={"MarketplaceId": created["Id"], "AccountName": "Acme", "CompleteParameter": "m-1"},
    ).json()
    # Without the pages' own policy, so that axe-core can be injected.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(deployed["MarketplaceUrl"])
    expect(page.get_by_role("heading", name="Marketing")).to_be_visible()
    screenshot(page, "marketplace")
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Install Newsletter sign-ups").click()
    expect(page.get_by_role("heading", name="Set up Newsletter sign-ups")).to_be_visible()
    _launch_set_up(page, saas)
    expect(page.get_by_text("Sign-ups now reach your list.")).to_be_visible()
    screenshot(page, "marketplace-complete")
    assert accessibility_problems(page) == []
    result = json.loads(page.locator("#jn-result").text_content() or "{}")
    assert result["marketplacePackageId"] == 1
    assert result["cycles"][0]["status"] == "Active"
    assert result["completeParameter"] == "m-1"

    wait_for(lambda: len(host.notices) == 1)
    headers, body = host.notices[0]
    assert _signed(secret, headers, body)
    installed = json.loads(body)
    assert installed["Status"] == "installed"
    assert installed["AccountApiId"] == "acme"
    assert installed["MarketplaceIntegrationPackageId"] == 1
    assert installed["CompleteParameter"] == "m-1"
    details = installed["MarketplaceInstallDetails"]
    assert details[0]["CycleId"] == result["cycles"][0]["cycleId"]
    assert details[0]["CycleStatus"] == "Active"
    assert details[0]["Webhooks"][0]["StepName"] == "Signed up"

    page.get_by_role("link", name="Back to the integrations").click()
    card = page.get_by_role("listitem").filter(has_text="Newsletter sign-ups")
    expect(card.get_by_text("Installed")).to_be_visible()
    # Single installation: no second install is offered.
    expect(
        card.get_by_role("button", name="Install Newsletter sign-ups", exact=True)
    ).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Uninstall Newsletter sign-ups").click()
    expect(page.get_by_role("status")).to_contain_text("is uninstalled")
    wait_for(lambda: len(host.notices) == 2)
    headers, body = host.notices[1]
    assert _signed(secret, headers, body)
    assert json.loads(body)["Status"] == "uninstalled"
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    assert account.get(f"/v1.0/cycles/{details[0]['CycleId']}").status_code == 404
    # A forged notice does not pass the check.
    assert not _signed("another secret", headers, body)
    context.close()


def test_the_connector_authentication_link_signs_in_an_oauth_app_and_tells_the_partner(
    junction: Junction, browser: Browser, host: HostSite, provider: OAuthProvider
) -> None:
    partner = _partner(junction, provider)
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme Ltd"}).is_success
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    ac = account.post("/v1.0/connectors/Provider AuthorisationCode/install", json={}).json()["Id"]
    token = partner.post("/v1.0/accounts/acme/signintoken", json={}).json()["Token"]
    link = (
        f"{junction.base_url}/connectorauth/updateaccountconnectoroauth?id={ac}"
        f"&token={quote(token)}&targetOrigin={quote(host.origin)}&callbackMessage=connected"
    )
    host.url_to_frame = "about:blank"
    page = browser.new_page()
    page.goto(host.origin)
    with page.expect_popup() as opened:
        page.evaluate("link => window.open(link)", link)
    popup = opened.value
    expect(popup.get_by_text("Acme Ltd")).to_be_visible()
    popup.get_by_role("button", name="Continue").click()
    expect(
        popup.get_by_role("heading", name="Provider AuthorisationCode is connected")
    ).to_be_visible()
    expect(popup.get_by_text("Acme Ltd")).to_be_visible()
    screenshot(popup, "connector-link-done")
    page.wait_for_function("window.received.length > 0")
    received = page.evaluate("window.received")
    assert received[0] == {"origin": junction.base_url, "data": "connected"}
    assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
    page.close()


def test_the_partners_appearance_is_applied(
    junction: Junction, browser: Browser, provider: OAuthProvider
) -> None:
    partner = _partner(junction, provider)
    partner.put(
        "/v1.0/settings/appearance",
        json={
            "BrandName": "Northwind Apps",
            "Colors": {"Accent": "#6b21a8", "Background": "#faf5ff"},
            "Font": "Georgia, serif",
            "CustomCss": ".jn-card { border-radius: 2px; }",
        },
    ).raise_for_status()
    launched = partner.post(
        "/v1.0/accounts/acme/launch", json={"AccountName": "Acme", "AutoInstall": False}
    ).json()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(launched["LaunchUrl"])
    expect(page.get_by_text("Northwind Apps")).to_be_visible()
    button = page.get_by_role("button", name="Add Newsletter sign-ups")
    expect(button).to_have_css("color", "rgb(107, 33, 168)")
    expect(page.locator("body")).to_have_css("background-color", "rgb(250, 245, 255)")
    expect(page.locator("body")).to_have_css("font-family", "Georgia, serif")
    screenshot(page, "themed-launch")
    page.close()


def test_the_wizard_asks_one_choice_at_a_time(
    junction: Junction, browser: Browser, provider: OAuthProvider, saas: ContactsApi
) -> None:
    partner = _partner(junction, provider)
    launched = partner.post(
        "/v1.0/accounts/acme/launch", json={"AccountName": "Acme", "Wizard": True}
    ).json()
    page = browser.new_page()
    page.goto(launched["LaunchUrl"])
    expect(page.get_by_label("Mailing list")).to_be_visible()
    expect(page.get_by_label("Source")).to_be_hidden()
    expect(page.get_by_role("button", name="Save choices")).to_be_hidden()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Source")).to_be_visible()
    expect(page.get_by_label("Source")).to_be_focused()
    expect(page.get_by_label("Mailing list")).to_be_hidden()
    page.get_by_label("Source").fill("wizard")
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status")).to_contain_text("choices are saved")
    expect(page.get_by_label("Mailing list")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Source")).to_have_value("wizard")
    page.close()
