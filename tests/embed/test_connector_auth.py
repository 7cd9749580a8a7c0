"""The connector authentication link: one account connector signed in by the customer from a
single-use link, with the app and the account named, and the partner told at the end."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import httpx
import pytest

from tests.cycles.builders import mailing_definition
from tests.embed.flows import SESSION_COOKIE, csrf_of, set_up_partner
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction

TARGET = "https://app.example.com"


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    return set_up_partner(junction)


def _installed(junction: Junction, partner: httpx.Client, saas: ContactsApi) -> int:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme Ltd"}).is_success
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    installed = account.post(
        "/v1.0/connectors/Test Mailing/install",
        json={"Properties": [{"Name": "ApiBase", "Value": saas.base_url}]},
    )
    assert installed.status_code == 200, installed.text
    assert installed.json()["Authenticated"] is False
    ac: int = installed.json()["Id"]
    return ac


def _continue(client: httpx.Client, page: str) -> httpx.Response:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    return client.post("/connectorauth/updateaccountconnectoroauth", data=fields)


def _link(partner: httpx.Client, ac: int, message: str = "done") -> str:
    token = partner.post("/v1.0/accounts/acme/signintoken", json={}).json()["Token"]
    return (
        f"/connectorauth/updateaccountconnectoroauth?id={ac}&token={quote(token)}"
        f"&targetOrigin={quote(TARGET)}&callbackMessage={message}"
    )


def test_a_customer_signs_in_a_connector_from_the_link(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    ac = _installed(junction, partner, saas)
    link = _link(partner, ac)
    client = junction.http()
    shown = client.get(link)
    # A page first, naming the app and the account: opening the link spends nothing (mail
    # scanners open links); its button does.
    assert shown.status_code == 200, shown.text
    assert "Test Mailing" in shown.text
    assert "Acme Ltd" in shown.text
    assert client.get(link).status_code == 200
    opened = _continue(client, shown.text)
    assert opened.status_code == 303, opened.text
    cookie = SESSION_COOKIE.search(opened.headers["set-cookie"])
    assert cookie
    client.headers["Cookie"] = f"junction_session={cookie.group(1)}"
    page = client.get(opened.headers["location"])
    assert page.status_code == 200
    assert "Connect Test Mailing" in page.text
    assert "Acme Ltd" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action
    target = action.group(1).replace("&amp;", "&")

    wrong = client.post(target, data={"csrf": csrf_of(page.text), "api_key": "nope"})
    assert "refused these credentials" in client.get(wrong.headers["location"]).text
    right = client.post(target, data={"csrf": csrf_of(page.text), "api_key": API_KEY})
    done = client.get(right.headers["location"])
    assert "Test Mailing is connected" in done.text
    hand_off = re.search(r'id="jn-hand-off">(.*?)</script>', done.text)
    assert hand_off
    assert json.loads(hand_off.group(1)) == {"message": "done", "targetOrigin": TARGET, "ok": True}
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True

    # This session connects that one app and nothing else.
    assert client.get("/orbit").status_code == 403
    assert client.get("/launch").status_code == 403
    # The link works once.
    again = junction.http().get(link)
    assert again.status_code == 401
    assert "used already" in again.text


def test_bad_links_are_refused(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    ac = _installed(junction, partner, saas)
    no_target = _link(partner, ac).replace(f"targetOrigin={quote(TARGET)}", "targetOrigin=")
    answer = junction.http().get(no_target)
    assert answer.status_code == 400
    assert "targetOrigin" in answer.text
    # Another account's connector, with this account's token.
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).is_success
    other = junction.http(partner.headers["Authorization"][7:], account="other")
    theirs = other.post("/v1.0/connectors/Test Mailing/install", json={}).json()["Id"]
    link = _link(partner, theirs)
    assert junction.http().get(link).status_code == 404
    # Nor can its button be sent by hand: nothing is spent, the link still works for them.
    token = re.search(r"token=([^&]+)", link)
    assert token
    forged = junction.http().post(
        "/connectorauth/updateaccountconnectoroauth",
        data={"id": str(theirs), "token": unquote(token.group(1)), "targetOrigin": TARGET},
    )
    assert forged.status_code == 404
    assert junction.http().get(link.replace(f"id={theirs}", f"id={ac}")).status_code == 200


@pytest.mark.parametrize(
    ("test_method", "problem"),
    [
        ("no-such-method", "no method has the MethodUniqueIdentifier 'no-such-method'"),
        ("subscribe", "needs values for list, Email"),
    ],
)
def test_a_test_method_that_cannot_be_called_alone_is_refused(
    junction: Junction, test_method: str, problem: str
) -> None:
    definition = mailing_definition()
    definition["Name"] = "Checked Mailing"
    definition["AuthenticationTestMethod"] = test_method
    partner = junction.http(junction.token())
    answer = partner.post("/v1.0/connectors", json=definition)
    assert answer.status_code == 400
    located = {p["Location"]: p["Message"] for p in answer.json()["Problems"]}
    assert problem in located["AuthenticationTestMethod"]
    assert partner.get("/v1.0/connectors/Checked Mailing").status_code == 404


def test_a_key_that_cannot_be_tried_is_not_called_wrong_and_not_stored(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    ac = _installed(junction, partner, saas)
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    saas.state.fail_next = 10  # the app answers 503: it cannot say whether the key is right
    answer = account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": API_KEY})
    assert answer.status_code == 400
    assert "could not be tried" in answer.json()["Message"]
    assert account.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is False
    saas.state.fail_next = 0
    # New properties are tried with the key, and kept only with it.
    wrong_place = account.put(
        f"/v1.0/account/connectors/{ac}",
        json={
            "AuthValue": API_KEY,
            "Properties": [{"Name": "ApiBase", "Value": "http://127.0.0.1:9"}],
        },
    )
    assert wrong_place.status_code == 400
    stored = account.get(f"/v1.0/account/connectors/{ac}/properties").json()
    assert [p["Value"] for p in stored] == [saas.base_url]


def test_posting_the_link_itself_spends_it_once(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    """Cyclr's examples post the link as it is: its values in the address, no body."""
    ac = _installed(junction, partner, saas)
    link = _link(partner, ac)
    opened = junction.http().post(link)
    assert opened.status_code == 303, opened.text
    assert opened.headers["location"] == f"/connectorauth/connectors/{ac}"
    cookie = SESSION_COOKIE.search(opened.headers["set-cookie"])
    assert cookie
    client = junction.http()
    client.headers["Cookie"] = f"junction_session={cookie.group(1)}"
    page = client.get(opened.headers["location"])
    assert page.status_code == 200
    assert "Connect Test Mailing" in page.text
    # Single use, whichever way it was spent.
    assert junction.http().post(link).status_code == 401
    assert "used already" in junction.http().get(link).text


