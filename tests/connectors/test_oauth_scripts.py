"""The connector's OAuth event handlers, against a real authorization server on loopback."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.test_oauth_connectors import oauth_definition, provider
from tests.fixtures.oauth_provider import OAuthProvider
from tests.fixtures.server import Junction

__all__ = ["provider"]  # the authorization server fixture, shared

SCRIPT = """
function before_oauth2_authorise() {
  method_endpoint = method_endpoint + '&prompt=consent';
  return true;
}
function before_oauth2_token() {
  if (method_request.client_secret !== undefined) throw new Error('a secret was shown');
  method_request.resource = 'https://api.example.com';
  return true;
}
function after_oauth2_token() {
  method_response.expires_in = 5;  // shorter than the refresh margin: refreshed at once
  return true;
}
function before_oauth2_refresh() {
  if (method_request.refresh_token !== undefined) throw new Error('a secret was shown');
  method_request.resource = 'refresh';
  return true;
}
function after_oauth2_refresh() {
  method_response.expires_in = 7200;
  return true;
}
"""


def _install(junction: Junction, provider: OAuthProvider, script: str) -> tuple[httpx.Client, int]:
    partner = junction.token()
    definition: dict[str, Any] = oauth_definition(provider, "AuthorisationCode")
    definition["Script"] = script
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        connector = client.post("/v1.0/connectors", json=definition)
        assert connector.status_code == 201, connector.text
        connector_id = connector.json()["Id"]
        client.put(
            f"/v1.0/connectors/{connector_id}/partnerproperties",
            json=[
                {"Name": "OAuthClientId", "Value": "junction-app"},
                {"Name": "OAuthClientSecret", "Value": "app-secret"},
            ],
        )
    api = junction.http(partner, account="acme")
    ac = api.post(f"/v1.0/connectors/{connector_id}/install", json={}).json()["Id"]
    return api, ac


def _sign_in(api: httpx.Client, ac: int) -> httpx.Response:
    start = api.post(f"/v1.0/account/connectors/{ac}/oauth/authorize", json={})
    assert start.status_code == 200, start.text
    url = start.json()["AuthoriseUrl"]
    assert parse_qs(urlsplit(url).query)["prompt"] == ["consent"]  # before_oauth2_authorise
    to_callback = httpx.get(url, follow_redirects=False)
    return httpx.get(to_callback.headers["location"], follow_redirects=False)


def test_oauth_handlers_shape_token_requests_and_answers(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, ac = _install(junction, provider, SCRIPT)
    assert _sign_in(api, ac).status_code in (200, 303)
    assert api.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
    exchange = provider.token_request_log[-1]
    assert exchange.grant_type == "authorization_code"
    assert exchange.form["resource"] == "https://api.example.com"
    assert exchange.form["client_secret"] == "app-secret"  # put back after the handler

    # after_oauth2_token made the token short-lived, so the first call refreshes it, and
    # after_oauth2_refresh made the new one last.
    me = api.post(f"/v1.0/account/connectors/{ac}/methods/me", json={})
    assert me.status_code == 200, me.text
    assert provider.token_requests["refresh_token"] == 1
    assert provider.token_request_log[-1].form["resource"] == "refresh"
    assert api.post(f"/v1.0/account/connectors/{ac}/methods/me", json={}).status_code == 200
    assert provider.token_requests["refresh_token"] == 1


def test_a_failing_token_handler_fails_the_sign_in_with_its_reason(
    junction: Junction, provider: OAuthProvider
) -> None:
    script = SCRIPT.replace(
        "method_request.resource = 'https://api.example.com';", "throw new Error('no tenant');"
    )
    api, ac = _install(junction, provider, script)
    page = _sign_in(api, ac)
    assert page.status_code == 400
    assert "no tenant" in page.text
    row = api.get(f"/v1.0/account/connectors/{ac}").json()
    assert row["Authenticated"] is False
    assert "before_oauth2_token" in row["AuthError"]
    assert provider.token_requests["authorization_code"] == 0  # nothing was sent
