"""The customer pages' appearance: the partner's, an account's changes over it, checked on
the way in, and a preview."""

from __future__ import annotations

import httpx
import pytest

from tests.embed.flows import browser_client, set_up_partner
from tests.fixtures.server import Junction

LOOK = {
    "BrandName": "Partner Hub",
    "LogoUrl": "https://partner.example/logo.png",
    "Colors": {"Accent": "#0a7d5a", "Background": "#ffffff"},
    "Font": "'Inter', sans-serif",
    "CustomCss": ".jn-card { border-radius: 0; }",
    "HeaderHtml": "<p class='banner'>Partner header</p>",
    "FooterHtml": "<p>Partner footer</p>",
    "ConnectorCallbackErrorHtml": "<h1>Sign-in failed</h1><p>{{error}}: {{error_description}}</p>",
}


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = set_up_partner(junction)
    for account in ("acme", "other"):
        assert client.post("/v1.0/accounts", json={"Id": account, "Name": account}).is_success
    return client


def _signed_in(junction: Junction, partner: httpx.Client, account: str) -> httpx.Client:
    answer = partner.post(f"/v1.0/accounts/{account}/orbit", json={})
    client, _ = browser_client(junction, answer.json()["OrbitUrl"])
    return client


def test_the_partners_look_and_an_accounts_changes(
    junction: Junction, partner: httpx.Client
) -> None:
    stored = partner.put("/v1.0/settings/appearance", json=LOOK)
    assert stored.status_code == 200, stored.text
    assert partner.get("/v1.0/settings/appearance").json() == LOOK
    changes = {"BrandName": "Acme Integrations", "Colors": {"Accent": "#aa0000"}}
    assert partner.put("/v1.0/accounts/acme/appearance", json=changes).json() == changes

    acme = _signed_in(junction, partner, "acme")
    page = acme.get("/orbit").text
    assert "Acme Integrations" in page
    assert "Partner header" in page
    assert "Partner footer" in page
    theme = acme.get("/embed/theme.css")
    assert theme.headers["content-type"].startswith("text/css")
    assert "--jn-accent: #aa0000;" in theme.text
    assert "--jn-background: #ffffff;" in theme.text
    assert "--jn-font: 'Inter', sans-serif;" in theme.text
    assert ".jn-card { border-radius: 0; }" in theme.text

    other = _signed_in(junction, partner, "other")
    assert "Partner Hub" in other.get("/orbit").text
    assert "--jn-accent: #0a7d5a;" in other.get("/embed/theme.css").text

    assert partner.delete("/v1.0/accounts/acme/appearance").status_code == 200
    assert "Partner Hub" in acme.get("/orbit").text

    # A failed sign-in shows the partner's HTML, with the app's words escaped.
    failed = acme.get(
        "/launch/oauth-done",
        params={"back": "/orbit", "status": "error", "message": "access_denied: <b>no</b>"},
    )
    assert "<h1>Sign-in failed</h1>" in failed.text
    assert "access_denied: &lt;b&gt;no&lt;/b&gt;" in failed.text


def test_a_bad_appearance_is_refused_and_the_old_one_kept(partner: httpx.Client) -> None:
    assert partner.put("/v1.0/settings/appearance", json=LOOK).status_code == 200
    for bad, field in (
        ({"Colors": {"Accent": "red; } body { display: none"}}, "Accent"),
        ({"Font": "x; } body { display: none"}, "Font"),
        ({"LogoUrl": "javascript:alert(1)"}, "LogoUrl"),
        ({"Colours": {}}, "Colours"),
    ):
        answer = partner.put("/v1.0/settings/appearance", json=bad)
        assert answer.status_code == 400, bad
        assert field in answer.text
    assert partner.get("/v1.0/settings/appearance").json() == LOOK
    assert partner.put("/v1.0/accounts/nobody/appearance", json={}).status_code == 404


def test_an_appearance_is_previewed_before_it_is_stored(partner: httpx.Client) -> None:
    preview = partner.post(
        "/v1.0/settings/appearance/preview",
        json={"BrandName": "Try Me", "CustomCss": "h1 { color: teal } </style><script>x()"},
    )
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    assert "Try Me" in preview.text
    assert "h1 { color: teal }" in preview.text
    assert "</style><script>" not in preview.text
    policy = preview.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert partner.get("/v1.0/settings/appearance").json() == {}
