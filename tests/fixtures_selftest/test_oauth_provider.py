"""The test OAuth provider works with a real OAuth client library (authlib's httpx client)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client

from tests.fixtures.oauth_provider import OAuthProvider, RegisteredClient

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never fetched: the test reads the redirect itself
WEB_APP = RegisteredClient(
    "web-app",
    "web-secret",
    redirect_uris=(REDIRECT_URI,),
    token_endpoint_auth_method="client_secret_post",
)
SERVICE = RegisteredClient(
    "service", "service-secret", grant_types=("client_credentials",), scope="read"
)


@pytest.fixture
def provider() -> Iterator[OAuthProvider]:
    with OAuthProvider(clients=[WEB_APP, SERVICE], users={"alice": "alice-pw"}) as running:
        yield running


def web_client(provider: OAuthProvider, **kwargs: object) -> OAuth2Client:
    return OAuth2Client(
        WEB_APP.client_id,
        WEB_APP.client_secret,
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        **kwargs,
    )


def authorize(provider: OAuthProvider, client: OAuth2Client, **extra: str) -> tuple[str, str]:
    """Run the browser leg: return (redirect location, code_verifier)."""
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(
        provider.authorize_url, code_verifier=verifier, **extra
    )
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"], verifier


def me(provider: OAuthProvider, access_token: str) -> httpx.Response:
    return httpx.get(f"{provider.api_url}/me", headers={"Authorization": f"Bearer {access_token}"})


def test_authorization_code_with_pkce_round_trip(provider: OAuthProvider) -> None:
    with web_client(provider, scope="read") as client:
        verifier = generate_token(48)
        url, state = client.create_authorization_url(
            provider.authorize_url, code_verifier=verifier, user="alice"
        )
        redirect = httpx.get(url, follow_redirects=False)

        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [state]
        assert len(query["code"][0]) > 20
        sent = provider.authorize_requests[-1]
        assert sent["code_challenge_method"] == "S256"
        assert sent["code_challenge"]

        token = client.fetch_token(
            provider.token_url, authorization_response=location, state=state, code_verifier=verifier
        )
        assert token["token_type"] == "Bearer"
        assert token["scope"] == "read"
        assert token["refresh_token"].startswith("rt_")

        response = client.get(f"{provider.api_url}/me")
        assert response.status_code == 200
        assert response.json() == {"user": "alice", "scope": "read", "client_id": "web-app"}

        # Codes are single use.
        with pytest.raises(OAuthError) as replay:
            client.fetch_token(
                provider.token_url, authorization_response=location, code_verifier=verifier
            )
        assert replay.value.error == "invalid_grant"

    assert provider.token_requests["authorization_code"] == 2
    first = provider.token_request_log[0]
    assert first.client_auth == "client_secret_post"
    assert first.form["code_verifier"] == verifier
    assert provider.refresh_tokens_issued == [token["refresh_token"]]


def test_pkce_verifier_must_match(provider: OAuthProvider) -> None:
    with web_client(provider) as client:
        location, _verifier = authorize(provider, client)
        with pytest.raises(OAuthError) as failure:
            client.fetch_token(
                provider.token_url,
                authorization_response=location,
                code_verifier=generate_token(48),
            )
    assert failure.value.error == "invalid_grant"


def test_require_pkce_refuses_authorization_without_challenge(provider: OAuthProvider) -> None:
    provider.require_pkce = True
    response = httpx.get(
        provider.authorize_url,
        params={"response_type": "code", "client_id": "web-app", "state": "s1"},
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["s1"]


def test_authorization_errors(provider: OAuthProvider) -> None:
    base = {"response_type": "code", "client_id": "web-app", "state": "s"}
    denied = httpx.get(provider.authorize_url, params={**base, "deny": "1"})
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]

    # An untrusted redirect URI or unknown client must not be redirected to.
    foreign = httpx.get(provider.authorize_url, params={**base, "redirect_uri": "http://evil/"})
    assert foreign.status_code == 400
    unknown = httpx.get(provider.authorize_url, params={**base, "client_id": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_client"


def test_refresh_rotates_and_old_refresh_token_is_rejected(provider: OAuthProvider) -> None:
    with web_client(provider) as client:
        location, verifier = authorize(provider, client)
        first = client.fetch_token(
            provider.token_url, authorization_response=location, code_verifier=verifier
        )
        second = client.refresh_token(provider.token_url, refresh_token=first["refresh_token"])

        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        assert me(provider, second["access_token"]).json()["user"] == "alice"

        with pytest.raises(OAuthError) as reuse:
            client.refresh_token(provider.token_url, refresh_token=first["refresh_token"])
        assert reuse.value.error == "invalid_grant"

        third = client.refresh_token(provider.token_url, refresh_token=second["refresh_token"])

    assert provider.token_requests["refresh_token"] == 3
    assert provider.refresh_tokens_issued == [
        first["refresh_token"],
        second["refresh_token"],
        third["refresh_token"],
    ]
    assert provider.refresh_tokens_used == [first["refresh_token"], second["refresh_token"]]


def test_client_credentials_with_basic_auth(provider: OAuthProvider) -> None:
    with OAuth2Client(
        SERVICE.client_id, SERVICE.client_secret, token_endpoint_auth_method="client_secret_basic"
    ) as client:
        token = client.fetch_token(provider.token_url, grant_type="client_credentials")
        assert "refresh_token" not in token
        assert client.get(f"{provider.api_url}/me").json() == {
            "user": None,
            "scope": "read",
            "client_id": "service",
        }

        # The client is registered for client_secret_basic only.
        wrong_method = httpx.post(
            provider.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": SERVICE.client_id,
                "client_secret": SERVICE.client_secret,
            },
        )
        assert wrong_method.status_code == 401
        assert wrong_method.json()["error"] == "invalid_client"

        with pytest.raises(OAuthError) as too_much:
            client.fetch_token(provider.token_url, grant_type="client_credentials", scope="write")
        assert too_much.value.error == "invalid_scope"

    assert provider.token_request_log[0].client_auth == "client_secret_basic"
    assert provider.token_requests["client_credentials"] == 3


def test_password_grant(provider: OAuthProvider) -> None:
    with web_client(provider) as client:
        token = client.fetch_token(provider.token_url, username="alice", password="alice-pw")
        assert token["refresh_token"]
        assert me(provider, token["access_token"]).json()["user"] == "alice"

        with pytest.raises(OAuthError) as failure:
            client.fetch_token(provider.token_url, username="alice", password="wrong")
        assert failure.value.error == "invalid_grant"
    assert provider.token_requests["password"] == 2


def test_expired_revoked_and_missing_tokens_get_401() -> None:
    with OAuthProvider(clients=[SERVICE], access_token_lifetime=1) as provider:
        with OAuth2Client(SERVICE.client_id, SERVICE.client_secret) as client:
            token = client.fetch_token(provider.token_url, grant_type="client_credentials")
            assert token["expires_in"] == 1
            assert me(provider, token["access_token"]).status_code == 200

            time.sleep(1.05)
            expired = me(provider, token["access_token"])
            assert expired.status_code == 401
            assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]

            fresh = client.fetch_token(provider.token_url, grant_type="client_credentials")
            provider.revoke_access_token(fresh["access_token"])
            assert me(provider, fresh["access_token"]).status_code == 401

            forced = client.fetch_token(provider.token_url, grant_type="client_credentials")
            provider.expire_access_tokens()
            assert me(provider, forced["access_token"]).status_code == 401

        missing = httpx.get(f"{provider.api_url}/me")
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert [r.status for r in provider.api_requests] == [200, 401, 401, 401, 401]


def test_fail_refresh_switch(provider: OAuthProvider) -> None:
    with web_client(provider) as client:
        token = client.fetch_token(provider.token_url, username="alice", password="alice-pw")
        provider.fail_refresh = True
        with pytest.raises(OAuthError) as failure:
            client.refresh_token(provider.token_url, refresh_token=token["refresh_token"])
        assert failure.value.error == "invalid_grant"
        assert provider.refresh_tokens_used == []

        # A refused refresh did not consume the token.
        provider.fail_refresh = False
        client.refresh_token(provider.token_url, refresh_token=token["refresh_token"])

        provider.fail_token_status = 503
        failed = httpx.post(
            provider.token_url,
            data={"grant_type": "password", "username": "alice", "password": "alice-pw"},
            auth=(WEB_APP.client_id, WEB_APP.client_secret),
        )
        assert failed.status_code == 503
    assert provider.token_requests["refresh_token"] == 2
    assert [r.error for r in provider.token_request_log] == [
        None,
        "invalid_grant",
        None,
        "temporarily_unavailable",
    ]


def test_concurrent_refreshes_with_one_token_let_exactly_one_win(provider: OAuthProvider) -> None:
    with web_client(provider) as client:
        refresh = client.fetch_token(provider.token_url, username="alice", password="alice-pw")[
            "refresh_token"
        ]
    provider.delay_token_seconds = 0.5
    statuses: list[int] = []

    def refresh_once() -> None:
        response = httpx.post(
            provider.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": WEB_APP.client_id,
                "client_secret": WEB_APP.client_secret,
            },
        )
        statuses.append(response.status_code)

    started = time.monotonic()
    threads = [threading.Thread(target=refresh_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Both waited at once (not one after the other), and rotation let only one through.
    assert time.monotonic() - started < 0.9
    assert sorted(statuses) == [200, 400]
    assert provider.token_requests["refresh_token"] == 2
    assert provider.refresh_tokens_used == [refresh]


def test_items_pages_and_scope() -> None:
    with OAuthProvider(clients=[SERVICE], items_total=12, page_size=5) as provider:
        with OAuth2Client(SERVICE.client_id, SERVICE.client_secret) as client:
            client.fetch_token(provider.token_url, grant_type="client_credentials")
            pages = [client.get(f"{provider.api_url}/items", params={"page": n}) for n in (1, 3)]
            assert [item["id"] for item in pages[0].json()["items"]] == [1, 2, 3, 4, 5]
            assert pages[0].json()["next_page"] == 2
            assert pages[1].json() == {
                "page": 3,
                "items": [{"id": 11, "name": "Item 11"}, {"id": 12, "name": "Item 12"}],
                "next_page": None,
            }
            provider.items_scope = "items"
            forbidden = client.get(f"{provider.api_url}/items")
            assert forbidden.status_code == 403
            assert forbidden.json()["error"] == "insufficient_scope"
        assert provider.api_requests[0].path == "/api/items?page=1"


def test_usable_from_an_asyncio_loop_in_another_thread(provider: OAuthProvider) -> None:
    results: list[object] = []

    async def use_provider() -> None:
        async with AsyncOAuth2Client(SERVICE.client_id, SERVICE.client_secret) as client:
            await client.fetch_token(provider.token_url, grant_type="client_credentials")
            response = await client.get(f"{provider.api_url}/me")
            results.append(response.json()["client_id"])

    thread = threading.Thread(target=asyncio.run, args=(use_provider(),))
    thread.start()
    thread.join(timeout=10)
    assert results == ["service"]
