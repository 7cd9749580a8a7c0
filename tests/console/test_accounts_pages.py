"""The console's account pages through HTTP: accounts, sub-accounts and users; account
connectors tested and signed in against a loopback API; cycles activated, paused and stopped;
the audit log; and a viewer who may look but not change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import csrf_of
from tests.cycles.builders import authenticate, mailing_definition, publish
from tests.embed.flows import mailing_with_test
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=3)
    api.start()
    yield api
    api.stop()


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Posts with the session's CSRF token (most of these forms' paths have no page)."""
    return client.post(path, data={"csrf": csrf_of(client.get("/console/accounts")), **data})


def _audit(partner: httpx.Client, **query: str) -> list[dict[str, Any]]:
    answer = partner.get("/v1.0/audit", params=query)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


def _account(partner: httpx.Client, account_id: str) -> httpx.Response:
    return partner.get(f"/v1.0/accounts/{account_id}")


def oauth_definition() -> dict[str, Any]:
    """An OAuth 2.0 connector; its provider is never reached here (the link is only made)."""
    return {
        "Name": "Test Calendar",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": "http://127.0.0.1:9",
        "Authentication": [
            {
                "Id": "oauth",
                "AuthType": "OAuth2",
                "OAuth2": {
                    "OAuth2Type": "AuthorisationCode",
                    "AuthoriseUrl": "http://127.0.0.1:9/authorize",
                    "TokenUrl": "http://127.0.0.1:9/token",
                    "ClientId": "calendar-app",
                    "ClientSecret": "calendar-secret",
                },
            }
        ],
        "Methods": [{"Name": "Me", "MethodUniqueIdentifier": "me", "Endpoint": "/me"}],
    }


def copy_template() -> dict[str, Any]:
    """Two steps: every contact listed is created again (set up once connected)."""
    return {
        "Name": "Contacts copied",
        "Steps": [
            {
                "Key": "list",
                "Name": "List contacts",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-list",
            },
            {
                "Key": "create",
                "Name": "Create contact",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-create",
                "FieldMappings": [
                    {
                        "Name": "Email",
                        "MappingType": "StepData",
                        "SourceStepKey": "list",
                        "SourceField": "Email",
                    }
                ],
            },
        ],
        "Edges": [{"TailStepKey": "list", "HeadStepKey": "create"}],
    }


