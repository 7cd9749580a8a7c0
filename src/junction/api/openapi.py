"""``/openapi.json`` as the API really answers.

FastAPI declares 422 for every route with inputs, but Junction answers a validation error
400 (``errors.py``), and the errors its handlers give to every route (401, 403, 404, 409,
503) would otherwise go unmentioned. Each operation lists the error statuses it can
answer, each with the one error body, ``{"Message": ...}``, and 422 nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from junction.api.routes import API_PREFIX
from junction.api.text_guard import refuse_unstorable_text
from junction.auth.identity import require_account, require_partner

ERROR_SCHEMA = "Error"
_ERROR_BODY = {
    "title": ERROR_SCHEMA,
    "type": "object",
    "properties": {"Message": {"type": "string", "description": "What went wrong."}},
    "required": ["Message"],
}

_WHY = {
    "400": "The request is invalid; the message names the field at fault.",
    "401": "The access token is missing, unknown, expired or revoked (or an account-level "
    "call lacks X-Cyclr-Account).",
    "403": "The token may not call this method (its scope or account).",
    "404": "What the path names does not exist (or not in this account).",
    "409": "The request conflicts with the state of what it changes.",
    "413": "The request body is over its limit.",
    "429": "Too many failed attempts; try again after Retry-After seconds.",
    "502": "The third-party API failed or answered with an error.",
    "504": "The third-party API did not answer in time.",
    "503": "The database is unavailable; nothing was stored. Try again shortly.",
}
_WRITES = {"post", "put", "patch", "delete"}
# Statuses particular to a few routes (tests/api/test_openapi.py checks that each still
# exists).
ALSO_ANSWERS = {
    ("post", "/oauth/token"): {"401", "429"},
    ("post", "/v1.0/connectors"): {"413"},
    ("post", "/v1.0/connectors/import/openapi"): {"413"},
    ("post", "/v1.0/templates/import"): {"413"},
    ("post", "/v1.0/import/cyclr"): {"413"},
}
# Data on Demand and look-ups pass on the third-party API's failure (502) or silence (504).
_UPSTREAM_MODULES = {"junction.connectors.calls.router"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _error_statuses(route: RouteContext, method: str, operation: dict[str, Any]) -> list[str]:
    path = route.path_format or ""
    calls = set(_calls(route.dependant))
    statuses = {"503"}
    if calls & {refuse_unstorable_text} or operation.get("parameters") or route.body_field:
        statuses.add("400")
    if path.startswith(API_PREFIX):
        statuses |= {"401"}
    if calls & {require_partner, require_account}:
        statuses.add("403")
    if require_account in calls:
        # The X-Cyclr-Account header is required (401 without it, as at Cyclr), and names
        # an account that may not exist.
        statuses |= {"400", "401", "404"}
    if "{" in path:
        statuses.add("404")
    if method in _WRITES and path.startswith(API_PREFIX):
        statuses.add("409")
    if getattr(route.endpoint, "__module__", None) in _UPSTREAM_MODULES:
        statuses |= {"502", "504"}
    statuses |= ALSO_ANSWERS.get((method, path), set())
    return sorted(statuses)


def _error_response(status: str) -> dict[str, Any]:
    return {
        "description": _WHY[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
        },
    }


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas[ERROR_SCHEMA] = _ERROR_BODY
    # Included routers are resolved lazily by FastAPI: their routes, with the prefixes and
    # dependencies of the include, are reached through the route contexts.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        item = document["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _error_statuses(route, method.lower(), operation):
                responses.setdefault(status, _error_response(status))
            for status, response in responses.items():
                # Statuses a route declares itself (413...) get the error body too.
                if status[:1] in ("4", "5") and "content" not in response:
                    response["content"] = _error_response(status)["content"]
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
