"""``junction serve --demo`` as a new user meets it: a real process on a fresh data folder,
the printed credentials and ``curl`` lines, completed transactions within a minute."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.embed.browser import chromium, screenshot
from tests.fixtures.process import JunctionProcess
from tests.fixtures.transactions import transaction_detail

# Real junction processes: part of the full run, not of the fast path.
pytestmark = pytest.mark.slow

FAST = {"demo_contact_interval_seconds": 2, "poll_interval_seconds": 0.2}


@dataclass
class Printed:
    client_id: str
    client_secret: str
    webhook_url: str
    curl_lines: str
    kept: bool


def wait_until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.25)


def printed(process: JunctionProcess) -> Printed:
    """The banner of the latest start, once it is printed."""

    def banner() -> str | None:
        log = process.log_path.read_text(errors="replace")
        latest = log.rsplit(f"--- start {process.starts} ---", 1)[-1]
        if "could not be set up" in latest:
            raise AssertionError(latest)
        return latest if "Client secret:" in latest and "/api/webhook/" in latest else None

    text: str = wait_until(banner, 30, "the demo banner")
    client_id = re.search(r"Client ID:\s+(\S+)", text)
    secret = re.search(r"Client secret:\s+(\S+)", text)
    webhook = re.search(r"curl -s -X POST (\S+/api/webhook/\S+)", text)
    assert client_id, text
    assert secret, text
    assert webhook, text
    start = text.index("TOKEN=$(")
    curl_lines = "\n".join(
        line for line in text[start:].splitlines() if line and not line.startswith("INFO:")
    )
    return Printed(
        client_id.group(1),
        secret.group(1),
        webhook.group(1),
        curl_lines.split("\ncurl -s -X POST")[0],
        "already there, kept" in text,
    )


def client(process: JunctionProcess, seen: Printed, account: str | None = "demo") -> httpx.Client:
    token = process.token({"ClientId": seen.client_id, "ClientSecret": seen.client_secret})
    headers = {"Authorization": f"Bearer {token}"}
    if account:
        headers["X-Cyclr-Account"] = account
    return httpx.Client(base_url=process.base_url, headers=headers, timeout=30)


def apps_state(process: JunctionProcess) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((process.data_dir / "demo" / "apps.json").read_text())
    return state


def mailer_auth(process: JunctionProcess) -> dict[str, str]:
    state = apps_state(process)
    login = f"{state['mailer_username']}:{state['mailer_password']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(login).decode()}


def completed_by_cycle(api: httpx.Client) -> dict[str, int]:
    answer = api.get("/v1.0/cycles/transactions", params={"pageSize": 500})
    assert answer.status_code == 200, answer.text
    counts: dict[str, int] = {}
    for item in answer.json():
        if item["Status"] == "Completed":
            counts[item["CycleId"]] = counts.get(item["CycleId"], 0) + 1
    return counts


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> Iterator[JunctionProcess]:
    with JunctionProcess(demo_dir, serve_args=("--demo",), split_stderr=False, **FAST) as process:
        process.start()
        process.started_at = time.monotonic()  # type: ignore[attr-defined]
        yield process


def test_completed_transactions_of_both_cycles_within_a_minute(demo: JunctionProcess) -> None:
    seen = printed(demo)
    assert not seen.kept
    with client(demo, seen) as api:
        cycles = api.get("/v1.0/cycles").json()
        assert sorted(c["Status"] for c in cycles) == ["Active", "Active"]
        ids = {c["Id"] for c in cycles}
        started: float = demo.started_at  # type: ignore[attr-defined]
        wait_until(
            lambda: set(completed_by_cycle(api)) == ids,
            60 - (time.monotonic() - started),
            "completed transactions of both cycles",
        )
        items = api.get("/v1.0/cycles/transactions", params={"pageSize": 500}).json()
        assert {t["Origin"] for t in items} >= {"Schedule", "Webhook"}
        assert not [t for t in items if t["Status"] == "Errored"], items


def test_the_printed_curl_lines_work(demo: JunctionProcess) -> None:
    if shutil.which("curl") is None:
        pytest.skip("no curl here")
    seen = printed(demo)
    # Each printed call on its own, with a line break after its answer.
    script = "\n".join(
        line + ("; echo" if line.startswith("curl") else "")
        for line in seen.curl_lines.splitlines()
    )
    # The demo's first runs may still be going when the server answers: the lines are run
    # again until the transactions list shows one Completed (the demo's promise is a
    # minute).
    deadline = time.monotonic() + 60
    while True:
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True
        )
        cycles_json, transactions_json = done.stdout.strip().splitlines()[-2:]
        assert len(json.loads(cycles_json)) == 2
        if any(t["Status"] == "Completed" for t in json.loads(transactions_json)):
            break
        assert time.monotonic() < deadline, transactions_json
        time.sleep(2)
    webhook = subprocess.run(
        ["bash", "-c", "curl -s -X POST" + printed_webhook_line(demo)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    transaction_id = json.loads(webhook.stdout)["TransactionId"]
    with client(demo, seen) as api:

        def finished() -> bool:
            found = [
                t
                for t in api.get("/v1.0/cycles/transactions", params={"pageSize": 500}).json()
                if t["Id"] == transaction_id
            ]
            return bool(found) and found[0]["Status"] == "Completed"

        wait_until(finished, 20, "the webhook's transaction")


def printed_webhook_line(process: JunctionProcess) -> str:
    log = process.log_path.read_text(errors="replace")
    line = next(
        line
        for line in reversed(log.splitlines())
        if line.startswith("curl -s -X POST") and "/api/webhook/" in line
    )
    return line.removeprefix("curl -s -X POST")


def test_the_mailer_received_subscribers(demo: JunctionProcess) -> None:
    auth = mailer_auth(demo)
    assert httpx.get(f"{demo.base_url}/demo/mailer/subscribers").status_code == 401

    def lists() -> set[str]:
        got = httpx.get(f"{demo.base_url}/demo/mailer/subscribers", headers=auth)
        assert got.status_code == 200, got.text
        return {s["list"] for s in got.json()["subscribers"]}

    wait_until(lambda: lists() >= {"newsletter", "welcome"}, 30, "subscribers on both lists")
    # Inactive contacts stop at the decision: none of them reaches the mailer.
    state = apps_state(demo)
    inactive = {c["email"] for c in state["contacts"] if c["status"] == "inactive"}
    assert not inactive & {s["email"] for s in state["subscribers"]}


def test_the_demo_apps_check_their_credentials(demo: JunctionProcess) -> None:
    base = demo.base_url
    assert httpx.get(f"{base}/demo/crm/contacts").status_code == 401
    assert httpx.get(f"{base}/demo/crm/contacts", headers={"X-Api-Key": "nope"}).status_code == 401
    key = {"X-Api-Key": apps_state(demo)["crm_api_key"]}

    def first_page() -> Any:
        got = httpx.get(f"{base}/demo/crm/contacts", params={"per_page": 1}, headers=key)
        assert got.status_code == 200, got.text
        return got.json() if got.json()["contacts"] else None

    # The CRM makes its first contact a moment after start: this test may be the first to run.
    page = wait_until(first_page, 30, "a first contact")
    assert len(page["contacts"]) == 1
    assert set(page["contacts"][0]) == {"id", "email", "name", "status", "created"}
    bad = {"Authorization": "Basic " + base64.b64encode(b"demo:wrong").decode()}
    assert httpx.get(f"{base}/demo/mailer/lists", headers=bad).status_code == 401


def test_the_printed_console_sign_in_works(demo: JunctionProcess) -> None:
    printed(demo)
    text = demo.log_path.read_text(errors="replace").rsplit(f"--- start {demo.starts} ---", 1)[-1]
    found = re.search(r"Console:\s+(\S+)\s+\(user (\S+), password (\S+)\)", text)
    assert found, text
    url, username, password = found.groups()
    with httpx.Client(base_url=demo.base_url, timeout=30) as browser:
        form = browser.get("/console/signin")
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token
        signed_in = browser.post(
            "/console/signin",
            data={"username": username, "password": password, "token": token.group(1)},
            headers={"Cookie": form.headers["set-cookie"].split(";")[0]},
        )
        assert signed_in.status_code == 303, signed_in.text
    assert url == f"{demo.base_url}/console"


def test_the_home_page_links_the_demo_apps(demo: JunctionProcess) -> None:
    seen = printed(demo)
    with client(demo, seen) as api:
        wait_until(lambda: bool(completed_by_cycle(api)), 60, "a completed transaction")
    page = httpx.get(f"{demo.base_url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'href="/docs"' in html
    assert 'href="/demo/crm"' in html
    # Public: nothing about what runs or how much, even once the demo has work done.
    assert "sqlite" not in html
    assert 'id="accounts"' not in html
    assert "Completed" not in html
    assert "<script" not in html
    assert "http" not in html.replace(demo.base_url, "")  # no external assets


def test_the_stand_in_product_page_frames_launch_marketplace_and_orbit(
    demo: JunctionProcess,
) -> None:
    wait_until(lambda: printed(demo).client_id, 30, "the demo to be seeded")
    for browser in chromium():
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{demo.base_url}/demo/")
        frame = page.frame_locator("#junction")
        expect(frame.get_by_role("heading", name="Choose an integration")).to_be_visible()
        expect(frame.get_by_role("listitem")).to_have_count(2)
        screenshot(page, "demo-product-launch")
        page.get_by_role("button", name="Marketplace").click()
        expect(frame.get_by_role("heading", name="CRM and e-mail")).to_be_visible()
        expect(frame.get_by_role("button", name="Install", exact=False)).to_have_count(2)
        screenshot(page, "demo-product-marketplace")
        page.get_by_role("button", name="My integrations").click()
        expect(frame.get_by_role("heading", name="Your integrations")).to_be_visible()
        expect(frame.get_by_text("Running")).to_have_count(2)
        screenshot(page, "demo-product-orbit")
        page.close()


def test_an_exported_demo_template_runs_the_same_elsewhere(
    demo: JunctionProcess, tmp_path: Path
) -> None:
    seen = printed(demo)
    state = apps_state(demo)
    with client(demo, seen, account=None) as partner, client(demo, seen) as account:
        template = next(t for t in partner.get("/v1.0/templates").json() if "webhook" in t["Name"])
        exported = partner.get(f"/v1.0/templates/{template['Id']}/export")
        assert exported.status_code == 200, exported.text
        cycle = next(c for c in account.get("/v1.0/cycles").json() if c["Name"] == template["Name"])
        here = account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Webhooks"][0]["Url"]

    # Another Junction, without the demo, calling the first one's demo apps.
    with JunctionProcess(tmp_path / "other", outbound_allow_loopback=True) as other:
        other.start()
        credentials = other.credentials()
        token = other.token(credentials)
        partner = httpx.Client(
            base_url=other.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        imported = partner.post("/v1.0/templates/import", json=exported.json())
        assert imported.status_code == 201, imported.text
        assert partner.post("/v1.0/accounts", json={"Id": "elsewhere", "Name": "E"}).is_success
        account = httpx.Client(
            base_url=other.base_url,
            headers={"Authorization": f"Bearer {token}", "X-Cyclr-Account": "elsewhere"},
            timeout=30,
        )
        connectors = {c["Name"]: c["Id"] for c in partner.get("/v1.0/connectors").json()}
        login = f"{state['mailer_username']}:{state['mailer_password']}".encode()
        for name, auth_value, app in (
            ("Demo CRM", state["crm_api_key"], "crm"),
            ("Demo Mailer", base64.b64encode(login).decode(), "mailer"),
        ):
            done = account.post(
                f"/v1.0/connectors/{connectors[name]}/install",
                json={
                    "AuthValue": auth_value,
                    "Properties": [{"Name": "ApiBase", "Value": f"{demo.base_url}/demo/{app}"}],
                },
            )
            assert done.status_code == 200, done.text
        installed = account.post(f"/v1.0/templates/{imported.json()['Id']}/install", json={})
        assert installed.status_code == 200, installed.text
        activated = account.put(f"/v1.0/cycles/{installed.json()['Id']}/activate", json={})
        assert activated.status_code == 200, activated.text
        there = activated.json()["Webhooks"][0]["Url"]

        # The same contact, sent to both: the same steps, outcomes and mailer answer.
        contact = {"id": 777001, "email": "same@example.com", "name": "Same", "status": "active"}
        results = []
        for url, base, headers in (
            (here, demo.base_url, client(demo, seen).headers),
            (there, other.base_url, account.headers),
        ):
            sent = httpx.post(url, json=contact)
            assert sent.status_code == 200, sent.text
            transaction_id = sent.json()["TransactionId"]
            with httpx.Client(base_url=base, headers=headers, timeout=30) as api:

                def detail(api: httpx.Client = api, tid: str = transaction_id) -> Any:
                    listed = api.get("/v1.0/cycles/transactions", params={"pageSize": 500}).json()
                    match = [t for t in listed if t["Id"] == tid]
                    if not match or match[0]["Status"] not in ("Completed", "Errored"):
                        return None
                    return transaction_detail(api, match[0]["CycleId"], tid)

                results.append(wait_until(detail, 30, "the transaction to end"))
        mine, theirs = results
        assert mine["Status"] == theirs["Status"] == "Completed"

        def summary(detail: dict[str, Any]) -> list[tuple[str, str, Any]]:
            return [(s["StepName"], s["Status"], s["Output"]) for s in detail["Steps"]]

        assert summary(mine) == summary(theirs)
        assert len(mine["Steps"]) == 3
        partner.close()
        account.close()


def test_a_second_start_keeps_the_demo_data(demo: JunctionProcess, demo_dir: Path) -> None:
    first = printed(demo)
    with client(demo, first, account=None) as partner:
        before = {
            path: len(partner.get(path, params={"pageSize": 500}).json())
            for path in ("/v1.0/accounts", "/v1.0/connectors", "/v1.0/templates")
        }
    demo.stop()
    # Started again on the same folder, at another port this time.
    with JunctionProcess(demo_dir, serve_args=(), split_stderr=False, **FAST, demo=True) as again:
        again.starts = demo.starts
        again.start()
        seen = printed(again)
        assert seen.kept
        assert (seen.client_id, seen.client_secret) == (first.client_id, first.client_secret)
        with client(again, seen, account=None) as partner:
            after = {
                path: len(partner.get(path, params={"pageSize": 500}).json()) for path in before
            }
        assert after == before
        assert before["/v1.0/accounts"] == 1
        assert before["/v1.0/templates"] == 2
        with client(again, seen) as api:
            assert len(api.get("/v1.0/cycles").json()) == 2
            old = sum(completed_by_cycle(api).values())
            # The CRM calls the webhook cycle at its new address, and the connectors
            # reach the demo apps there too.
            wait_until(
                lambda: sum(completed_by_cycle(api).values()) >= old + 2,
                30,
                "new completed transactions after the restart",
            )
            errored = api.get("/v1.0/cycles/transactions", params={"status": "Errored"}).json()
            assert errored == []
