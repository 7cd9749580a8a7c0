"""Marketplaces through the API: cards checked and numbered, the signing secret shown once,
and the link that opens one for an account."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.embed.flows import browser_client, set_up_partner
from tests.fixtures.server import Junction


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    return set_up_partner(junction)


def _template_id(partner: httpx.Client) -> str:
    found: str = partner.get("/v1.0/templates").json()[0]["Id"]
    return found


def marketplace(template_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": "Our integrations",
        "NotificationUrl": "https://partner.example/notifications",
        "Cards": [
            {"Type": "RichText", "Text": "Connect the apps you use."},
            {
                "Type": "IntegrationPackage",
                "Name": "Newsletter",
                "Category": "Marketing",
                "TemplateIds": [template_id],
                "InstalledMessage": "Your sign-ups now reach your list.",
            },
            {"Type": "ActionLink", "Name": "Ask for another", "Url": "https://partner.example/ask"},
        ],
        **extra,
    }


def test_a_marketplace_is_created_numbered_and_kept(partner: httpx.Client) -> None:
    template_id = _template_id(partner)
    created = partner.post("/v1.0/marketplaces", json=marketplace(template_id))
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["NotificationSigningSecret"]) > 30
    package = body["Cards"][1]
    assert package["Id"] == 1
    assert package["SingleInstallation"] is False
    got = partner.get(f"/v1.0/marketplaces/{body['Id']}").json()
    assert "NotificationSigningSecret" not in got
    assert got["Cards"] == body["Cards"]

    # Sent back with a new package: the old one keeps its Id, the new one gets the next.
    document = marketplace(template_id)
    document["Cards"][1]["Id"] = 1
    document["Cards"].append(
        {"Type": "IntegrationPackage", "Name": "Again", "TemplateIds": [template_id]}
    )
    replaced = partner.put(f"/v1.0/marketplaces/{body['Id']}", json=document)
    assert replaced.status_code == 200, replaced.text
    assert [c.get("Id") for c in replaced.json()["Cards"]] == [None, 1, None, 2]
    assert len(partner.get("/v1.0/marketplaces").json()) == 1


def test_bad_marketplaces_are_refused_with_the_field(partner: httpx.Client) -> None:
    template_id = _template_id(partner)
    unknown = marketplace("no-such-template")
    answer = partner.post("/v1.0/marketplaces", json=unknown)
    assert answer.status_code == 400
    assert "Cards[1].TemplateIds[0]" in answer.json()["Message"]
    wrong_type = marketplace(template_id)
    wrong_type["Cards"][0] = {"Type": "Banner", "Text": "x"}
    assert partner.post("/v1.0/marketplaces", json=wrong_type).status_code == 400
    bad_link = marketplace(template_id)
    bad_link["Cards"][2]["Url"] = "javascript:alert(1)"
    answer = partner.post("/v1.0/marketplaces", json=bad_link)
    assert answer.status_code == 400
    assert "Url" in answer.text
    twice = marketplace(template_id)
    twice["Cards"][1]["Id"] = 5
    twice["Cards"].append(
        {"Type": "IntegrationPackage", "Id": 5, "Name": "Twin", "TemplateIds": [template_id]}
    )
    answer = partner.post("/v1.0/marketplaces", json=twice)
    assert answer.status_code == 400
    assert "Cards[3].Id" in answer.json()["Message"]
    for url in ("http://[bad", "ftp://partner.example/n", "partner.example/notifications"):
        answer = partner.post(
            "/v1.0/marketplaces", json=marketplace(template_id, NotificationUrl=url)
        )
        assert answer.status_code == 400, url
        assert "NotificationUrl" in answer.text
    assert partner.get("/v1.0/marketplaces").json() == []
    assert partner.get("/v1.0/marketplaces/99").status_code == 404


def test_deploying_a_marketplace_answers_its_link(
    junction: Junction, partner: httpx.Client
) -> None:
    created = partner.post("/v1.0/marketplaces", json=marketplace(_template_id(partner))).json()
    answer = partner.post(
        "/v1.0/accounts/shop-1/marketplace",
        json={"MarketplaceId": created["Id"], "AccountName": "Shop 1", "CompleteParameter": "x"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"MarketplaceUrl", "AccountId", "Token", "ExpiresAtUtc"}
    query = parse_qs(urlsplit(body["MarketplaceUrl"]).query)
    assert query["returnUrl"] == ["/marketplace"]
    client, signed_in = browser_client(junction, body["MarketplaceUrl"])
    assert signed_in.headers["location"] == "/marketplace"
    page = client.get("/marketplace")
    assert page.status_code == 200
    assert "Newsletter" in page.text
    assert "Connect the apps you use." in page.text
    assert "Marketing" in page.text

    missing = partner.post("/v1.0/accounts/shop-2/marketplace", json={"MarketplaceId": 99})
    assert missing.status_code == 404
    assert partner.get("/v1.0/accounts/shop-2").status_code == 404
    restricted = junction.http(junction.token(scope="account:shop-1"))
    answer = restricted.post("/v1.0/accounts/shop-1/marketplace", json={"MarketplaceId": 1})
    assert answer.status_code == 403