def test_accounts_are_created_searched_edited_with_sub_accounts_and_users(
    junction: Junction, admin: httpx.Client
) -> None:
    partner = junction.http(junction.token())
    empty = post_form(admin, "/console/accounts", {"Name": "  ", "Id": "acme"})
    assert empty.status_code == 400
    assert 'id="f-Name-error"' in empty.text
    assert "is required" in empty.text
    assert 'value="acme"' in empty.text  # what was typed stays
    bad_zone = post_form(
        admin, "/console/accounts", {"Name": "Acme Ltd", "Id": "acme", "Timezone": "Mars/Base"}
    )
    assert bad_zone.status_code == 400
    assert 'aria-invalid="true" aria-describedby="f-Timezone-hint f-Timezone-error"' in (
        bad_zone.text
    )
    assert "is not an IANA time zone name" in bad_zone.text
    bad_id = post_form(admin, "/console/accounts", {"Name": "Acme Ltd", "Id": "no spaces!"})
    assert bad_id.status_code == 400
    assert "letters, digits" in bad_id.text
    assert _account(partner, "acme").status_code == 404  # nothing stored

    made = post_form(
        admin,
        "/console/accounts",
        {"Name": "Acme Ltd", "Id": "acme", "Timezone": "Europe/London", "Description": "Big"},
    )
    assert made.status_code == 303
    assert made.headers["location"].startswith("/console/accounts/acme?notice=")
    taken = post_form(admin, "/console/accounts", {"Name": "Again", "Id": "acme"})
    assert taken.status_code == 400
    assert "already in use" in taken.text
    page = admin.get(made.headers["location"])
    assert page.status_code == 200
    assert "Account Acme Ltd created." in page.text
    assert "Europe/London" in page.text
    assert post_form(admin, "/console/accounts", {"Name": "Globex", "Id": "g-1"}).is_redirect

    listed = admin.get("/console/accounts", params={"q": "ACME"})
    assert "Acme Ltd" in listed.text
    assert "Globex" not in listed.text
    by_id = admin.get("/console/accounts", params={"q": "g-1"})
    assert "Globex" in by_id.text
    assert "Acme Ltd" not in by_id.text
    assert "No account" in admin.get("/console/accounts", params={"q": "zzz"}).text

    # Edit: the service's rule (a webhook needs its URL) beside the field, nothing stored.
    refused = post_form(
        admin,
        "/console/accounts/acme",
        {"Name": "Acme Limited", "Timezone": "UTC", "TransactionErrorWebhookEnabled": "on"},
    )
    assert refused.status_code == 400
    assert 'id="edit-TransactionErrorWebhookUrl-error"' in refused.text
    assert 'value="Acme Limited"' in refused.text
    assert _account(partner, "acme").json()["Name"] == "Acme Ltd"
    saved = post_form(
        admin,
        "/console/accounts/acme",
        {
            "Name": "Acme Limited",
            "Timezone": "UTC",
            "TransactionErrorWebhookEnabled": "on",
            "TransactionErrorWebhookUrl": "hooks.example.com/errors",
            "StepDataSuccessRetentionHours": "24",
        },
    )
    assert saved.status_code == 303
    stored = _account(partner, "acme").json()
    assert stored["Name"] == "Acme Limited"
    assert stored["TransactionErrorWebhookUrl"] == "https://hooks.example.com/errors"
    assert stored["StepDataSuccessRetentionHours"] == 24

    # Sub-accounts.
    bad_sub = post_form(admin, "/console/accounts/acme/subaccounts", {"Name": ""})
    assert bad_sub.status_code == 400
    assert 'id="sub-Name-error"' in bad_sub.text
    sub = post_form(admin, "/console/accounts/acme/subaccounts", {"Name": "Acme EU", "Id": "eu"})
    assert sub.status_code == 303
    assert _account(partner, "eu").json()["ParentAccountId"] == "acme"
    assert "Acme EU" in admin.get("/console/accounts/acme").text

    # Users.
    short = post_form(admin, "/console/accounts/acme/users", {"UserName": "ann", "Password": "x"})
    assert short.status_code == 400
    assert 'id="user-Password-error"' in short.text
    assert 'value="ann"' in short.text
    assert partner.get("/v1.0/accounts/acme/users").json() == []
    added = post_form(
        admin, "/console/accounts/acme/users", {"UserName": "ann", "Password": "long enough"}
    )
    assert added.status_code == 303
    assert [u["UserName"] for u in partner.get("/v1.0/accounts/acme/users").json()] == ["ann"]
    removed = post_form(admin, "/console/accounts/acme/users/remove", {"UserName": "ann"})
    assert removed.status_code == 303
    assert partner.get("/v1.0/accounts/acme/users").json() == []

    actions = [e["Action"] for e in _audit(partner, actor="console:admin")]
    for action in (
        "account.create",
        "account.update",
        "account-user.add",
        "account-user.remove",
    ):
        assert action in actions
    update = _audit(partner, targetKind="account", targetId="acme")[0]
    assert update["Before"]["Name"] == "Acme Ltd"
    assert update["After"]["Name"] == "Acme Limited"
    assert "long enough" not in str(_audit(partner))


