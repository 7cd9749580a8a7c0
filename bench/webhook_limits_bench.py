"""A webhook call of a million list items against a real `junction serve`: how fast it is
refused and what it costs the server's memory.

The server starts on a fresh SQLite data folder. The body is ``[{},{},...]`` with
--items items (3 MB for a million, under the 5 MiB webhook size limit); the items limit
(JUNCTION_WEBHOOK_MAX_ITEMS, 10,000 by default) refuses it with 413. The body is checked
before the address is looked up, so the call goes to an address with no cycle: a small body
to the same address answers 404, which shows the 413 came from the limit alone. Figures:
the answer time of each of --calls calls, and the server's resident memory (VmRSS) before
the first and after the last.

    uv run python bench/webhook_limits_bench.py [--items 1000000] [--calls 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import _free_port  # the same loopback helper


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    # Start-up runs the migrations, which takes a while on a busy machine.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"junction serve exited with {server.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("junction serve did not start")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS for the server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUNCTION_")}
        env |= {
            "JUNCTION_DATA_DIR": folder,
            "JUNCTION_PORT": str(port),
            "JUNCTION_LOG_LEVEL": "warning",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "junction", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/", server)
            url = f"http://127.0.0.1:{port}/api/webhook/no-cycle-here"
            body = b"[" + b",".join([b"{}"] * args.items) + b"]"
            with httpx.Client(timeout=60) as client:
                small = client.post(url, json={})
                assert small.status_code == 404, small.text
                before = _rss_mb(server.pid)
                times = []
                for _ in range(args.calls):
                    started = time.perf_counter()
                    answer = client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    times.append(time.perf_counter() - started)
                    assert answer.status_code == 413, answer.text
                after = _rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    print(
        f"command: uv run python bench/webhook_limits_bench.py --items {args.items} "
        f"--calls {args.calls}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"body: {args.items:,} items, {len(body) / 1e6:.1f} MB; "
        f"answer 413: {answer.json()['Message']}"
    )
    ordered = sorted(times)
    print(
        f"answer time: median {ordered[len(ordered) // 2] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms over {args.calls} calls"
    )
    print(f"server RSS: {before:.0f} MB before, {after:.0f} MB after")


if __name__ == "__main__":
    main()
