"""The audit log: a console change is recorded with who, what, before and after; partners
read it through the API, accounts cannot; secrets never reach it."""

from __future__ import annotations

import httpx

from junction.audit.service import HIDDEN, without_secrets
from tests.console.support import PASSWORD, post_form
from tests.fixtures.server import Junction


def test_a_console_change_is_in_the_audit_log_for_partners_only(
    junction: Junction, admin: httpx.Client
) -> None:
    made = post_form(
        admin, "/console/users", {"username": "vic", "password": PASSWORD, "role": "viewer"}
    )
    assert made.status_code == 303
    refused = post_form(admin, "/console/users", {"username": "x y", "password": PASSWORD})
    assert refused.status_code == 400

    partner = junction.http(junction.token())
    listed = partner.get("/v1.0/audit")
    assert listed.status_code == 200, listed.text
    assert listed.headers["Total-Records"] == "1"  # the refused form recorded nothing
    (entry,) = listed.json()
    assert entry["Actor"] == "console:admin"
    assert entry["Action"] == "console-user.create"
    assert (entry["TargetKind"], entry["TargetId"]) == ("console-user", "vic")
    assert entry["Before"] is None
    assert entry["After"] == {"Username": "vic", "Role": "viewer"}
    assert partner.get("/v1.0/audit", params={"actor": "console:nobody"}).json() == []
    assert len(partner.get("/v1.0/audit", params={"targetKind": "console-user"}).json()) == 1
    bad = partner.get("/v1.0/audit", params={"after": "yesterday"})
    assert bad.status_code == 400
    assert "after" in bad.text

    page = admin.get("/console/audit")
    assert page.status_code == 200
    assert "console-user.create" in page.text
    assert "console:admin" in page.text

    account = partner.post("/v1.0/accounts", json={"Name": "Acme"}).json()["Id"]
    as_account = junction.http(junction.token(scope=f"account:{account}"))
    assert as_account.get("/v1.0/audit").status_code == 403


def test_secrets_are_hidden_at_any_depth() -> None:
    hidden = without_secrets(
        {"ClientSecret": "s3", "Name": "n", "Nested": [{"AuthValue": "k", "Password": ""}]}
    )
    assert hidden == {
        "ClientSecret": HIDDEN,
        "Name": "n",
        "Nested": [{"AuthValue": HIDDEN, "Password": ""}],
    }
