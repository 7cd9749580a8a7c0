"""A connector, a template and helpers for the customer-page tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.cycles.builders import mailing_definition, publish
from tests.engine.hooks import hooks_definition
from tests.fixtures.server import Junction

SESSION_COOKIE = re.compile(r"junction_session=([^;]+)")


def mailing_with_test() -> dict[str, Any]:
    """Test Mailing, whose credentials are tried with its list look-up."""
    definition = mailing_definition()
    definition["AuthenticationTestMethod"] = "lists"
    definition["Parameters"][0]["DisplayName"] = "API address"
    return definition


def newsletter_template() -> dict[str, Any]:
    """A webhook subscribes the address it carries to a list the customer picks."""
    return {
        "Name": "Newsletter sign-ups",
        "Description": "Adds everyone who signs up to your mailing list.",
        "Tags": ["newsletter"],
        "Variables": [{"SystemName": "Source", "IsLaunchVisible": True}],
        "Steps": [
            {
                "Key": "hook",
                "Name": "Signed up",
                "ConnectorName": "Test Hooks",
                "MethodUniqueIdentifier": "contact-hook",
            },
            {
                "Key": "subscribe",
                "Name": "Subscribe",
                "ConnectorName": "Test Mailing",
                "MethodUniqueIdentifier": "subscribe",
                "Parameters": [{"Name": "list", "MappingType": "Ignore", "IsLaunchVisible": True}],
                "FieldMappings": [
                    {
                        "Name": "Email",
                        "MappingType": "StepData",
                        "SourceStepKey": "hook",
                        "SourceField": "Email",
                    }
                ],
            },
        ],
        "Edges": [{"TailStepKey": "hook", "HeadStepKey": "subscribe"}],
    }


def set_up_partner(junction: Junction) -> httpx.Client:
    partner = junction.http(junction.token())
    for definition in (hooks_definition(), mailing_with_test()):
        added = partner.post("/v1.0/connectors", json=definition)
        assert added.status_code == 201, added.text
    publish(partner, newsletter_template())
    return partner


def browser_client(junction: Junction, launch_url: str) -> tuple[httpx.Client, httpx.Response]:
    """A client that followed the sign-in link and keeps its session cookie (sent by hand:
    the cookie is Secure, which a client only sends over HTTPS unless told)."""
    client = junction.http()
    signed_in = client.get(launch_url.removeprefix(junction.base_url))
    found = SESSION_COOKIE.search(signed_in.headers.get("set-cookie", ""))
    if found:
        client.headers["Cookie"] = f"junction_session={found.group(1)}"
    return client, signed_in


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)
