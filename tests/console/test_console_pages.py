"""Signing in to the console and what each role may do, through HTTP."""

from __future__ import annotations

import httpx

from junction.console import users
from tests.console.support import CSRF, PASSWORD, make_user, sign_in
from tests.fixtures.server import Junction


def test_an_administrator_signs_in_sees_the_overview_and_adds_a_user(
    junction: Junction, admin: httpx.Client
) -> None:
    signed_in = admin.last  # type: ignore[attr-defined]
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/console", "Secure"):
        assert attribute in cookie
    home = admin.get("/console")
    assert home.status_code == 200
    assert "Accounts" in home.text
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]

    page = admin.get("/console/users")
    csrf = CSRF.search(page.text)
    assert csrf
    weak = admin.post(
        "/console/users",
        data={"csrf": csrf.group(1), "username": "vic", "password": "vic", "role": "viewer"},
    )
    assert weak.status_code == 400
    assert 'id="password-error"' in weak.text
    assert "at least 12 characters" in weak.text
    assert 'value="vic"' in weak.text  # what was typed stays
    assert ">vic <" not in admin.get("/console/users").text  # nothing stored
    made = admin.post(
        "/console/users",
        data={"csrf": csrf.group(1), "username": "vic", "password": PASSWORD, "role": "viewer"},
    )
    assert made.status_code == 303
    assert "vic" in admin.get(made.headers["location"]).text

    forged = admin.post("/console/users", data={"username": "x", "password": PASSWORD})
    assert forged.status_code == 403
    out = admin.post("/console/signout", data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    assert admin.get("/console").headers["location"] == "/console/signin"


def test_a_viewer_is_refused_every_change(junction: Junction, admin: httpx.Client) -> None:
    make_user(junction, "vera", users.VIEWER)
    viewer = sign_in(junction, "vera")
    page = viewer.get("/console/users")
    assert page.status_code == 200
    assert "Add a user" not in page.text
    csrf = CSRF.search(page.text)
    assert csrf
    refused = viewer.post(
        "/console/users",
        data={"csrf": csrf.group(1), "username": "x1", "password": PASSWORD, "role": "viewer"},
    )
    assert refused.status_code == 403
    assert "change nothing" in refused.text
    # Looked for as a list entry: the bare "x1" also turns up in random CSRF tokens.
    assert "<li>x1 <span" not in admin.get("/console/users").text
    assert "<li>vera <span" in admin.get("/console/users").text  # the entries' form


def test_sign_in_failures_are_told_and_throttled(junction: Junction) -> None:
    make_user(junction, "admin", users.ADMINISTRATOR)
    assert junction.http().get("/console").status_code == 303
    wrong = sign_in(junction, "admin", "not the password at all").last  # type: ignore[attr-defined]
    assert wrong.status_code == 401
    assert "do not match" in wrong.text
    unknown = sign_in(junction, "nobody", "whatever it is").last  # type: ignore[attr-defined]
    assert unknown.status_code == 401
    # The token endpoint's limits: JUNCTION_TOKEN_FAILURE_LIMIT (10) per name and address.
    for _ in range(10):
        last = sign_in(junction, "admin", "still wrong, still wrong").last  # type: ignore[attr-defined]
    assert last.status_code == 429
    assert "Too many failed sign-ins" in last.text
    # Even the right password waits now.
    assert sign_in(junction, "admin").last.status_code == 429  # type: ignore[attr-defined]
    # A form without the sign-in page's token is refused.
    client = junction.http()
    assert (
        client.post(
            "/console/signin", data={"username": "admin", "password": PASSWORD, "token": "x"}
        ).status_code
        == 403
    )
