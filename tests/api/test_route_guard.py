"""The included routers' prefix test changes no routing decision, only how fast it is made."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute, _IncludedRouter

from junction.api.route_guard import _GuardedRouter, literal_prefix
from tests.fixtures.server import Junction

METHODS = ("GET", "POST", "PUT", "DELETE")


def _sample(path: str) -> str:
    # Each {parameter} (or {parameter:path}) as a value a request could carry.
    return re.sub(r"\{[^}]+\}", "7", path)


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_every_path_matches_the_same_routes_with_and_without_the_guard(
    junction: Junction,
) -> None:
    routes = junction.thread.app.router.routes
    guarded = [route for route in routes if isinstance(route, _GuardedRouter)]
    # The API's routers and the pages' are all guarded.
    assert len(guarded) >= 25
    plain = [
        _IncludedRouter(
            original_router=route.original_router, include_context=route.include_context
        )
        if isinstance(route, _GuardedRouter)
        else route
        for route in routes
    ]
    paths = {"/", "/nowhere", "/v1.0", "/v1.0/", "/v1.0/nowhere", "/console/nowhere"}
    for route in guarded:
        for api_route in route.original_router.routes:
            assert isinstance(api_route, APIRoute)
            path = _sample(route.include_context.prefix + api_route.path)
            paths |= {path, path + "/", path + "/more", path.rstrip("7")}
    compared = 0
    for path in sorted(paths):
        for method in METHODS:
            for with_guard, without in zip(routes, plain, strict=True):
                scope = _scope(path, method)
                expected = without.matches(dict(scope))[0]
                assert with_guard.matches(dict(scope))[0] == expected, (method, path)
                compared += 1
    assert compared > 10_000


def test_a_late_route_a_partial_match_and_a_miss_answer_as_before(junction: Junction) -> None:
    token = junction.token()
    with junction.http(token, account="nobody") as client:
        # The reports router comes late in the list: still found (the account is unknown).
        assert client.get("/v1.0/cycles/transactions").status_code == 404
        assert "nobody" in client.get("/v1.0/cycles/transactions").json()["Message"]
        # A path that exists, with a method it does not take: 405, not 404.
        assert client.patch("/v1.0/accounts").status_code == 405
        assert client.get("/v1.0/no-such-thing").status_code == 404


def test_a_prefix_is_the_text_before_the_first_parameter() -> None:
    assert literal_prefix("/v1.0/accounts") == "/v1.0/accounts"
    assert (
        literal_prefix("/v1.0/account/connectors/{id}/methods/{m}") == "/v1.0/account/connectors/"
    )
    assert literal_prefix("/{path:path}") == "/"
