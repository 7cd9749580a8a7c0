"""The quick start, as a newcomer runs it: real processes, real HTTP, a real OAuth client."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

# Real junction processes: part of the full run, not of the fast path.
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Running:
    base_url: str
    data_dir: Path
    env: dict[str, str]

    def junction(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "junction", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUNCTION_")}
    env |= {"JUNCTION_DATA_DIR": str(tmp_path / "data"), "JUNCTION_PORT": str(port)}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "junction", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.1)
        yield Running(base_url, tmp_path / "data", env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_quick_start_with_an_oauth_client_library(running: Running) -> None:
    credentials = json.loads(
        running.junction("credentials", "create", "--description", "e2e", "--json")
    )
    assert set(credentials) == {"ClientId", "ClientSecret", "Description"}

    # The shape a curl user sees.
    raw = httpx.post(
        f"{running.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["ClientId"],
            "client_secret": credentials["ClientSecret"],
        },
    )
    assert raw.status_code == 200
    assert raw.json()["expires_in"] in (1209598, 1209599)

    tokens = [raw.json()["access_token"]]
    for method in ("client_secret_post", "client_secret_basic"):
        with OAuth2Client(
            client_id=credentials["ClientId"],
            client_secret=credentials["ClientSecret"],
            token_endpoint_auth_method=method,
        ) as client:
            token = client.fetch_token(
                f"{running.base_url}/oauth/token", grant_type="client_credentials"
            )
            tokens.append(token["access_token"])
            created = client.post(f"{running.base_url}/v1.0/accounts", json={"Name": method})
            assert created.status_code == 200, created.text
            listed = client.get(f"{running.base_url}/v1.0/accounts")
            assert listed.status_code == 200
            assert method in [account["Name"] for account in listed.json()]

            account_id = created.json()["Id"]
            scoped = client.fetch_token(
                f"{running.base_url}/oauth/token",
                grant_type="client_credentials",
                scope=f"account:{account_id}",
            )
            tokens.append(scoped["access_token"])
            mine = client.get(
                f"{running.base_url}/v1.0/account", headers={"X-Cyclr-Account": account_id}
            )
            assert mine.json()["Id"] == account_id

    with (
        OAuth2Client(client_id=credentials["ClientId"], client_secret="wrong") as client,
        pytest.raises(OAuthError, match="invalid_client"),
    ):
        client.fetch_token(f"{running.base_url}/oauth/token", grant_type="client_credentials")

    listed_ids = json.loads(running.junction("tokens", "list", "--json"))
    assert len(listed_ids) == len(tokens)
    running.junction("tokens", "revoke", listed_ids[0]["Id"])
    assert len(json.loads(running.junction("tokens", "list", "--json"))) == len(tokens) - 1

    # Nothing secret is stored in the clear: not in the database, its WAL or its shared memory.
    stored = b"".join(path.read_bytes() for path in running.data_dir.glob("junction.db*"))
    assert len(stored) > 10_000
    assert credentials["ClientSecret"].encode() not in stored
    for token in tokens:
        assert token.encode() not in stored
    assert credentials["ClientId"].encode() in stored  # the check can see plain text at all
