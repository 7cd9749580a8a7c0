"""CORS: pages on the configured origins may call the API from the browser; others may not."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from junction.api.app import create_app
from junction.db import migrate
from junction.services import build_services
from junction.settings import Settings
from tests.fixtures.server import InProcess, ServerThread

ALLOWED = "https://app.example.com"


def test_only_the_configured_origins_get_cors_answers(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'junction.db'}",
        cors_origins=f"{ALLOWED}, https://admin.example.com/",
    )
    assert settings.cors_origins == [ALLOWED, "https://admin.example.com"]
    migrate.upgrade(settings.resolved_database_url)
    thread = ServerThread(create_app(build_services(settings)))
    thread.start()
    try:
        client = httpx.Client(
            base_url="http://testserver", transport=InProcess(thread.app, thread.loop)
        )
        preflight = client.options(
            "/v1.0/cycles",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, x-cyclr-account",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ALLOWED
        assert "x-cyclr-account" in preflight.headers["access-control-allow-headers"].lower()
        refused = client.options(
            "/v1.0/cycles",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in refused.headers
        # A real call from the page: answered (401 without a token) with the CORS header.
        call = client.get("/v1.0/cycles", headers={"Origin": ALLOWED})
        assert call.status_code == 401
        assert call.headers["access-control-allow-origin"] == ALLOWED
    finally:
        thread.stop()


def test_a_malformed_origin_stops_the_start_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"cors_origins(.|\n)*'app.example.com' is not an origin"):
        Settings(cors_origins="app.example.com")
