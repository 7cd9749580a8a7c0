"""Application-wide behaviour: headers, error envelope, OpenAPI and offline docs."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from junction.api.app import create_app
from junction.db import migrate
from junction.services import build_services
from junction.settings import Settings
from tests.fixtures.server import Junction, ServerThread


def test_nosniff_and_message_on_errors(junction: Junction) -> None:
    with junction.http() as client:
        for response in (
            client.get("/nowhere"),
            client.delete("/oauth/token"),
            client.get("/v1.0/accounts"),
            client.post("/oauth/token"),
            client.get("/openapi.json"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
        not_found = client.get("/nowhere")
        assert not_found.status_code == 404
        assert set(not_found.json()) == {"Message"}
        not_allowed = client.delete("/oauth/token")
        assert not_allowed.status_code == 405
        assert set(not_allowed.json()) == {"Message"}


def test_openapi_lists_the_api_and_marks_extensions(junction: Junction) -> None:
    with junction.http() as client:
        spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/oauth/token", "/v1.0/accounts", "/v1.0/accounts/{account_id}", "/v1.0/tokens"):
        assert path in paths
    assert "Junction extension" in paths["/v1.0/tokens"]["get"]["description"]
    assert "clientCredentials" in str(spec["components"]["securitySchemes"])


def test_docs_page_loads_nothing_from_other_hosts(junction: Junction) -> None:
    with junction.http() as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "cdn" not in page.text.lower()
        assert "https://" not in page.text
        script = client.get("/static/swagger-ui/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert len(script.content) > 100_000


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    migrate.upgrade(settings.resolved_database_url)
    app = create_app(build_services(settings))

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    thread = ServerThread(app)
    base_url = thread.start()
    yield base_url
    thread.stop()


def test_unexpected_errors_leak_nothing(failing_server: str) -> None:
    response = httpx.get(f"{failing_server}/explode")
    assert response.status_code == 500
    assert response.json() == {"Message": "An internal error occurred"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret internals" not in response.text


def _dependency_calls(routes: list[Any]) -> Iterator[tuple[str, Any]]:
    """(route path, dependency callable) for every route of an application, however its
    routers are nested (an included router keeps its own routes in ``original_router``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            stack = [route.dependant]
            while stack:
                dependant = stack.pop()
                stack.extend(dependant.dependencies)
                if dependant.call is not None:
                    yield route.path, dependant.call
        inner = getattr(route, "original_router", None) or route
        if inner is not route or isinstance(route, APIRouter):
            yield from _dependency_calls(list(inner.routes))


@pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True)
def test_no_route_dependency_runs_in_the_thread_pool(junction: Junction) -> None:
    """FastAPI runs a plain-function dependency or endpoint in a worker thread: a thread hop
    per request (4% of a simple list request's time in a profile)."""
    app = junction.thread.app
    found = list(_dependency_calls(list(app.routes)))
    assert len(found) > 300, "the walk must reach the routes of the included routers"
    plain = sorted(
        {
            f"{path}: {getattr(call, '__qualname__', call)}"
            for path, call in found
            if not (
                inspect.iscoroutinefunction(call)
                or inspect.isasyncgenfunction(call)
                or inspect.iscoroutinefunction(getattr(call, "__call__", None))
            )
        }
    )
    assert plain == []