def test_a_posted_link_is_checked_as_the_form_is(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    ac = _installed(junction, partner, saas)
    link = _link(partner, ac)
    for broken in (
        link.replace(f"id={ac}", "id=x"),
        link.replace(f"targetOrigin={quote(TARGET)}", "targetOrigin=nowhere"),
        re.sub(r"token=[^&]+", "token=", link),
    ):
        answer = junction.http().post(broken)
        assert answer.status_code == 400, broken
        assert "set-cookie" not in answer.headers
    # Another account's connector with this account's token: nothing is spent.
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).is_success
    other = junction.http(partner.headers["Authorization"][7:], account="other")
    theirs = other.post("/v1.0/connectors/Test Mailing/install", json={}).json()["Id"]
    assert junction.http().post(link.replace(f"id={ac}", f"id={theirs}")).status_code == 404
    # The form's own values come first: an address cannot move a form post elsewhere.
    token = re.search(r"token=([^&]+)", link)
    assert token
    fields = {"id": str(ac), "token": unquote(token.group(1)), "targetOrigin": TARGET}
    spent = junction.http().post(link.replace(f"id={ac}", f"id={theirs}"), data=fields)
    assert spent.status_code == 303
    assert spent.headers["location"] == f"/connectorauth/connectors/{ac}"


def test_a_bare_host_as_target_origin_is_read_as_its_https_origin(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    ac = _installed(junction, partner, saas)
    link = _link(partner, ac)
    for bare, origin in (
        ("app.example.com", "https://app.example.com"),
        ("localhost:3000", "https://localhost:3000"),
    ):
        shown = junction.http().get(
            link.replace(f"targetOrigin={quote(TARGET)}", f"targetOrigin={bare}")
        )
        assert shown.status_code == 200, shown.text
        assert origin in shown.text
    for wrong in ("nowhere", "app.example.com/path", "ftp://app.example.com"):
        refused = junction.http().get(
            link.replace(f"targetOrigin={quote(TARGET)}", f"targetOrigin={quote(wrong)}")
        )
        assert refused.status_code == 400, wrong
