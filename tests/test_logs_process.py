"""``junction serve`` as a real process with ``JUNCTION_LOG_FORMAT=json``: everything on its
stderr is JSON lines (Uvicorn's included), and a transaction that ends Errored writes
exactly one of them, with the ids the reports API gives for it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.items import set_up_cycle
from tests.fixtures.process import JunctionProcess, free_port
from tests.fixtures.transactions import transaction_detail

ACCOUNT = "logs"  # set_up_cycle's account Id: its name, lower case


@pytest.mark.slow
def test_serve_writes_one_json_line_for_an_errored_transaction(tmp_path: Path) -> None:
    server = JunctionProcess(
        tmp_path / "data",
        split_stderr=True,
        log_format="json",
        log_level="info",
        outbound_allow_loopback="true",
        poll_interval_seconds=0.2,
    )
    # Nothing listens there: the cycle's POST step fails, and with the default
    # StepErrorAction (Ignore) the transaction ends Errored.
    nowhere = f"http://127.0.0.1:{free_port()}"
    try:
        server.start()
        account, cycle_id, url = set_up_cycle(server, nowhere, name="Logs")
        sent = httpx.post(url, json={"item": 1}, timeout=30)
        assert sent.status_code == 200, sent.text
        transaction_id = sent.json()["TransactionId"]
        report = wait_until_ended(account, cycle_id, transaction_id)
        assert report["Status"] == "Errored", report
        account.close()

        deadline = time.monotonic() + 10
        while not errored_lines(server):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.1)
        server.stop()  # its last lines (Uvicorn's shutdown) written too

        assert server.stderr_path is not None
        text = server.stderr_path.read_text()
        entries = [json.loads(line) for line in text.splitlines()]  # every line is JSON
        for entry in entries:
            assert {"time", "level", "logger", "message"} <= set(entry), entry
        # Uvicorn's lines take the same path (its start-up and access lines).
        assert any(e["logger"] == "uvicorn.error" for e in entries), text
        assert any(e["logger"] == "uvicorn.access" for e in entries), text
        # The webhook's address is its secret: its access line leaves it out.
        assert url.rsplit("/", 1)[1] not in text
        assert any("POST /api/webhook/*** " in e["message"] for e in entries), text

        [line] = errored_lines(server)
        print(f"\nthe errored transaction's line: {json.dumps(line)}")
        assert line["level"] == "WARNING"
        assert line["logger"] == "junction.engine"
        assert line["account_id"] == ACCOUNT
        assert line["cycle_id"] == report["CycleId"] == cycle_id
        assert line["transaction_id"] == report["Id"] == transaction_id
        assert line["step_id"] == report["CurrentStepId"]
        assert line["message"] == f"transaction ended Errored: {report['Message']}"
        # Nothing else was logged about it: the step that failed writes no line of its own.
        others = [e for e in entries if e.get("transaction_id") == transaction_id]
        assert others == [line], others
    except BaseException:
        print(server.log_tail())
        raise
    finally:
        server.kill()


def errored_lines(server: JunctionProcess) -> list[dict[str, Any]]:
    assert server.stderr_path is not None
    if not server.stderr_path.exists():
        return []
    found = []
    written = server.stderr_path.read_text()
    # Whole lines only: the server may be writing the next one.
    for text in written[: written.rfind("\n") + 1].splitlines():
        entry = json.loads(text)
        if "Errored" in entry["message"]:
            found.append(entry)
    return found


def wait_until_ended(
    account: httpx.Client, cycle_id: str, transaction_id: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        report = transaction_detail(account, cycle_id, transaction_id)
        if report["Status"] in ("Completed", "Errored", "Stopped"):
            return report
        assert time.monotonic() < deadline, f"still {report['Status']}"
        time.sleep(0.2)