def test_connectors_are_installed_tested_and_signed_in_again(
    junction: Junction, admin: httpx.Client, saas: ContactsApi
) -> None:
    token = junction.token()
    partner = junction.http(token)
    for definition in (mailing_with_test(), oauth_definition()):
        assert partner.post("/v1.0/connectors", json=definition).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    mailing = partner.get("/v1.0/connectors/Test Mailing").json()[0]["Id"]

    page = admin.get("/console/accounts/acme/connectors")
    assert "Test Calendar 1" in page.text  # the catalogue's live connectors to choose from
    unchosen = post_form(admin, "/console/accounts/acme/connectors", {"Connector": ""})
    assert unchosen.status_code == 400
    assert 'id="install-Connector-error"' in unchosen.text
    installed = post_form(
        admin, "/console/accounts/acme/connectors", {"Connector": str(mailing), "Name": "Mail"}
    )
    assert installed.status_code == 303
    account = junction.http(token, account="acme")
    (ac,) = [c["Id"] for c in account.get("/v1.0/account/connectors").json()]
    base = f"/console/accounts/acme/connectors/{ac}"
    page = admin.get("/console/accounts/acme/connectors")
    assert "Not authenticated" in page.text
    assert "Test Mailing 1.0" in page.text

    untested = post_form(admin, f"{base}/test", {})
    assert "is not authenticated" in untested.text

    # A wrong key: the app's refusal beside the form, nothing stored.
    wrong = post_form(
        admin, f"{base}/authenticate", {"api_key": "wrong-key", "prop-ApiBase": saas.base_url}
    )
    assert wrong.status_code == 400
    assert "refused these credentials" in wrong.text
    assert f'id="ac-{ac}-error"' in wrong.text
    assert "wrong-key" not in wrong.text
    assert f'value="{saas.base_url}"' in wrong.text
    assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is False
    missing = post_form(admin, f"{base}/authenticate", {"api_key": "", "prop-ApiBase": ""})
    assert missing.status_code == 400
    assert "Fill in every field" in missing.text

    right = post_form(
        admin, f"{base}/authenticate", {"api_key": API_KEY, "prop-ApiBase": saas.base_url}
    )
    assert right.status_code == 303
    assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True

    tested = post_form(admin, f"{base}/test", {})
    assert tested.status_code == 200
    assert "the connection works" in tested.text
    assert any(
        r["path"] == "/statuses" and r["headers"].get("X-Api-Key") == API_KEY
        for r in saas.state.requests
    )
    saas.state.fail_next = 10
    failing = post_form(admin, f"{base}/test", {})
    assert "answered the test call" in failing.text
    assert "503" in failing.text
    saas.state.fail_next = 0

    # OAuth 2.0: a single-use sign-in link to open or send.
    calendar = partner.get("/v1.0/connectors/Test Calendar").json()[0]["Id"]
    assert post_form(
        admin, "/console/accounts/acme/connectors", {"Connector": str(calendar)}
    ).is_redirect
    oauth_ac = max(c["Id"] for c in account.get("/v1.0/account/connectors").json())
    made = post_form(admin, f"/console/accounts/acme/connectors/{oauth_ac}/link", {})
    assert made.status_code == 200
    link = re.search(
        r'href="(http[^"]*/connectorauth/updateaccountconnectoroauth[^"]+)"', made.text
    )
    assert link
    opened = junction.http().get(
        unquote(link.group(1).replace("&amp;", "&")).removeprefix(junction.base_url)
    )
    assert opened.status_code == 200, opened.text
    assert "Test Calendar" in opened.text
    assert "Acme" in opened.text

    entries = _audit(partner, targetKind="account-connector")
    actions = {e["Action"] for e in entries}
    assert {
        "account-connector.install",
        "account-connector.test",
        "account-connector.authenticate",
        "account-connector.link",
    } <= actions
    assert API_KEY not in str(entries)
    assert "wrong-key" not in str(entries)


def test_cycles_are_activated_paused_and_stopped(
    junction: Junction, admin: httpx.Client, saas: ContactsApi
) -> None:
    token = junction.token()
    partner = junction.http(token)
    assert partner.post("/v1.0/connectors", json=contacts_definition()).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    account = junction.http(token, account="acme")
    draft = partner.post("/v1.0/templates", json={**copy_template(), "Name": "Unreleased"})
    assert draft.status_code == 201, draft.text
    template_id = publish(partner, copy_template())

    # Installed from the console: only templates with a Live release are offered, and a
    # refused choice is said beside the field with nothing installed.
    offered = admin.get("/console/accounts/acme/cycles").text
    assert f'<option value="{template_id}">Contacts copied</option>' in offered
    assert "Unreleased" not in offered
    for chosen, said in [
        ("", "choose a template"),
        ("no-such-template", "No template with Id"),
        (draft.json()["Id"], "has no Live release"),
    ]:
        refused = post_form(admin, "/console/accounts/acme/cycles", {"TemplateId": chosen})
        assert refused.status_code == 400, chosen
        assert 'id="install-TemplateId-error"' in refused.text
        assert said in refused.text, chosen
    assert account.get("/v1.0/cycles").json() == []
    assert account.get("/v1.0/account/connectors").json() == []
    installed = post_form(admin, "/console/accounts/acme/cycles", {"TemplateId": template_id})
    assert installed.status_code == 303, installed.text
    assert "is installed, Paused" in admin.get(installed.headers["location"]).text
    (cycle,) = account.get("/v1.0/cycles").json()
    assert cycle["Status"] == "Paused"
    assert len(account.get("/v1.0/account/connectors").json()) == 1  # installed with it
    base = f"/console/accounts/acme/cycles/{cycle['Id']}"

    page = admin.get("/console/accounts/acme/cycles")
    assert "Contacts copied" in page.text
    assert "is not authenticated" in page.text  # the prerequisites, as the API reports them
    assert f'href="/console/runs?cycle={cycle["Id"]}"' in page.text
    not_yet = post_form(admin, f"{base}/activate", {"Interval": "60"})
    assert not_yet.status_code == 400
    assert "cannot be activated yet" in not_yet.text
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Status"] == "Paused"

    # "Set up its steps" opens the customer's own set-up page of this cycle, signed in.
    link = post_form(admin, f"{base}/setup", {})
    assert link.status_code == 303, link.text
    assert "/account/signinwithtoken?" in link.headers["location"]
    customer = junction.http()
    signed_in = customer.get(link.headers["location"])
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == f"/launch/cycles/{cycle['Id']}"
    session_cookie = signed_in.headers["set-cookie"].split(";")[0]
    setup = customer.get(signed_in.headers["location"], headers={"Cookie": session_cookie})
    assert setup.status_code == 200, setup.text
    assert "Contacts copied" in setup.text
    assert customer.get(link.headers["location"]).status_code == 401  # single use
    assert "Set up its steps" in admin.get("/console/accounts/acme/cycles").text

    authenticate(account, cycle, saas.base_url)
    assert "Every step is set up" in admin.get("/console/accounts/acme/cycles").text
    odd = post_form(admin, f"{base}/activate", {"Interval": "7"})
    assert odd.status_code == 400
    assert "is not allowed" in odd.text
    active = post_form(admin, f"{base}/activate", {"Interval": "60"})
    assert active.status_code == 303
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Status"] == "Active"
    shown = admin.get(active.headers["location"]).text
    assert "The cycle is active." in shown
    assert "every hour" in shown

    paused = post_form(admin, f"{base}/pause", {})
    assert paused.status_code == 303
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Status"] == "Paused"
    assert post_form(admin, f"{base}/activate", {"Interval": "15"}).is_redirect
    stopped = post_form(admin, f"{base}/stop", {})
    assert stopped.status_code == 303
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Status"] == "Paused"

    actions = [e["Action"] for e in _audit(partner, targetKind="cycle", targetId=cycle["Id"])]
    assert actions == [
        "cycle.stop",
        "cycle.activate",
        "cycle.pause",
        "cycle.activate",
        "cycle.setup-link",
        "cycle.install",
    ]


