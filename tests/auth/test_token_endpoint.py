"""POST /oauth/token: the good request and every bad one."""

from __future__ import annotations

import base64
import email.utils
import socket
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest

from tests.fixtures.process import JunctionProcess
from tests.fixtures.server import InProcess, Junction


def test_token_has_the_cyclr_shape(junction: Junction) -> None:
    credentials = junction.create_credentials()
    response = junction.request_token(credentials)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "token_type",
        "access_token",
        "expires_in",
        "clientId",
        ".issued",
        ".expires",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1209599
    assert body["clientId"] == credentials.client_id
    issued = email.utils.parsedate_to_datetime(body[".issued"])
    expires = email.utils.parsedate_to_datetime(body[".expires"])
    assert expires - issued == timedelta(days=14)
    assert body[".issued"].endswith(" GMT")
    assert len(base64.urlsafe_b64decode(body["access_token"] + "=")) >= 32  # >= 256 bits
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_several_tokens_live_at_once(junction: Junction) -> None:
    credentials = junction.create_credentials()
    first, second = junction.token(credentials), junction.token(credentials)
    assert first != second
    for token in (first, second):
        with junction.http(token) as client:
            assert client.get("/v1.0/accounts").status_code == 200


def test_http_basic_client_authentication(junction: Junction) -> None:
    credentials = junction.create_credentials()
    pair = f"{quote_plus(credentials.client_id)}:{quote_plus(credentials.client_secret or '')}"
    with junction.http() as client:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
        )
    assert response.status_code == 200, response.text
    assert response.json()["clientId"] == credentials.client_id


def test_account_scope(junction: Junction) -> None:
    credentials = junction.create_credentials()
    partner = junction.token(credentials)
    with junction.http(partner) as client:
        account = client.post("/v1.0/accounts", json={"Name": "Scoped"}).json()
    response = junction.request_token(credentials, scope=f"account:{account['Id']}")
    assert response.status_code == 200
    assert response.json()["scope"] == f"account:{account['Id']}"


def _post(junction: Junction, data: dict[str, str], **kwargs: object) -> tuple[int, dict[str, str]]:
    with junction.http() as client:
        response = client.post("/oauth/token", data=data, **kwargs)  # type: ignore[arg-type]
    body = response.json()
    assert body["Message"] == body["error_description"]
    assert response.headers["x-content-type-options"] == "nosniff"
    return response.status_code, body


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        pytest.param({"client_secret": "wrong"}, 401, "invalid_client", id="wrong-secret"),
        pytest.param({"client_id": "nobody"}, 401, "invalid_client", id="unknown-client"),
        pytest.param({"client_secret": ""}, 401, "invalid_client", id="empty-secret"),
        pytest.param({"grant_type": None}, 400, "invalid_request", id="missing-grant-type"),
        pytest.param({"grant_type": "password"}, 400, "unsupported_grant_type", id="wrong-grant"),
        pytest.param({"scope": "account:nope"}, 400, "invalid_scope", id="unknown-account"),
        pytest.param({"scope": "admin"}, 400, "invalid_scope", id="garbage-scope"),
        pytest.param({"scope": "account:a account:b"}, 400, "invalid_scope", id="two-scopes"),
        pytest.param({"scope": "account:"}, 400, "invalid_scope", id="empty-account-scope"),
    ],
)
def test_bad_token_requests(
    junction: Junction, change: dict[str, str | None], status: int, error: str
) -> None:
    credentials = junction.create_credentials()
    data: dict[str, str | None] = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    data.update(change)
    got_status, body = _post(junction, {k: v for k, v in data.items() if v is not None})
    assert (got_status, body["error"]) == (status, error)


def test_wrong_content_type(junction: Junction) -> None:
    credentials = junction.create_credentials()
    with junction.http() as client:
        response = client.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded" in response.json()["Message"]


def test_credentials_in_header_and_body_are_refused(junction: Junction) -> None:
    credentials = junction.create_credentials()
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode())
    status, body = _post(
        junction,
        {"grant_type": "client_credentials", "client_id": credentials.client_id},
        headers={"Authorization": "Basic " + basic.decode()},
    )
    assert (status, body["error"]) == (400, "invalid_request")


