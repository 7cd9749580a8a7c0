"""Stoplight Prism as the stand-in for a vendor's API: a mock of the vendor's own API
description that checks every request against it (path, query, headers, body, security)
and answers 422 naming each violation, or 401 when the credentials the description asks for
are missing. Installed from the npm registry at the version in ``prism/package-lock.json``."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PRISM = Path(__file__).parent / "prism" / "node_modules" / ".bin" / "prism"
READY_PATH = "/__prism_ready__"  # asked until Prism answers (404): it is listening


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrismMock:
    base_url: str
    log: Path

    def violations(self) -> list[str]:
        """What Prism reported as wrong in the requests so far, one line each."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [
            line.strip()
            for line in lines
            if ("Violation:" in line or "✖" in line) and READY_PATH not in line
        ]


@contextmanager
def prism_mock(
    description: Path, log_folder: Path, *, answers_checked: bool = True, dynamic: bool = False
) -> Iterator[PrismMock]:
    """Prism serving ``description`` on a free loopback port (paths at the root: Prism
    ignores the servers' path prefix), until the block ends.

    Requests are always checked (422 or 401 when they break the description).
    ``answers_checked``: an answer Prism makes up that breaks the description is a 500
    (``--errors``), else sent anyway; ``dynamic``: answers generated from the schemas
    rather than the description's examples."""
    if not PRISM.exists():
        pytest.fail(f"Prism is not installed: run `npm ci --prefix {PRISM.parents[2]}`")
    port = _free_port()
    log = log_folder / f"prism-{description.parent.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(PRISM),
                "mock",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *(["--errors"] if answers_checked else []),
                *(["--dynamic"] if dynamic else []),
                str(description),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base_url + READY_PATH, timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(
                            f"Prism did not start on {description.name}:\n"
                            + log.read_text(encoding="utf-8", errors="replace")[-3000:]
                        )
                    time.sleep(0.1)
            yield PrismMock(base_url, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def violation_of(response_body: object) -> str:
    """Prism's answer to a refused request, as Data on Demand passed it on."""
    return json.dumps(response_body)[:2000]
