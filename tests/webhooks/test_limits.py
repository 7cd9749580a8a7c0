"""What one webhook call may hold: the items of a list, the nesting depth, and only JSON
that both databases store alike. A refused call stores nothing."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from junction.api.app import create_app
from tests.cycles.builders import authenticate, publish
from tests.engine.hooks import WebhookCycle, chain, create_step, hook_step, install_webhook_cycle
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

Clients = tuple[httpx.Client, httpx.Client]
JSON = {"Content-Type": "application/json"}


def _cycle(clients: Clients, saas: ContactsApi) -> WebhookCycle:
    partner, account = clients
    document = {"Name": "Limited hook", "Steps": [hook_step(), create_step()]}
    return install_webhook_cycle(
        partner, account, saas.base_url, document | {"Edges": chain("hook", "create")}
    )


def _stored(cycle: WebhookCycle) -> int:
    return len(cycle.account.get(f"/v1.0/cycles/{cycle.id}/transactions").json())


def post_with(
    junction: Junction, cycle: WebhookCycle, content: bytes, headers: dict[str, str], **limits: Any
) -> httpx.Response:
    """The call made to an app whose settings carry ``limits`` (same database and engine)."""
    settings = junction.services.settings.model_copy(update=limits)
    app = create_app(dataclasses.replace(junction.services, settings=settings))

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=junction.base_url) as client:
            return await client.post(urlsplit(cycle.url).path, content=content, headers=headers)

    return junction.run(post())


def _list(count: int) -> bytes:
    return b"[" + b",".join([b'{"email":"a@example.com"}'] * count) + b"]"


def test_a_list_at_the_item_limit_is_taken_one_past_it_is_refused(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    cycle = _cycle(clients, saas)
    taken = post_with(junction, cycle, _list(3), JSON, webhook_max_items=3)
    assert taken.status_code == 200, taken.text
    refused = post_with(junction, cycle, _list(4), JSON, webhook_max_items=3)
    assert refused.status_code == 413
    message = refused.json()["Message"]
    assert "more than 3 items" in message
    assert "JUNCTION_WEBHOOK_MAX_ITEMS" in message
    assert _stored(cycle) == 1


def test_a_million_items_are_refused_by_the_default_limit(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    cycle = _cycle(clients, saas)
    at_limit = httpx.post(cycle.url, content=b"[" + b",".join([b"{}"] * 10_000) + b"]")
    assert at_limit.status_code == 200, at_limit.text
    million = httpx.post(cycle.url, content=b"[" + b",".join([b"{}"] * 1_000_000) + b"]")
    assert million.status_code == 413
    assert "more than 10000 items" in million.json()["Message"]
    assert _stored(cycle) == 1


def _nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


@pytest.mark.parametrize("depth", [65, 5000])
def test_a_body_nested_past_the_limit_is_refused_with_400(
    junction: Junction, clients: Clients, saas: ContactsApi, depth: int
) -> None:
    cycle = _cycle(clients, saas)
    at_limit = httpx.post(cycle.url, content=_nested(64), headers=JSON)
    assert at_limit.status_code == 200, at_limit.text
    refused = httpx.post(cycle.url, content=_nested(depth), headers=JSON)
    assert refused.status_code == 400
    assert "nested deeper than 64 levels" in refused.json()["Message"]
    assert _stored(cycle) == 1


@pytest.mark.parametrize(
    ("body", "said"),
    [
        pytest.param(rb'{"email":"a\u0000b"}', "the string at $.email holds a NUL", id="nul"),
        pytest.param(rb'{"k\u0000":1}', "the key $.k\\u0000 holds a NUL", id="nul-in-key"),
        pytest.param(rb'{"email":["x","\ud800"]}', "$.email[1] holds a lone surrogate", id="lone"),
        pytest.param(b'{"n":NaN}', "NaN is not JSON", id="nan"),
        pytest.param(b'{"n":-Infinity}', "-Infinity is not JSON", id="infinity"),
        pytest.param(b'{"n":1e400}', "1e400 is outside the range of a double", id="huge-float"),
        pytest.param(b'{"n":1' + b"0" * 400 + b"}", "$.n is outside the range", id="huge-int"),
    ],
)
def test_json_both_databases_cannot_store_alike_is_refused_with_400(
    junction: Junction, clients: Clients, saas: ContactsApi, body: bytes, said: str
) -> None:
    cycle = _cycle(clients, saas)
    refused = httpx.post(cycle.url, content=body, headers=JSON)
    assert refused.status_code == 400, refused.text
    assert said in refused.json()["Message"]
    assert _stored(cycle) == 0


def test_strict_json_near_those_edges_is_taken(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    cycle = _cycle(clients, saas)
    # An escaped backslash before u0000 is text, a surrogate pair is one character, the
    # largest double is a number, and brackets in a string do not nest.
    body = (
        rb'{"email":"x\\u0000@example.com","name":"\ud83d\ude00","n":1.7976931348623157e308,'
        + b'"text":"'
        + b"[" * 100
        + b'"}'
    )
    taken = httpx.post(cycle.url, content=body, headers=JSON)
    assert taken.status_code == 200, taken.text
    done = cycle.wait_status(taken.json()["TransactionId"], "Completed")
    assert done["Status"] == "Completed"
    assert saas.state.contacts[-1]["email"] == "x\\u0000@example.com"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/x-www-form-urlencoded", b"email=a%00b", id="form"),
        pytest.param("text/plain", b"a\x00b", id="text"),
        pytest.param("application/xml", b"<a>\x00</a>", id="xml"),
    ],
)
def test_form_and_text_bodies_with_nul_are_refused(
    junction: Junction, clients: Clients, saas: ContactsApi, content_type: str, body: bytes
) -> None:
    cycle = _cycle(clients, saas)
    headers = {"Content-Type": content_type}
    taken = httpx.post(
        cycle.url, content=body.replace(b"\x00", b"").replace(b"%00", b""), headers=headers
    )
    assert taken.status_code == 200, taken.text
    refused = httpx.post(cycle.url, content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert "NUL character" in refused.json()["Message"]
    assert _stored(cycle) == 1


def _batch_hooks() -> dict[str, Any]:
    """A webhook method whose records are the items of ``contacts`` in the body."""
    return {
        "Name": "Test Batch Hooks",
        "Version": "1.0",
        "BaseUrl": "https://hooks.example.com",
        "ReleaseStatus": "Live",
        "Methods": [
            {
                "Name": "Contacts created",
                "MethodUniqueIdentifier": "contacts-hook",
                "MethodType": "Webhook",
                "Endpoint": "/hooks",
                "ResponseFields": [{"ConnectorField": "[contacts].email", "SystemField": "Email"}],
            }
        ],
    }


def test_items_under_a_key_count_when_the_trigger_splits_them(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    assert partner.post("/v1.0/connectors", json=_batch_hooks()).status_code == 201
    hook = {
        "Key": "hook",
        "Name": "Contacts created",
        "ConnectorName": "Test Batch Hooks",
        "MethodUniqueIdentifier": "contacts-hook",
    }
    document = {"Name": "Batch hook", "Steps": [hook, create_step()]}
    template_id = publish(partner, document | {"Edges": chain("hook", "create")})
    installed = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    others = [c for c in installed["Connectors"] if c["Name"] != "Test Batch Hooks"]
    authenticate(account, {"Connectors": others}, saas.base_url)
    activated = account.put(f"/v1.0/cycles/{installed['Id']}/activate", json={})
    assert activated.status_code == 200, activated.text
    cycle = WebhookCycle(installed["Id"], activated.json()["Webhooks"][0]["Url"], account)

    def batch(count: int) -> bytes:
        return b'{"contacts":' + _list(count) + b"}"

    taken = post_with(junction, cycle, batch(3), JSON, webhook_max_items=3)
    assert taken.status_code == 200, taken.text
    refused = post_with(junction, cycle, batch(4), JSON, webhook_max_items=3)
    assert refused.status_code == 413, refused.text
    assert "more than 3 items" in refused.json()["Message"]
    # The accepted call became its three transactions once run; the refused one, none.
    first = taken.json()["TransactionId"]
    cycle.wait_status(first, "Completed")
    listed = account.get(f"/v1.0/cycles/{cycle.id}/transactions").json()
    assert len(listed) == 3, listed