def test_repeated_parameter_is_refused(junction: Junction) -> None:
    with junction.http() as client:
        response = client.post(
            "/oauth/token",
            content="grant_type=client_credentials&grant_type=client_credentials",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 400
    assert "more than once" in response.json()["error_description"]


def test_wrong_basic_secret_gets_a_basic_challenge(junction: Junction) -> None:
    credentials = junction.create_credentials()
    basic = base64.b64encode(f"{credentials.client_id}:nope".encode()).decode()
    with junction.http() as client:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_repeated_failures_are_throttled(junction: Junction) -> None:
    credentials = junction.create_credentials()
    limit = junction.services.settings.token_failure_limit
    good = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret or "",
    }
    wrong = {**good, "client_secret": "wrong"}
    # The test server trusts X-Forwarded-For from loopback, as behind a local proxy.
    place_a = {"X-Forwarded-For": "203.0.113.1"}
    place_b = {"X-Forwarded-For": "203.0.113.2"}

    with junction.http() as client:
        for _ in range(limit):
            assert client.post("/oauth/token", data=wrong, headers=place_a).status_code == 401

        # From that address, everything is refused, even the right secret or another client.
        blocked = client.post("/oauth/token", data=good, headers=place_a)
        assert blocked.status_code == 429
        assert blocked.json()["error"] == "too_many_requests"
        retry_after = int(blocked.headers["retry-after"])
        assert 1 <= retry_after <= junction.services.settings.token_failure_window.total_seconds()
        other_client = {**wrong, "client_id": "someone-else"}
        assert client.post("/oauth/token", data=other_client, headers=place_a).status_code == 429

        # Elsewhere, the owner still gets tokens; more wrong guesses for the client are refused.
        assert client.post("/oauth/token", data=good, headers=place_b).status_code == 200
        assert client.post("/oauth/token", data=wrong, headers=place_b).status_code == 429

        junction.clock.advance(timedelta(seconds=retry_after))
        assert client.post("/oauth/token", data=good, headers=place_a).status_code == 200


def _fail_until_throttled(client: httpx.Client, data: dict[str, str], limit: int) -> None:
    for index in range(limit):
        answer = client.post(
            "/oauth/token", data=data, headers={"X-Forwarded-For": f"203.0.113.{index + 1}"}
        )
        assert answer.status_code == 401, answer.text


def test_a_peer_that_is_not_a_trusted_proxy_cannot_pick_its_address(junction: Junction) -> None:
    credentials = junction.create_credentials()
    limit = junction.services.settings.token_failure_limit
    wrong = {
        "grant_type": "client_credentials",
        "client_id": "someone",  # a different client ID each time does not help either
        "client_secret": "wrong",
    }
    # 198.51.100.7 is not in JUNCTION_FORWARDED_ALLOW_IPS (loopback only by default).
    outsider = InProcess(junction.thread.app, junction.thread.loop, peer=("198.51.100.7", 4000))
    with httpx.Client(base_url=junction.base_url, transport=outsider) as client:
        for index in range(limit):
            guess = {**wrong, "client_id": f"someone-{index}"}
            headers = {"X-Forwarded-For": f"203.0.113.{index + 1}"}
            assert client.post("/oauth/token", data=guess, headers=headers).status_code == 401
        # Every attempt counted against the peer's own address, whatever the header said.
        good = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret or "",
        }
        fresh = {"X-Forwarded-For": "192.0.2.99"}
        assert client.post("/oauth/token", data=good, headers=fresh).status_code == 429
    # A trusted proxy's callers are still told apart.
    with junction.http() as proxy:
        assert proxy.post("/oauth/token", data=good, headers=fresh).status_code == 200


@pytest.mark.slow
def test_serve_believes_forwarded_headers_only_from_the_listed_proxies(tmp_path: Path) -> None:
    # Loopback is not listed here, so the test client (on loopback) is an ordinary peer.
    with JunctionProcess(tmp_path / "data", forwarded_allow_ips="192.0.2.1") as server:
        server.start()
        credentials = server.credentials()
        with httpx.Client(base_url=server.base_url) as client:
            wrong = {
                "grant_type": "client_credentials",
                "client_id": credentials["ClientId"],
                "client_secret": "wrong",
            }
            _fail_until_throttled(client, {**wrong, "client_id": "x"}, 10)
            good = {**wrong, "client_secret": credentials["ClientSecret"]}
            answer = client.post(
                "/oauth/token", data=good, headers={"X-Forwarded-For": "198.51.100.200"}
            )
            assert answer.status_code == 429


@pytest.mark.slow
def test_serve_keeps_an_idle_connection_open_longer_than_clients_do(tmp_path: Path) -> None:
    """Clients close idle connections first (httpx after 5 s): one idle for 6 s is still
    the server's to answer on, not closed under the next request."""
    with JunctionProcess(tmp_path / "data") as server:
        server.start()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            conn.sendall(request)
            assert _whole_response(conn).startswith(b"HTTP/1.1 200")
            time.sleep(6)
            conn.sendall(request)
            assert _whole_response(conn).startswith(b"HTTP/1.1 200")


def _whole_response(conn: socket.socket) -> bytes:
    """One response read to the end of its body (its head and body may come apart); b""
    if the server closed the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
