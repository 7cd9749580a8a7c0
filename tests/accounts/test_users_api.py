"""PUT /v1.0/users, and suspending and resuming accounts and account users: a suspended
one cannot sign in to the embedded pages, and its open sessions end."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fixtures.server import Junction

SESSION_COOKIE = re.compile(r"junction_session=([^;]+)")


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    for account in ("acme", "globex"):
        assert client.post("/v1.0/accounts", json={"Id": account, "Name": account}).is_success
    return client


def _orbit(partner: httpx.Client, account: str, username: str, password: str) -> httpx.Response:
    return partner.post(
        "/v1.0/users/orbit",
        json={"AccountId": account, "Username": username, "Password": password},
    )


def test_put_users_sets_a_password(partner: httpx.Client) -> None:
    added = partner.put(
        "/v1.0/accounts/acme/users", json={"UserName": "ann", "Password": "first-pass"}
    )
    assert added.status_code == 200, added.text
    assert _orbit(partner, "acme", "ann", "first-pass").status_code == 200

    changed = partner.put("/v1.0/users", json={"UserName": "ann", "Password": "second-pass"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["UserName"] == "ann"
    assert changed.json()["Suspended"] is False
    assert _orbit(partner, "acme", "ann", "second-pass").status_code == 200
    assert _orbit(partner, "acme", "ann", "first-pass").status_code == 401


def test_put_users_needs_the_account_when_the_name_is_in_several(partner: httpx.Client) -> None:
    for account in ("acme", "globex"):
        partner.put(f"/v1.0/accounts/{account}/users", json={"UserName": "bob"})
    ambiguous = partner.put("/v1.0/users", json={"UserName": "bob", "Password": "long-enough"})
    assert ambiguous.status_code == 409
    assert "AccountId" in ambiguous.json()["Message"]
    chosen = partner.put(
        "/v1.0/users", json={"UserName": "bob", "Password": "long-enough", "AccountId": "globex"}
    )
    assert chosen.status_code == 200, chosen.text
    assert _orbit(partner, "globex", "bob", "long-enough").status_code == 200
    assert _orbit(partner, "acme", "bob", "long-enough").status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        pytest.param(
            {"UserName": "nobody", "Password": "long-enough"}, 404, "nobody", id="unknown"
        ),
        pytest.param({"UserName": "ann", "Password": "short"}, 400, "Password", id="short"),
        pytest.param({"UserName": "ann"}, 400, "Password", id="no-password"),
        pytest.param({"Password": "long-enough"}, 400, "UserName", id="no-username"),
        pytest.param(
            {"UserName": "ann", "Password": "long-enough", "AccountId": "nowhere"},
            404,
            "nowhere",
            id="unknown-account",
        ),
    ],
)
def test_put_users_refuses_bad_input(
    partner: httpx.Client, body: dict[str, str], status: int, fragment: str
) -> None:
    partner.put("/v1.0/accounts/acme/users", json={"UserName": "ann"})
    answer = partner.put("/v1.0/users", json=body)
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["Message"]


def _sign_in_link(partner: httpx.Client, account: str, username: str | None = None) -> str:
    body = {"Username": username} if username else {}
    token = partner.post(f"/v1.0/accounts/{account}/signintoken", json=body).json()["Token"]
    return f"/account/signinwithtoken?token={token}&returnUrl=%2Forbit"


def _signed_in(junction: Junction, link: str) -> httpx.Client:
    client = junction.http()
    answer = client.get(link)
    assert answer.status_code == 303, answer.text
    found = SESSION_COOKIE.search(answer.headers["set-cookie"])
    assert found is not None
    client.headers["Cookie"] = f"junction_session={found.group(1)}"
    assert client.get("/orbit").status_code == 200
    return client


def test_a_suspended_user_cannot_sign_in(junction: Junction, partner: httpx.Client) -> None:
    open_session = _signed_in(junction, _sign_in_link(partner, "acme", "ann"))
    waiting_link = _sign_in_link(partner, "acme", "ann")

    suspended = partner.post("/v1.0/accounts/acme/users/suspend", json={"UserName": "ann"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["Suspended"] is True
    users = partner.get("/v1.0/accounts/acme/users").json()
    assert [(u["UserName"], u["Suspended"]) for u in users] == [("ann", True)]

    refused = junction.http().get(waiting_link)
    assert refused.status_code == 401
    assert "suspended" in refused.text
    assert open_session.get("/orbit").status_code == 401  # the open session has ended
    # Other users of the account, and sign-ins naming no user, are not affected.
    _signed_in(junction, _sign_in_link(partner, "acme", "cat"))
    _signed_in(junction, _sign_in_link(partner, "acme"))

    resumed = partner.post("/v1.0/accounts/acme/users/resume", json={"UserName": "ann"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["Suspended"] is False
    _signed_in(junction, waiting_link)


def test_a_suspended_account_cannot_sign_in(junction: Junction, partner: httpx.Client) -> None:
    open_session = _signed_in(junction, _sign_in_link(partner, "acme", "ann"))
    waiting_link = _sign_in_link(partner, "acme")

    suspended = partner.post("/v1.0/accounts/acme/suspend")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json() == {"Id": "acme", "Suspended": True}
    assert partner.post("/v1.0/accounts/acme/suspend").status_code == 200  # again: no change

    assert junction.http().get(waiting_link).status_code == 401
    assert open_session.get("/orbit").status_code == 401
    _signed_in(junction, _sign_in_link(partner, "globex"))  # other accounts sign in

    resumed = partner.post("/v1.0/accounts/acme/resume")
    assert resumed.json() == {"Id": "acme", "Suspended": False}
    _signed_in(junction, waiting_link)


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        pytest.param("/v1.0/accounts/nobody/suspend", None, 404, "nobody", id="account"),
        pytest.param("/v1.0/accounts/nobody/resume", None, 404, "nobody", id="account-resume"),
        pytest.param(
            "/v1.0/accounts/acme/users/suspend", {"UserName": "zed"}, 404, "zed", id="user"
        ),
        pytest.param(
            "/v1.0/accounts/nobody/users/suspend", {"UserName": "ann"}, 404, "nobody", id="user-acc"
        ),
        pytest.param("/v1.0/accounts/acme/users/resume", {}, 400, "UserName", id="no-username"),
    ],
)
def test_suspension_refuses_unknowns(
    partner: httpx.Client, path: str, body: dict[str, str] | None, status: int, fragment: str
) -> None:
    answer = partner.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["Message"]


def test_an_account_token_cannot_suspend(junction: Junction, partner: httpx.Client) -> None:
    restricted = junction.http(junction.token(scope="account:acme"))
    assert restricted.post("/v1.0/accounts/acme/resume").status_code == 403
    assert (
        restricted.put("/v1.0/users", json={"UserName": "a", "Password": "x" * 8}).status_code
        == 403
    )
