"""The Dockerfile and compose.yaml, checked without a Docker daemon: their structure, and
the image's command and health check run on this machine as the image would run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.process import free_port

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), comments left out."""
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in final_stage():
        if keyword == "ENV":
            for pair in rest.split():
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def exec_form(rest: str) -> list[str]:
    value: list[str] = json.loads(rest)
    return value


def test_the_image_runs_serve_as_a_non_root_user_with_a_health_check() -> None:
    stage = final_stage()
    keywords = dict(stage)
    assert stage[0][1].startswith("python:3.11-slim")
    assert keywords["USER"] not in ("root", "0")
    assert exec_form(keywords["CMD"]) == ["junction", "serve"]
    assert exec_form(keywords["VOLUME"]) == ["/data"]
    assert "/healthz" in keywords["HEALTHCHECK"]
    assert image_env()["JUNCTION_DATA_DIR"] == "/data"
    # Installed at build time from the locked dependencies.
    build = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "uv sync --frozen --no-dev" in build


def test_compose_runs_postgres_one_server_and_two_workers_after_one_migration() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "serve", "worker-1", "worker-2"}
    assert services["migrate"]["command"] == ["junction", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("serve", "worker-1", "worker-2"):
        service = services[name]
        environment = service["environment"]
        assert environment["JUNCTION_DISPATCHER"] == "procrastinate"
        assert environment["JUNCTION_ENV"] == "production"
        assert environment["JUNCTION_ENCRYPTION_KEYS"].startswith("${JUNCTION_ENCRYPTION_KEYS:?")
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["serve"]["command"] == ["junction", "serve"]
    for name in ("worker-1", "worker-2"):
        assert services[name]["command"] == ["junction", "worker"]
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"])
    assert "healthcheck" in services["postgres"]


@pytest.mark.slow
def test_the_image_command_serves_and_its_health_check_passes(tmp_path: Path) -> None:
    """CMD and HEALTHCHECK with the image's environment, on this machine (no daemon here)."""
    keywords = dict(final_stage())
    port = free_port()
    # The image's environment, its virtual environment being this one.
    image = {
        name: value.replace("/app/.venv", sys.prefix).replace("$PATH", os.environ["PATH"])
        for name, value in image_env().items()
    }
    env = {
        **image,
        "JUNCTION_PORT": str(port),
        "JUNCTION_HOST": "127.0.0.1",  # the image listens on every address; tests on loopback
        "JUNCTION_DATA_DIR": str(tmp_path / "data"),
    }
    command = exec_form(keywords["CMD"])
    assert shutil.which(command[0], path=env["PATH"]), command
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        check = keywords["HEALTHCHECK"].split(" CMD ", 1)[1]
        passed = subprocess.run(exec_form(check), env=env, timeout=10, check=False)
        assert passed.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert (tmp_path / "data" / "junction.db").exists()
    # With the server gone the health check fails: it checks something real.
    failed = subprocess.run(exec_form(check), env=env, timeout=10, check=False, capture_output=True)
    assert failed.returncode != 0
