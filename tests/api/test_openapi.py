"""/openapi.json lists the statuses each route answers, with the error body, and no 422."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from junction.api.openapi import ALSO_ANSWERS
from tests.fixtures.server import Junction

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def spec(junction: Junction) -> dict[str, Any]:
    with junction.http() as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_no_route_declares_422(spec: dict[str, Any]) -> None:
    assert '"422"' not in json.dumps(spec)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_api_routes_declare_their_error_statuses(spec: dict[str, Any]) -> None:
    assert spec["components"]["schemas"]["Error"]["required"] == ["Message"]
    operations = [op for op in _operations(spec) if op[1].startswith("/v1.0")]
    assert len(operations) > 80
    for method, path, operation in operations:
        responses = operation["responses"]
        expected = {"400", "401", "403", "503"}
        expected |= {"404"} if "{" in path else set()
        expected |= {"409"} if method != "get" else set()
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in responses:
            if status >= "400":
                body = responses[status]["content"]["application/json"]["schema"]
                assert body == ERROR_REF, (method, path, status)


def test_statuses_particular_to_a_route_are_declared(spec: dict[str, Any]) -> None:
    for (method, path), statuses in ALSO_ANSWERS.items():
        assert statuses <= set(spec["paths"][path][method]["responses"]), (method, path)


def _declared(spec: dict[str, Any], method: str, path: str, response: httpx.Response) -> None:
    declared = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, (method, path, response.status_code)


def test_the_statuses_answered_are_the_ones_declared(
    junction: Junction, spec: dict[str, Any]
) -> None:
    token = junction.token()
    with junction.http(token) as partner:
        _declared(spec, "post", "/v1.0/accounts", partner.post("/v1.0/accounts", json={}))
        created = partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
        _declared(spec, "post", "/v1.0/accounts", created)
        missing = partner.get("/v1.0/accounts/nobody")
        _declared(spec, "get", "/v1.0/accounts/{account_id}", missing)
        paging = partner.get("/v1.0/accounts", params={"page": 0})
        assert paging.status_code == 400
        _declared(spec, "get", "/v1.0/accounts", paging)
    with junction.http() as anonymous:
        _declared(spec, "get", "/v1.0/accounts", anonymous.get("/v1.0/accounts"))
        refused = anonymous.post("/oauth/token", data={"grant_type": "client_credentials"})
        assert refused.status_code == 401
        _declared(spec, "post", "/oauth/token", refused)
    with junction.http(token, account="nobody") as account:
        unknown = account.get("/v1.0/cycles")
        assert unknown.status_code == 404
        _declared(spec, "get", "/v1.0/cycles", unknown)