def test_a_viewer_sees_everything_and_changes_nothing(
    junction: Junction, admin: httpx.Client, viewer: httpx.Client
) -> None:
    token = junction.token()
    partner = junction.http(token)
    assert partner.post("/v1.0/connectors", json=mailing_definition()).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    partner.put("/v1.0/accounts/acme/users", json={"UserName": "ann"})
    account = junction.http(token, account="acme")
    ac = account.post("/v1.0/connectors/Test Mailing/install", json={}).json()["Id"]
    cycle = "no-such-cycle"

    pages = [
        "/console/accounts",
        "/console/accounts/acme",
        "/console/accounts/acme/connectors",
        "/console/accounts/acme/cycles",
    ]
    for path in pages:
        page = viewer.get(path)
        assert page.status_code == 200, path
        # Only the sign-out form: nothing that changes anything.
        assert page.text.count('method="post"') == 1, path
    assert "ann" in viewer.get("/console/accounts/acme").text
    assert "Test Mailing" in viewer.get("/console/accounts/acme/connectors").text

    csrf = csrf_of(viewer.get("/console/accounts"))
    for path, data in [
        ("/console/accounts", {"Name": "Viewer's"}),
        ("/console/accounts/acme", {"Name": "Renamed"}),
        ("/console/accounts/acme/subaccounts", {"Name": "Sub"}),
        ("/console/accounts/acme/users", {"UserName": "eve"}),
        ("/console/accounts/acme/users/remove", {"UserName": "ann"}),
        ("/console/accounts/acme/connectors", {"Connector": "Test Mailing"}),
        (f"/console/accounts/acme/connectors/{ac}/test", {}),
        (f"/console/accounts/acme/connectors/{ac}/authenticate", {"api_key": API_KEY}),
        (f"/console/accounts/acme/connectors/{ac}/link", {}),
        ("/console/accounts/acme/cycles", {"TemplateId": "any"}),
        (f"/console/accounts/acme/cycles/{cycle}/activate", {"Interval": "60"}),
        (f"/console/accounts/acme/cycles/{cycle}/pause", {}),
        (f"/console/accounts/acme/cycles/{cycle}/stop", {}),
        (f"/console/accounts/acme/cycles/{cycle}/setup", {}),
    ]:
        refused = viewer.post(path, data={"csrf": csrf, **data})
        assert refused.status_code == 403, path
    assert _account(partner, "acme").json()["Name"] == "Acme"
    assert len(partner.get("/v1.0/accounts").json()) == 1
    assert [u["UserName"] for u in partner.get("/v1.0/accounts/acme/users").json()] == ["ann"]
    assert len(account.get("/v1.0/account/connectors").json()) == 1
    assert _audit(partner) == []
    # The administrator, by contrast, sees the forms.
    assert admin.get("/console/accounts/acme").text.count('method="post"') > 1
