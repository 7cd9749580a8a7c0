"""The connector authentication link: one account connector signed in by the customer from a
single-use link, with the app and the account named, and the partner told at the end."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import httpx
import pytest

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
    opened = client.get(link)
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
    client = junction.http()
    opened = client.get(_link(partner, theirs))
    cookie = SESSION_COOKIE.search(opened.headers["set-cookie"])
    assert cookie
    client.headers["Cookie"] = f"junction_session={cookie.group(1)}"
    assert client.get(opened.headers["location"]).status_code == 404
