"""The Mailer stand-in: OAuth 2.0 bearer tokens from its provider, subscribers, failures."""

from __future__ import annotations

import time

import httpx
from authlib.integrations.httpx_client import OAuth2Client

from tests.fixtures.mailer import MAILER_CLIENT, MAILER_SCOPE, MailerApi
from tests.fixtures.oauth_provider import OAuthProvider

ANN = {"email": "ann@example.com", "full_name": "Ann Smith", "list": "newsletter"}


def client_credentials_token(mailer: MailerApi) -> str:
    """A token got the way the connector gets it: client credentials, secret in the body."""
    with OAuth2Client(
        MAILER_CLIENT.client_id,
        MAILER_CLIENT.client_secret,
        token_endpoint_auth_method="client_secret_post",
        scope=MAILER_SCOPE,
    ) as client:
        token = client.fetch_token(mailer.provider.token_url, grant_type="client_credentials")
    access_token: str = token["access_token"]
    return access_token


def subscribe(mailer: MailerApi, token: str | None, body: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{mailer.base_url}/subscribers", json=body, headers=headers)


def test_subscribers_need_a_token_from_the_provider(mailer: MailerApi) -> None:
    assert mailer.base_url.startswith("http://127.0.0.1:")
    assert mailer.provider.base_url.startswith("http://127.0.0.1:")
    missing = subscribe(mailer, None, ANN)
    assert (missing.status_code, missing.json()) == (401, {"error": "unauthorized"})
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="mailer"'
    wrong = subscribe(mailer, "at_not-a-token", ANN)
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_token"})
    basic = httpx.post(f"{mailer.base_url}/subscribers", json=ANN, auth=("a", "b"))
    assert basic.status_code == 401
    assert mailer.subscribers == []

    token = client_credentials_token(mailer)
    assert mailer.provider.token_requests["client_credentials"] == 1
    created = subscribe(mailer, token, ANN)
    assert (created.status_code, created.json()) == (201, {"id": 1, **ANN})

    mailer.provider.expire_access_tokens()
    assert subscribe(mailer, token, ANN).status_code == 401  # so a client must get a new one
    assert subscribe(mailer, client_credentials_token(mailer), ANN).status_code == 201


def test_subscribers_are_recorded_as_received_in_order(mailer: MailerApi) -> None:
    token = client_credentials_token(mailer)
    bob = {"email": "bob@example.com", "full_name": None, "list": "customers", "extra": 1}
    assert subscribe(mailer, token, ANN).json()["id"] == 1
    assert subscribe(mailer, token, bob).json() == {"id": 2, **bob}
    assert subscribe(mailer, token, {"email": "cy@example.com"}).json()["id"] == 3
    assert mailer.subscribers == [ANN, bob, {"email": "cy@example.com"}]
    first = mailer.requests_to("POST", "/subscribers")[0]
    assert first.json() == ANN
    assert first.header("authorization") == f"Bearer {token}"


def test_bad_subscribers_are_refused_and_not_recorded(mailer: MailerApi) -> None:
    token = client_credentials_token(mailer)
    no_email = subscribe(mailer, token, {"full_name": "Nobody"})
    assert (no_email.status_code, no_email.json()) == (422, {"error": "email is required"})
    assert subscribe(mailer, token, {**ANN, "list": "nope"}).status_code == 422
    assert subscribe(mailer, token, [ANN]).status_code == 400
    not_json = httpx.post(
        f"{mailer.base_url}/subscribers",
        content=b"email=a",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert not_json.status_code == 400
    assert mailer.subscribers == []


def test_lists(mailer: MailerApi) -> None:
    headers = {"Authorization": f"Bearer {client_credentials_token(mailer)}"}
    lists = httpx.get(f"{mailer.base_url}/lists", headers=headers)
    assert lists.json() == {
        "lists": [
            {"id": "newsletter", "name": "Newsletter"},
            {"id": "customers", "name": "Customers"},
        ]
    }
    assert httpx.get(f"{mailer.base_url}/lists").status_code == 401


def test_fail_next_and_delay(mailer: MailerApi) -> None:
    token = client_credentials_token(mailer)
    mailer.fail_next(2, 500)
    assert [subscribe(mailer, token, ANN).status_code for _ in range(3)] == [500, 500, 201]
    assert mailer.subscribers == [ANN]  # failed calls are recorded as requests only
    assert [r.status for r in mailer.requests] == [500, 500, 201]

    mailer.delay_seconds = 0.3
    started = time.monotonic()
    assert subscribe(mailer, token, ANN).status_code == 201
    assert time.monotonic() - started >= 0.3


def test_a_shared_provider_is_used_and_left_running() -> None:
    with OAuthProvider(clients=[MAILER_CLIENT]) as provider:
        with MailerApi(provider) as mailer:
            token = client_credentials_token(mailer)
            assert subscribe(mailer, token, ANN).status_code == 201
        assert httpx.post(provider.token_url).status_code == 400  # still serving
