"""Bearer tokens on /v1.0: missing, malformed, unknown, expired, revoked, scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fixtures.server import Junction


def _assert_401(response: object) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["Message"]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer", id="empty"),
        pytest.param("Token abc", id="wrong-scheme"),
        pytest.param("Bearer a b", id="two-tokens"),
        pytest.param("Bearer not-a-real-token", id="unknown"),
    ],
)
def test_bad_authorization_headers(junction: Junction, header: str | None) -> None:
    with junction.http() as client:
        headers = {"Authorization": header} if header else {}
        _assert_401(client.get("/v1.0/accounts", headers=headers))


def test_token_expires_after_its_lifetime(junction: Junction) -> None:
    token = junction.token()
    junction.clock.advance(timedelta(days=14) - timedelta(seconds=1))
    with junction.http(token) as client:
        assert client.get("/v1.0/accounts").status_code == 200
        junction.clock.advance(timedelta(seconds=1))
        _assert_401(client.get("/v1.0/accounts"))


def test_revoked_token_stops_working(junction: Junction) -> None:
    admin = junction.token(junction.create_credentials("admin"))
    victim_credentials = junction.create_credentials("victim")
    victim = junction.token(victim_credentials)
    with junction.http(victim) as client:
        # Checked once, so that it is in this process's memory when it is revoked.
        assert client.get("/v1.0/accounts").status_code == 200
    with junction.http(admin) as client:
        assert len(client.get("/v1.0/tokens").json()) == 2
        listed = client.get("/v1.0/tokens", params={"clientId": victim_credentials.client_id})
        tokens = listed.json()
        assert len(tokens) == 1
        assert set(tokens[0]) == {
            "Id",
            "ClientId",
            "AccountId",
            "Scope",
            "IssuedDate",
            "ExpiresDate",
        }
        assert victim not in listed.text  # only hashes are kept; values are never shown
        assert client.delete(f"/v1.0/tokens/{tokens[0]['Id']}").status_code == 200
        assert client.get("/v1.0/accounts").status_code == 200
    with junction.http(victim) as client:
        _assert_401(client.get("/v1.0/accounts"))


def test_revoking_an_unknown_token_is_404(junction: Junction) -> None:
    with junction.http(junction.token()) as client:
        response = client.delete("/v1.0/tokens/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "No access token" in response.json()["Message"]


def test_expired_tokens_are_neither_listed_nor_revocable(junction: Junction) -> None:
    old = junction.create_credentials("old")
    junction.token(old)
    junction.clock.advance(timedelta(days=15))
    with junction.http(junction.token()) as client:
        listed = client.get("/v1.0/tokens").json()
        assert [t["ClientId"] for t in listed] != [old.client_id]
        assert len(listed) == 1

    async def expired_ids() -> list[str]:
        from junction.auth.models import AccessToken

        async with junction.services.database.transaction() as session:
            rows = await session.scalars(
                select(AccessToken.id).where(AccessToken.client_id == old.client_id)
            )
            return list(rows)

    (expired,) = junction.run(expired_ids())
    with junction.http(junction.token()) as client:
        assert client.delete(f"/v1.0/tokens/{expired}").status_code == 404


def test_anonymous_callers_learn_nothing_about_routes(junction: Junction) -> None:
    with junction.http() as client:
        for response in (
            client.post(
                "/v1.0/accounts", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            client.post("/v1.0/accounts", json={}),
            client.get("/v1.0/no-such-route"),
        ):
            assert response.status_code == 401, response.text
            assert response.headers["x-content-type-options"] == "nosniff"


def test_deleting_a_credential_set_kills_its_tokens(junction: Junction) -> None:
    from junction.auth import service

    credentials = junction.create_credentials()
    token = junction.token(credentials)
    with junction.http(token) as client:
        assert client.get("/v1.0/accounts").status_code == 200

    async def delete() -> None:
        async with junction.services.database.transaction() as session:
            await service.delete_credentials(session=session, client_id=credentials.client_id)

    junction.run(delete())
    with junction.http(token) as client:
        _assert_401(client.get("/v1.0/accounts"))
    assert junction.request_token(credentials).status_code == 401


@pytest.fixture
def two_accounts(junction: Junction) -> tuple[str, str, str]:
    """A partner token and the ids of two accounts."""
    partner = junction.token()
    with junction.http(partner) as client:
        first = client.post("/v1.0/accounts", json={"Id": "first", "Name": "First"})
        second = client.post("/v1.0/accounts", json={"Id": "second", "Name": "Second"})
    assert first.status_code == second.status_code == 200
    return partner, "first", "second"


def test_account_level_route_needs_the_account_header(
    junction: Junction, two_accounts: tuple[str, str, str]
) -> None:
    partner, first, _ = two_accounts
    with junction.http(partner) as client:
        missing = client.get("/v1.0/account")
        assert missing.status_code == 401
        assert "X-Cyclr-Account" in missing.json()["Message"]
        unknown = client.get("/v1.0/account", headers={"X-Cyclr-Account": "nope"})
        assert unknown.status_code == 404
        found = client.get("/v1.0/account", headers={"X-Cyclr-Account": first})
        assert found.status_code == 200
        assert found.json()["Id"] == first


def test_account_scoped_token(junction: Junction, two_accounts: tuple[str, str, str]) -> None:
    _, first, second = two_accounts
    credentials = junction.create_credentials("scoped")
    scoped = junction.token(credentials, scope=f"account:{first}")
    with junction.http(scoped) as client:
        assert client.get("/v1.0/account", headers={"X-Cyclr-Account": first}).status_code == 200
        other = client.get("/v1.0/account", headers={"X-Cyclr-Account": second})
        assert other.status_code == 403
        assert other.json()["Message"]
        # Scoped to a missing account is still 403: it must not reveal what exists.
        assert client.get("/v1.0/account", headers={"X-Cyclr-Account": "nope"}).status_code == 403
        assert client.get("/v1.0/accounts").status_code == 403
        assert client.get(f"/v1.0/accounts/{first}").status_code == 403
        assert client.get("/v1.0/tokens").status_code == 403


def test_scoped_tokens_die_with_their_account(
    junction: Junction, two_accounts: tuple[str, str, str]
) -> None:
    partner, first, _ = two_accounts
    scoped = junction.token(scope=f"account:{first}")
    with junction.http(scoped, account=first) as client:
        assert client.get("/v1.0/account").status_code == 200
    with junction.http(partner, account=first) as client:
        assert client.get("/v1.0/account").status_code == 200
    with junction.http(partner) as client:
        assert client.delete(f"/v1.0/accounts/{first}").status_code == 200
    with junction.http(partner, account=first) as client:
        assert client.get("/v1.0/account").status_code == 404
    with junction.http(scoped, account=first) as client:
        _assert_401(client.get("/v1.0/account"))
