"""HEAD or GET on a webhook address: how apps such as Trello check an address before they register
a webhook at it. Known addresses answer 200 whatever the cycle's status; nothing is stored."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.engine.hooks import chain, create_step, hook_step, install_webhook_cycle
from tests.fixtures.saas import ContactsApi

Clients = tuple[httpx.Client, httpx.Client]


def test_a_known_address_answers_200_and_an_unknown_one_404(
    clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    document = {"Name": "Checked hook", "Steps": [hook_step(), create_step()]}
    cycle = install_webhook_cycle(
        partner, account, saas.base_url, document | {"Edges": chain("hook", "create")}
    )
    path = urlsplit(cycle.url).path
    known = account.head(path)
    assert known.status_code == 200
    assert known.content == b""
    assert account.head(path + "x").status_code == 404
    got = account.get(path)
    assert got.status_code == 200
    assert got.json() == {"Message": "This address takes webhook calls (POST)"}
    unknown = account.get(path + "x")
    assert unknown.status_code == 404
    assert unknown.json()["Message"] == "No webhook has this address"
    assert account.head("/api/webhook/").status_code in (404, 405)
    # A paused cycle's address is still its own: the check comes before activation.
    assert account.put(f"/v1.0/cycles/{cycle.id}/deactivate").status_code == 200
    assert account.head(path).status_code == 200
    assert account.get(f"/v1.0/cycles/{cycle.id}/transactions").json() == []
