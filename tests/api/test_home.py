"""The public home page: where to go next, and nothing about what runs or how much."""

from __future__ import annotations

import re

from junction import __version__
from tests.fixtures.server import Junction


def test_the_home_page_links_the_docs_and_health(junction: Junction) -> None:
    with junction.http() as client:
        page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', page.text))
    assert {"/docs", "/openapi.json", "/healthz", "/readyz"} <= links
    assert "<h1>Junction</h1>" in page.text
    assert "/demo/crm" not in page.text
    assert "<script" not in page.text


def test_the_home_page_reveals_nothing_about_the_installation(junction: Junction) -> None:
    # Something to count: an account with a user of the API.
    token = junction.token()
    with junction.http(token) as api:
        created = api.post("/v1.0/accounts", json={"Name": "Acme Ltd"})
        assert created.status_code in (200, 201), created.text
    with junction.http() as client:
        html = client.get("/").text
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*</style>", "", html, flags=re.S))
    assert __version__ not in text
    for revealing in ("sqlite", "postgres", "procrastinate", "local", "Accounts", "Cycles"):
        assert revealing.lower() not in text.lower(), revealing
    assert junction.services.settings.public_base_url not in html
    assert not re.search(r"\d", text), text  # no version, counts or dates
