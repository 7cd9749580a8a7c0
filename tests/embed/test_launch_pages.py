"""The LAUNCH and ORBIT pages through HTTP, as a browser without scripts would use them:
sign in with a LAUNCH link, connect an app (a wrong key refused before it is stored), make
the customer's choices, turn the integration on, and run it with a webhook."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.embed.flows import browser_client, csrf_of, set_up_partner
from tests.engine.hooks import wait_for
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.server import Junction


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    return set_up_partner(junction)


def _launch(junction: Junction, partner: httpx.Client, **options: Any) -> httpx.Client:
    answer = partner.post("/v1.0/accounts/acme/launch", json={"AccountName": "Acme", **options})
    assert answer.status_code == 200, answer.text
    client, _ = browser_client(junction, answer.json()["LaunchUrl"])
    return client


def _cycle_page(client: httpx.Client) -> tuple[str, httpx.Response]:
    # One template is offered: the page's form installs it at once (a browser's script
    # posts it; a GET alone installs nothing).
    offered = client.get("/launch")
    assert offered.status_code == 200, offered.text
    assert "data-auto-submit" in offered.text
    template_id = re.search(r'name="template_id" value="([^"]+)"', offered.text)
    assert template_id
    started = client.post(
        "/launch/install", data={"csrf": csrf_of(offered.text), "template_id": template_id.group(1)}
    )
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert location.startswith("/launch/cycles/")
    return location, client.get(location)


def test_a_customer_sets_up_and_turns_on_an_integration(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    client = _launch(junction, partner, CompleteParameter="order-7")
    path, page = _cycle_page(client)
    assert page.status_code == 200
    assert "Set up Newsletter sign-ups" in page.text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    csrf = csrf_of(page.text)
    connector = re.search(r'action="(/launch/cycles/[^"]+/connectors/\d+)"', page.text)
    assert connector, page.text

    # A wrong key is refused inline and nothing is stored.
    wrong = client.post(
        connector.group(1),
        data={"csrf": csrf, "prop-ApiBase": saas.base_url, "api_key": "not-the-key"},
    )
    assert wrong.status_code == 303
    shown = client.get(wrong.headers["location"])
    assert "refused these credentials" in shown.text
    assert "Not connected" in shown.text

    right = client.post(
        connector.group(1), data={"csrf": csrf, "prop-ApiBase": saas.base_url, "api_key": API_KEY}
    )
    shown = client.get(right.headers["location"])
    assert "is connected" in shown.text
    # The look-up's values fill the drop-down.
    assert '<option value="a">Active</option>' in shown.text
    assert "left to the customer and has no value yet" in shown.text

    # Turning it on before the choices are made is refused with what is missing.
    early = client.post(f"{path}/activate", data={"csrf": csrf})
    assert "left to the customer" in client.get(early.headers["location"]).text

    names = re.findall(r'name="([mv]-[^"]+)"', shown.text)
    assert len(names) == 2, names
    choices = {n: ("a" if n.startswith("m-") else "web form") for n in names}
    saved = client.post(f"{path}/choices", data={"csrf": csrf, **choices})
    assert "Your choices are saved" in client.get(saved.headers["location"]).text

    activated = client.post(f"{path}/activate", data={"csrf": csrf})
    assert activated.status_code == 303, activated.text
    done = client.get(activated.headers["location"])
    assert done.status_code == 200, done.text
    # Reloading the result changes nothing.
    assert client.get(activated.headers["location"]).text == done.text
    result = json.loads(
        re.search(
            r'<script type="application/json" id="jn-result">(.*?)</script>', done.text
        ).group(1)  # type: ignore[union-attr]
    )
    assert result["status"] == "Active"
    assert result["completeParameter"] == "order-7"
    assert result["accountId"] == "acme"
    assert result["templateTags"] == ["newsletter"]
    assert len(result["webhooks"]) == 1

    sent = httpx.post(result["webhooks"][0], json={"email": "new@example.com"})
    assert sent.status_code == 200, sent.text
    wait_for(lambda: any("list=a" in r["path"] for r in saas.state.requests))


def test_forms_need_the_sessions_token_and_stay_in_the_account(
    junction: Junction, partner: httpx.Client
) -> None:
    client = _launch(junction, partner)
    path, page = _cycle_page(client)
    csrf = csrf_of(page.text)
    forged = client.post(f"{path}/choices", data={"csrf": "forged", "v-Source": "x"})
    assert forged.status_code == 403
    assert "form has expired" in forged.text
    missing = client.post(f"{path}/choices", data={"v-Source": "x"})
    assert missing.status_code == 403

    # Another account's integration is not found from this session.
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).is_success
    theirs = partner.post("/v1.0/accounts/other/launch", json={})
    other_client, _ = browser_client(junction, theirs.json()["LaunchUrl"])
    other_path, _ = _cycle_page(other_client)
    assert client.get(other_path).status_code == 404
    refused = client.post(f"{other_path}/choices", data={"csrf": csrf, "v-Source": "x"})
    assert refused.status_code == 404
    theirs_now = other_client.get(other_path).text
    assert 'value="x"' not in theirs_now


def test_orbit_pauses_resumes_and_deletes(
    junction: Junction, partner: httpx.Client, saas: ContactsApi
) -> None:
    client = _launch(
        junction,
        partner,
        ConnectorAuthentications=[
            {
                "Name": "Test Mailing",
                "AuthValue": API_KEY,
                "Properties": [{"Name": "ApiBase", "Value": saas.base_url}],
            }
        ],
    )
    path, page = _cycle_page(client)
    csrf = csrf_of(page.text)
    names = re.findall(r'name="([mv]-[^"]+)"', page.text)
    choices = {n: ("a" if n.startswith("m-") else "web") for n in names}
    client.post(f"{path}/choices", data={"csrf": csrf, **choices})
    # The partner's own last page (scripts in it do not run: the pages' policy).
    partner.put(
        "/v1.0/settings/appearance", json={"LaunchCompleteHtml": "<h1>Welcome aboard</h1>"}
    ).raise_for_status()
    activated = client.post(f"{path}/activate", data={"csrf": csrf})
    done = client.get(activated.headers["location"])
    assert done.status_code == 200
    assert "<h1>Welcome aboard</h1>" in done.text
    assert 'id="jn-result"' in done.text
    cycle_id = path.rsplit("/", 1)[1]

    orbit = client.get("/orbit")
    assert "Newsletter sign-ups" in orbit.text
    assert "Running" in orbit.text
    paused = client.post(f"/orbit/cycles/{cycle_id}/pause", data={"csrf": csrf})
    assert "is paused" in client.get(paused.headers["location"]).text
    account = junction.http(partner.headers["Authorization"][7:], account="acme")
    assert account.get(f"/v1.0/cycles/{cycle_id}").json()["Status"] == "Paused"
    resumed = client.post(f"/orbit/cycles/{cycle_id}/resume", data={"csrf": csrf})
    assert "running again" in client.get(resumed.headers["location"]).text
    assert account.get(f"/v1.0/cycles/{cycle_id}").json()["Status"] == "Active"
    deleted = client.post(f"/orbit/cycles/{cycle_id}/delete", data={"csrf": csrf})
    assert "is deleted" in client.get(deleted.headers["location"]).text
    assert account.get(f"/v1.0/cycles/{cycle_id}").status_code == 404
