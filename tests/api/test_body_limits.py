"""The API's limits on request bodies: size (413) and JSON nesting (400), before any route
reads them; what was stored before stays as it was."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx

from junction.api.app import create_app
from tests.fixtures.server import Junction

JSON = {"Content-Type": "application/json"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"


def post_with(
    junction: Junction, token: str, path: str, content: bytes, **limits: Any
) -> httpx.Response:
    """The call made to an app whose settings carry ``limits`` (same database)."""
    settings = junction.services.settings.model_copy(update=limits)
    app = create_app(dataclasses.replace(junction.services, settings=settings))

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=junction.base_url) as client:
            headers = JSON | {"Authorization": f"Bearer {token}"}
            return await client.post(path, content=content, headers=headers)

    return junction.run(post())


def _account(account_id: str, size: int) -> bytes:
    """An account whose JSON body is exactly ``size`` bytes."""
    empty = json.dumps({"Id": account_id, "Name": "N", "Description": ""}).encode()
    return json.dumps(
        {"Id": account_id, "Name": "N", "Description": "d" * (size - len(empty))}
    ).encode()


def test_a_body_at_the_size_limit_is_taken_one_byte_over_is_refused(junction: Junction) -> None:
    token = junction.token()
    at_limit = post_with(
        junction, token, "/v1.0/accounts", _account("fits", 1000), api_max_bytes=1000
    )
    assert at_limit.status_code == 200, at_limit.text
    over = post_with(junction, token, "/v1.0/accounts", _account("over", 1001), api_max_bytes=1000)
    assert over.status_code == 413
    message = over.json()["Message"]
    assert "1000 bytes" in message
    assert "JUNCTION_API_MAX_BYTES" in message
    partner = junction.http(token)
    assert partner.get("/v1.0/accounts/fits").status_code == 200
    assert partner.get("/v1.0/accounts/over").status_code == 404


def test_the_default_size_limit_refuses_a_40_mb_description(junction: Junction) -> None:
    partner = junction.http(junction.token())
    limit = junction.services.settings.api_max_bytes
    over = partner.post("/v1.0/accounts", content=_account("big", limit + 1), headers=JSON)
    assert over.status_code == 413
    assert str(limit) in over.json()["Message"]
    huge = partner.post("/v1.0/accounts", content=_account("huge", 40 * 1024 * 1024), headers=JSON)
    assert huge.status_code == 413
    assert partner.get("/v1.0/accounts/big").status_code == 404


def _deep(account_id: str, depth: int) -> bytes:
    # The account itself is one level; an unknown field holds the rest, so a body within
    # the limit reaches the route, which names that field.
    inner = b"[" * (depth - 1) + b"]" * (depth - 1)
    return b'{"Id":"' + account_id.encode() + b'","Name":"N","Extra":' + inner + b"}"


def test_a_body_nested_past_the_depth_limit_is_refused_with_400(junction: Junction) -> None:
    partner = junction.http(junction.token())
    limit = junction.services.settings.json_max_depth
    at_limit = partner.post("/v1.0/accounts", content=_deep("deep", limit), headers=JSON)
    assert (at_limit.status_code, at_limit.json()) == (400, {"Message": "Extra: unknown field"})
    for depth in (limit + 1, 5000):
        over = partner.post("/v1.0/accounts", content=_deep("deeper", depth), headers=JSON)
        assert over.status_code == 400, over.text
        assert f"nested deeper than {limit} levels" in over.json()["Message"]
    assert partner.get("/v1.0/accounts/deeper").status_code == 404


def test_an_openapi_document_keeps_its_own_larger_limit(junction: Junction) -> None:
    document = (FIXTURES / "petstore-v3.yaml").read_bytes()
    assert len(document) > 1000
    settings = junction.services.settings.model_copy(update={"api_max_bytes": 1000})
    app = create_app(dataclasses.replace(junction.services, settings=settings))
    token = junction.token()

    async def post(path: str, content: bytes, content_type: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=junction.base_url) as client:
            headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
            return await client.post(path, content=content, headers=headers)

    imported = junction.run(post("/v1.0/connectors/import/openapi", document, "application/yaml"))
    assert imported.status_code == 201, imported.text
    # The same size elsewhere is over the limit.
    refused = junction.run(post("/v1.0/connectors", document, "application/yaml"))
    assert refused.status_code == 413
