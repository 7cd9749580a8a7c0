"""OAuth 2.0 account connectors against a real authorization server (authlib) on loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from junction.connectors.calls.oauth import CALLBACK_PATH, tokens_json
from tests.fixtures.oauth_provider import OAuthProvider, RegisteredClient
from tests.fixtures.server import Junction


def oauth_definition(provider: OAuthProvider, grant: str) -> dict[str, Any]:
    return {
        "Name": f"Provider {grant}",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": provider.api_url,
        "Authentication": [
            {
                "Id": "oauth",
                "AuthType": "OAuth2",
                "OAuth2": {
                    "OAuth2Type": grant,
                    "AuthoriseUrl": provider.authorize_url,
                    "TokenUrl": provider.token_url,
                    "ClientId": "{{OAuthClientId}}",
                    "ClientSecret": "{{OAuthClientSecret}}",
                    "Scopes": ["read"],
                },
            }
        ],
        "Parameters": [
            {
                "TargetType": "MergeField",
                "TargetName": "OAuthClientId",
                "PartnerConnectorProperty": True,
            },
            {
                "TargetType": "MergeField",
                "TargetName": "OAuthClientSecret",
                "PartnerConnectorProperty": True,
                "Sensitive": True,
            },
        ],
        "Methods": [
            {
                "Name": "Me",
                "MethodUniqueIdentifier": "me",
                "Endpoint": "/me",
                "ResponseFields": [{"ConnectorField": "user", "SystemField": "User"}],
            }
        ],
    }


@pytest.fixture
def provider(junction: Junction) -> Iterator[OAuthProvider]:
    with OAuthProvider(require_pkce=True) as server:
        server.add_client(
            RegisteredClient(
                "junction-app",
                "app-secret",
                redirect_uris=(junction.base_url + CALLBACK_PATH,),
                token_endpoint_auth_method="client_secret_post",
            )
        )
        yield server


def _setup(junction: Junction, provider: OAuthProvider, grant: str) -> tuple[httpx.Client, int]:
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        connector = client.post("/v1.0/connectors", json=oauth_definition(provider, grant))
        assert connector.status_code == 201, connector.text
        connector_id = connector.json()["Id"]
        props = client.put(
            f"/v1.0/connectors/{connector_id}/partnerproperties",
            json=[
                {"Name": "OAuthClientId", "Value": "junction-app"},
                {"Name": "OAuthClientSecret", "Value": "app-secret"},
            ],
        )
        assert props.json() == [
            {"Name": "OAuthClientId", "IsSet": True},
            {"Name": "OAuthClientSecret", "IsSet": True},
        ]
        assert "app-secret" not in props.text
    return junction.http(partner, account="acme"), connector_id


def _me(api: httpx.Client, ac: int) -> httpx.Response:
    return api.post(f"/v1.0/account/connectors/{ac}/methods/me", json={})


def _sign_in(junction: Junction, api: httpx.Client, ac: int) -> None:
    start = api.post(
        f"/v1.0/account/connectors/{ac}/oauth/authorize",
        json={"ReturnUrl": "https://app.example.com/done"},
    )
    assert start.status_code == 200, start.text
    url = start.json()["AuthoriseUrl"]
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [junction.base_url + CALLBACK_PATH]
    to_callback = httpx.get(url, follow_redirects=False)
    assert to_callback.status_code == 302
    back = httpx.get(to_callback.headers["location"], follow_redirects=False)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "https://app.example.com/done?status=success"


def test_authorisation_code_flow_and_refresh_on_401(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    row = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()
    assert row["Authenticated"] is False
    _sign_in(junction, api, row["Id"])
    assert api.get(f"/v1.0/account/connectors/{row['Id']}").json()["Authenticated"] is True
    assert provider.token_requests["authorization_code"] == 1

    assert _me(api, row["Id"]).json()["user"] == "alice"
    provider.expire_access_tokens()  # Junction still believes the token is fresh
    assert _me(api, row["Id"]).json()["user"] == "alice"
    assert provider.token_requests["refresh_token"] == 1
    assert len(provider.refresh_tokens_used) == 1  # the rotated token replaced the old one

    # Proactive refresh: once Junction's clock passes the expiry, it refreshes before calling.
    junction.clock.advance(timedelta(hours=2))
    assert _me(api, row["Id"]).status_code == 200
    assert provider.token_requests["refresh_token"] == 2


def test_the_state_is_single_use_and_denials_are_recorded(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()["Id"]
    url = api.post(f"/v1.0/account/connectors/{ac}/oauth/authorize", json={}).json()["AuthoriseUrl"]
    denied = httpx.get(url + "&deny=1", follow_redirects=False).headers["location"]
    page = httpx.get(denied)
    assert page.status_code == 400
    assert "did not grant access" in page.text
    assert "access_denied" in api.get(f"/v1.0/account/connectors/{ac}").json()["AuthError"]
    replay = httpx.get(denied)
    assert replay.status_code == 400
    assert "unknown or has expired" in replay.text


def test_fifty_concurrent_calls_cause_one_refresh(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = _install_with_tokens(api, provider, connector)
    provider.expire_access_tokens()
    provider.delay_token_seconds = 0.5  # keep the refresh in flight while the others arrive

    def call(_: int) -> int:
        with junction.http(api.headers["Authorization"].split()[1], account="acme") as client:
            return _me(client, ac).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(50)))
    assert statuses == [200] * 50
    assert provider.token_requests["refresh_token"] == 1


def test_a_refusal_that_arrives_after_the_refresh_does_not_refresh_again(
    junction: Junction, provider: OAuthProvider
) -> None:
    """A call whose 401 comes back once another call has refreshed already gets the new
    token, with no second refresh: it names the token it carried, not the last one handed
    out (which, by then, is the new one)."""
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = _install_with_tokens(api, provider, connector)

    async def token(rejected: str | None = None) -> str:
        connection = await junction.services.gateway.connection(ac)
        source = connection.context.credentials.access_token
        assert source is not None
        return await source(rejected=rejected)

    old = junction.run(token())
    provider.expire_access_tokens()
    assert _me(api, ac).status_code == 200  # refused, refreshed, tried again
    assert provider.token_requests["refresh_token"] == 1
    new = junction.run(token(rejected=old))  # the slow call's 401, with the old token
    assert new != old
    assert provider.token_requests["refresh_token"] == 1
    # A refusal of the new token does refresh.
    assert junction.run(token(rejected=new)) not in (old, new)
    assert provider.token_requests["refresh_token"] == 2


def _install_with_tokens(api: httpx.Client, provider: OAuthProvider, connector: int) -> int:
    """Tokens got outside Junction (password grant), handed in as an OAuth2 AuthValue."""
    tokens = httpx.post(
        provider.token_url,
        data={
            "grant_type": "password",
            "username": "alice",
            "password": "alice-pw",
            "scope": "read",
            "client_id": "junction-app",
            "client_secret": "app-secret",
        },
    ).json()
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": tokens_json(tokens["access_token"], tokens["refresh_token"], 3600)},
    ).json()
    ac: int = row["Id"]
    return ac


def test_a_dead_refresh_token_marks_the_connector_unauthenticated(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = _install_with_tokens(api, provider, connector)
    provider.expire_access_tokens()
    provider.fail_refresh = True  # invalid_grant
    failed = _me(api, ac)
    assert failed.status_code == 400
    after = api.get(f"/v1.0/account/connectors/{ac}").json()
    assert after["Authenticated"] is False
    assert "invalid_grant" in after["AuthError"]


def test_provider_trouble_keeps_the_connection(junction: Junction, provider: OAuthProvider) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = _install_with_tokens(api, provider, connector)
    provider.expire_access_tokens()
    provider.fail_token_status = 503
    failed = _me(api, ac)
    assert failed.status_code == 502
    assert "503" in failed.json()["Message"]
    assert api.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
    provider.fail_token_status = None
    assert _me(api, ac).json()["user"] == "alice"


def test_password_grant_starts_again_when_the_refresh_token_dies(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "PasswordCredentials")
    basic = base64.b64encode(b"alice:alice-pw").decode()
    row = api.post(f"/v1.0/connectors/{connector}/install", json={"AuthValue": basic}).json()
    assert row["Authenticated"] is True
    assert _me(api, row["Id"]).json()["user"] == "alice"  # the password grant, on first use
    assert provider.token_requests["password"] == 1

    provider.expire_access_tokens()
    provider.fail_refresh = True
    assert _me(api, row["Id"]).json()["user"] == "alice"
    assert provider.token_requests["password"] == 2
    assert api.get(f"/v1.0/account/connectors/{row['Id']}").json()["Authenticated"] is True


def test_account_values_cannot_move_the_token_url(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, _ = _setup(junction, provider, "ClientCredentials")
    with junction.http(junction.token()) as partner:
        document = oauth_definition(provider, "ClientCredentials")
        document["Version"] = "2"
        document["Authentication"][0]["OAuth2"]["TokenUrl"] = (
            provider.base_url + "/{{Tenant}}/token"
        )
        document["Parameters"].append(
            {"TargetType": "MergeField", "TargetName": "Tenant", "AccountConnectorProperty": True}
        )
        connector = partner.post("/v1.0/connectors", json=document).json()["Id"]
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"Properties": [{"Name": "Tenant", "Value": "../token?x="}]},
    ).json()
    response = _me(api, row["Id"])
    assert response.status_code == 502  # /..%2Ftoken%3Fx%3D/token: not the provider's endpoint
    assert provider.token_requests["client_credentials"] == 0


def test_client_credentials(junction: Junction, provider: OAuthProvider) -> None:
    api, connector = _setup(junction, provider, "ClientCredentials")
    row = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()
    assert row["Authenticated"] is True
    response = _me(api, row["Id"])
    assert response.status_code == 200, response.text
    assert response.json()["client_id"] == "junction-app"
    assert provider.token_requests["client_credentials"] == 1
    _me(api, row["Id"])
    assert provider.token_requests["client_credentials"] == 1  # the token is reused


def test_missing_partner_property_is_explained(junction: Junction, provider: OAuthProvider) -> None:
    api, connector = _setup(junction, provider, "ClientCredentials")
    with junction.http(junction.token()) as partner:
        partner.put(
            f"/v1.0/connectors/{connector}/partnerproperties",
            json=[{"Name": "OAuthClientId", "Value": None}],
        )
        bad = partner.put(
            f"/v1.0/connectors/{connector}/partnerproperties", json=[{"Name": "Nope", "Value": "x"}]
        )
        assert bad.status_code == 400
        assert "Nope" in bad.json()["Message"]
    row = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()
    response = _me(api, row["Id"])
    assert response.status_code == 400
    assert "OAuthClientId" in response.json()["Message"]


def test_cancelled_new_consent_keeps_a_working_connection(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, connector = _setup(junction, provider, "AuthorisationCode")
    ac = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()["Id"]
    _sign_in(junction, api, ac)
    url = api.post(f"/v1.0/account/connectors/{ac}/oauth/authorize", json={}).json()["AuthoriseUrl"]
    denied = httpx.get(url + "&deny=1", follow_redirects=False).headers["location"]
    assert httpx.get(denied).status_code == 400
    assert api.get(f"/v1.0/account/connectors/{ac}").json()["Authenticated"] is True
    assert _me(api, ac).json()["user"] == "alice"


def test_dot_segments_cannot_move_the_token_url(
    junction: Junction, provider: OAuthProvider
) -> None:
    api, _ = _setup(junction, provider, "ClientCredentials")
    with junction.http(junction.token()) as partner:
        document = oauth_definition(provider, "ClientCredentials")
        document["Version"] = "3"
        document["Authentication"][0]["OAuth2"]["TokenUrl"] = (
            provider.base_url + "/x/{{Tenant}}/token"
        )
        document["Parameters"].append(
            {"TargetType": "MergeField", "TargetName": "Tenant", "AccountConnectorProperty": True}
        )
        connector = partner.post("/v1.0/connectors", json=document).json()["Id"]
    row = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"Properties": [{"Name": "Tenant", "Value": ".."}]},
    ).json()
    response = _me(api, row["Id"])
    assert response.status_code == 400
    assert "{{Tenant}}" in response.json()["Message"]
    assert provider.token_requests["client_credentials"] == 0


def test_a_token_handed_in_needs_no_client_credentials_until_it_expires(
    junction: Junction, provider: OAuthProvider
) -> None:
    """The partner has set no client id or secret: a token given as the AuthValue is used
    as it is; only a token that must be refreshed needs them."""
    partner = junction.token()
    with junction.http(partner) as client:
        client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        created = client.post(
            "/v1.0/connectors", json=oauth_definition(provider, "AuthorisationCode")
        )
        assert created.status_code == 201, created.text
        connector = created.json()["Id"]
    api = junction.http(partner, account="acme")
    ac = _install_with_tokens(api, provider, connector)
    answer = _me(api, ac)
    assert answer.status_code == 200, answer.text
    assert provider.token_requests["refresh_token"] == 0

    tokens = httpx.post(
        provider.token_url,
        data={
            "grant_type": "password",
            "username": "alice",
            "password": "alice-pw",
            "client_id": "junction-app",
            "client_secret": "app-secret",
        },
    ).json()
    expiring = api.post(
        f"/v1.0/connectors/{connector}/install",
        json={"AuthValue": tokens_json(tokens["access_token"], tokens["refresh_token"], 1)},
    ).json()["Id"]
    refused = _me(api, expiring)
    assert refused.status_code == 400
    assert "OAuthClientId" in refused.json()["Message"]
