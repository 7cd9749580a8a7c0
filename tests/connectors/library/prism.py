"""Stoplight Prism as the stand-in for a vendor's API: a mock of the vendor's own API
description that checks every request against it (path, query, headers, body, security)
and answers 422 naming each violation, or 401 when the credentials the description asks for
are missing. Installed from the npm registry at the version in ``prism/package-lock.json``.

The mocks of one Python process (one per pytest-xdist worker) share one Node process,
``prism/host.js``, started at the first mock and stopped at exit: it builds each mock as
``prism mock`` does and logs it as the CLI prints, to the mock's own file. Starting Prism
costs about 2 s of CPU before it answers anything; a mock in the host starts in a fraction
of that. Python and the host speak JSON lines over the host's stdin and stdout."""

from __future__ import annotations

import atexit
import json
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

PRISM = Path(__file__).parent / "prism" / "node_modules" / ".bin" / "prism"
HOST = Path(__file__).parent / "prism" / "host.js"
START_TIMEOUT = 60.0  # seconds for a mock to load its description and listen
STOP_TIMEOUT = 10.0


@dataclass
class PrismMock:
    base_url: str
    log: Path

    def violations(self) -> list[str]:
        """What Prism reported as wrong in the requests so far, one line each."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line.strip() for line in lines if "Violation:" in line or "✖" in line]


class HostFailed(Exception):
    """The host ended, or did not answer in time; the message ends with its output."""


class _Host:
    """The Node process serving this process's mocks, and the thread reading its answers."""

    def __init__(self, node: str) -> None:
        # Its stderr (Node's own errors, what libraries print) is kept to show on failure;
        # a file, so that nothing has to drain it. It lives as long as the host: close().
        self.output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [node, str(HOST)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.output,
        )
        self.answers: queue.Queue[bytes] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True, name="prism-host")
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line)
        self.answers.put(b"")  # the host ended

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
            line = self.answers.get(timeout=timeout)
        except OSError as e:  # a closed pipe: it ended
            raise HostFailed(self.failure(f"could not be asked to {request['op']} ({e})")) from e
        except queue.Empty:
            raise HostFailed(self.failure(f"did not answer {request['op']} in {timeout:.0f} s"))
        if not line:
            raise HostFailed(self.failure(f"ended before answering {request['op']}"))
        answer: dict[str, Any] = json.loads(line)
        return answer

    def failure(self, what: str) -> str:
        """What went wrong, its exit status if it ended, and the end of its output."""
        try:
            status = f"exit status {self.process.wait(timeout=1)}"
        except subprocess.TimeoutExpired:
            status = "still running; stopped"
        self.output.seek(0)
        tail = self.output.read()[-3000:].decode("utf-8", errors="replace")
        return f"the Prism host {what} ({status}); its output:\n{tail}"

    def close(self) -> None:
        """Closing its stdin ends the host (it also ends so when this process dies)."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=STOP_TIMEOUT)  # it has read to the end of the pipe
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.output.close()


_host: _Host | None = None
_lock = threading.Lock()


def _the_host() -> _Host:
    """This process's host, started if there is none yet (or the last one failed)."""
    global _host
    with _lock:
        if _host is None:
            node = shutil.which("node")
            if node is None:
                pytest.fail("Prism needs Node.js: no `node` on PATH")
            _host = _Host(node)
        return _host


def _ask(host: _Host, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The host's answer. A host that fails is dropped after failing the request, so that
    the next mock gets a new one; a dropped host answers ``{}``, as its failure was
    reported when it was dropped (its mocks ended with it)."""
    global _host
    with _lock:
        if host is not _host:
            return {}
        try:
            return host.ask(request, timeout)
        except HostFailed as e:
            _host = None
            host.process.kill()
            host.close()
            pytest.fail(str(e))


@atexit.register
def _stop_host() -> None:
    global _host
    with _lock:
        if _host is not None:
            _host.close()
            _host = None


@contextmanager
def prism_mock(
    description: Path, log_folder: Path, *, answers_checked: bool = True, dynamic: bool = False
) -> Iterator[PrismMock]:
    """Prism serving ``description`` on a free loopback port (paths at the root: Prism
    ignores the servers' path prefix), until the block ends; its log is
    ``log_folder/prism-<description's folder>.log``.

    Requests are always checked (422 or 401 when they break the description).
    ``answers_checked``: an answer Prism makes up that breaks the description is a 500
    (``--errors``), else sent anyway; ``dynamic``: answers generated from the schemas
    rather than the description's examples."""
    if not PRISM.exists():
        pytest.fail(f"Prism is not installed: run `npm ci --prefix {PRISM.parents[2]}`")
    log = log_folder / f"prism-{description.parent.name}.log"
    host = _the_host()
    started = _ask(
        host,
        {
            "op": "start",
            "document": str(description),
            "port": 0,
            "errors": answers_checked,
            "dynamic": dynamic,
            "log": str(log),
        },
        START_TIMEOUT,
    )
    if "port" not in started:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        error = started.get("error", "its host ended")
        pytest.fail(f"Prism did not start on {description.name}: {error}\n{text[-3000:]}")
    try:
        yield PrismMock(f"http://127.0.0.1:{started['port']}", log)
    finally:
        stopped = _ask(host, {"op": "stop", "id": started["id"]}, STOP_TIMEOUT)
        if "error" in stopped:
            pytest.fail(f"Prism did not stop on {description.name}: {stopped['error']}")


def violation_of(response_body: object) -> str:
    """Prism's answer to a refused request, as Data on Demand passed it on."""
    return json.dumps(response_body)[:2000]
