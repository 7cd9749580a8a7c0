"""Sign-in tokens, LAUNCH and ORBIT through the API: the answers, the refusals, and the
sign-in page that spends a token."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.embed.flows import browser_client, set_up_partner
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    return set_up_partner(junction)


def test_a_sign_in_token_is_single_use_and_names_its_user(
    junction: Junction, partner: httpx.Client
) -> None:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    answer = partner.post("/v1.0/accounts/acme/signintoken", json={"Username": "ann@acme.test"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"Token", "ExpiresAtUtc"}
    users = partner.get("/v1.0/accounts/acme/users").json()
    assert [u["UserName"] for u in users] == ["ann@acme.test"]

    url = f"/account/signinwithtoken?token={body['Token']}&returnUrl=%2Forbit"
    client = junction.http()
    first = client.get(url)
    assert first.status_code == 303
    assert first.headers["location"] == "/orbit"
    cookie = first.headers["set-cookie"]
    assert {"HttpOnly", "SameSite=None", "Secure", "Partitioned"} <= set(cookie.split("; "))

    again = client.get(url)
    assert again.status_code == 401
    assert "used already" in again.text
    assert "text/html" in again.headers["content-type"]


def test_sign_in_refusals(junction: Junction, partner: httpx.Client) -> None:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    assert partner.post("/v1.0/accounts/nobody/signintoken", json={}).status_code == 404
    too_long = partner.post("/v1.0/accounts/acme/signintoken", json={"Username": "x" * 300})
    assert too_long.status_code == 400
    assert "Username" in too_long.text
    # An account-restricted token cannot hand out sign-ins.
    restricted = junction.http(junction.token(scope="account:acme"))
    assert restricted.post("/v1.0/accounts/acme/signintoken", json={}).status_code == 403
    assert restricted.post("/v1.0/accounts/acme/launch", json={}).status_code == 403

    token = partner.post("/v1.0/accounts/acme/signintoken", json={}).json()["Token"]
    junction.clock.advance(timedelta(minutes=6))
    expired = junction.http().get(f"/account/signinwithtoken?token={token}")
    assert expired.status_code == 401
    assert "expired" in expired.text
    assert junction.http().get("/account/signinwithtoken?token=nonsense").status_code == 401
    # Without a session the pages ask to sign in again.
    assert junction.http().get("/launch").status_code == 401


def test_a_sign_in_link_never_leads_off_the_site(junction: Junction, partner: httpx.Client) -> None:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:x"):
        token = partner.post("/v1.0/accounts/acme/signintoken", json={}).json()["Token"]
        answer = junction.http().get(
            "/account/signinwithtoken", params={"token": token, "returnUrl": target}
        )
        assert answer.headers["location"] == "/orbit", target


def test_launch_creates_the_account_installs_partner_connectors_and_answers_its_url(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    answer = partner.post(
        "/v1.0/accounts/new-customer/launch",
        json={
            "AccountName": "New Customer",
            "Tags": ["newsletter"],
            "CompleteParameter": "order-7",
            "ConnectorAuthentications": [
                {
                    "Name": "Test Mailing",
                    "Version": "1.0",
                    "AuthValue": API_KEY,
                    "Properties": [{"Name": "ApiBase", "Value": saas.base_url}],
                }
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"AccountId", "ExpiresAtUtc", "LaunchUrl", "Token"}
    assert body["AccountId"] == "new-customer"
    url = urlsplit(body["LaunchUrl"])
    assert url.path == "/account/signinwithtoken"
    assert parse_qs(url.query) == {"token": [body["Token"]], "returnUrl": ["/launch"]}
    assert partner.get("/v1.0/accounts/new-customer").json()["Name"] == "New Customer"
    installed = junction.http(partner.headers["Authorization"][7:], account="new-customer").get(
        "/v1.0/account/connectors"
    )
    assert [(c["Name"], c["Authenticated"]) for c in installed.json()] == [("Test Mailing", True)]

    _client, signed_in = browser_client(junction, body["LaunchUrl"])
    assert signed_in.headers["location"] == "/launch"


def test_a_launch_with_a_bad_connector_stores_nothing(
    junction: Junction, partner: httpx.Client
) -> None:
    answer = partner.post(
        "/v1.0/accounts/someone/launch",
        json={"ConnectorAuthentications": [{"Name": "No Such App", "AuthValue": "x"}]},
    )
    assert answer.status_code == 400
    assert "ConnectorAuthentications[0].Name" in answer.json()["Message"]
    assert partner.get("/v1.0/accounts/someone").status_code == 404
    unknown = partner.post("/v1.0/accounts/someone/launch", json={"Start": "maybe"})
    assert unknown.status_code == 400
    assert "Start" in unknown.text


def test_user_launch_and_orbit_check_the_users_password(
    junction: Junction, partner: httpx.Client
) -> None:
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    added = partner.put(
        "/v1.0/accounts/acme/users", json={"UserName": "ann", "Password": "correct horse"}
    )
    assert added.is_success, added.text
    user = {"AccountId": "acme", "Username": "ann"}
    good = partner.post("/v1.0/users/launch", json=user | {"Password": "correct horse"})
    assert good.status_code == 200, good.text
    assert good.json()["AccountId"] == "acme"
    bad = partner.post("/v1.0/users/launch", json=user | {"Password": "wrong password"})
    assert bad.status_code == 401
    nobody = partner.post(
        "/v1.0/users/orbit", json={"AccountId": "acme", "Username": "bob", "Password": "x"}
    )
    assert nobody.status_code == 401
    orbit = partner.post("/v1.0/users/orbit", json=user | {"Password": "correct horse"})
    assert orbit.status_code == 200
    assert parse_qs(urlsplit(orbit.json()["OrbitUrl"]).query)["returnUrl"] == ["/orbit"]
    account_orbit = partner.post("/v1.0/accounts/acme/orbit", json={})
    assert set(account_orbit.json()) == {"AccountId", "ExpiresAtUtc", "OrbitUrl", "Token"}
    assert partner.post("/v1.0/accounts/nobody/orbit", json={}).status_code == 404


def test_a_browser_token_is_short_lived_and_held_to_its_account(
    junction: Junction, partner: httpx.Client
) -> None:
    for account in ("acme", "other"):
        assert partner.post("/v1.0/accounts", json={"Id": account, "Name": account}).is_success
    answer = partner.post("/v1.0/accounts/acme/browsertoken", json={})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "account:acme"
    browser = junction.http(body["access_token"], account="acme")
    assert browser.get("/v1.0/cycles").status_code == 200
    assert (
        junction.http(body["access_token"], account="other").get("/v1.0/cycles").status_code == 403
    )
    assert browser.get("/v1.0/accounts").status_code == 403
    assert browser.post("/v1.0/accounts/acme/browsertoken", json={}).status_code == 403
    assert partner.post("/v1.0/accounts/nobody/browsertoken", json={}).status_code == 404
    junction.clock.advance(timedelta(minutes=16))
    assert browser.get("/v1.0/cycles").status_code == 401
