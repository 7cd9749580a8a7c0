"""Cyclr's empty token set, ``AuthValue: "{}"``, on OAuth 2.0 account connectors: the
connector is left to get its tokens itself, by the customer's sign-in (authorisation code)
or by the partner's client (client credentials)."""

from __future__ import annotations

import httpx
import pytest

from junction.connectors.calls.oauth import tokens_json
from tests.connectors.test_oauth_connectors import _me, _setup, _sign_in, provider
from tests.fixtures.oauth_provider import OAuthProvider
from tests.fixtures.server import Junction

__all__ = ["provider"]  # the fixture, imported for pytest


def test_an_empty_token_set_waits_for_the_sign_in(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": tokens_json("old-access", "old-refresh", 3600)},
    ).json()
    assert row["Authenticated"] is True
    ac = row["Id"]

    reset = api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "{}"})
    assert reset.status_code == 200, reset.text
    # The tokens are gone: nothing pretends to be signed in.
    assert (reset.json()["Authenticated"], reset.json()["AuthValue"]) == (False, None)
    assert api.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is False
    refused = _me(api, ac)
    assert refused.status_code == 400
    assert provider.token_requests["refresh_token"] == 0

    # Ready for the sign-in, which authenticates it.
    _sign_in(junction, api, ac)
    assert api.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
    assert _me(api, ac).status_code == 200


def test_an_install_with_an_empty_token_set_is_not_authenticated(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    installed = api.post(f"/v1.0/connectors/{connector}/install", json={"AuthValue": "{}"})
    assert installed.status_code == 200, installed.text
    assert installed.json()["Authenticated"] is False


@pytest.mark.parametrize(
    ("auth_value", "message"),
    [
        pytest.param("{", "AuthValue: must be JSON", id="not-json"),
        pytest.param('{"RefreshToken": "r"}', "AuthValue: AccessToken is required", id="partial"),
        pytest.param("[]", "AuthValue: must be a JSON object", id="not-an-object"),
    ],
)
def test_a_token_set_that_is_neither_empty_nor_whole_is_refused(
    junction: Junction, provider: OAuthProvider, auth_value: str, message: str
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()["Id"]
    answer = api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": auth_value})
    assert answer.status_code == 400
    assert answer.json()["Message"].startswith(message)


def test_client_credentials_get_their_own_token_after_an_empty_token_set(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "ClientCredentials")
    ac = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()["Id"]
    answer = api.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "{}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["Authenticated"] is True
    called = _me(api, ac)
    assert called.status_code == 200, called.text
    assert provider.token_requests["client_credentials"] == 1


def test_an_api_key_connector_takes_braces_as_its_key(junction: Junction) -> None:
    """Only OAuth 2.0 reads "{}" as an empty token set; other kinds keep their own rules."""
    partner = junction.http(junction.token())
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    document = {
        "Name": "Keyed",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": "https://api.example",
        "Authentication": [
            {"Id": "key", "AuthType": "ApiKey", "ApiKey": {"Location": "HttpHeader", "Name": "K"}}
        ],
        "Methods": [{"Name": "Me", "MethodUniqueIdentifier": "me", "Endpoint": "/me"}],
    }
    connector = partner.post("/v1.0/connectors", json=document).json()["Id"]
    account: httpx.Client = junction.http(junction.token(), account="acme")
    ac = account.post(f"/v1.0/connectors/{connector}/install", json={}).json()["Id"]
    answer = account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "{}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["Authenticated"] is True
