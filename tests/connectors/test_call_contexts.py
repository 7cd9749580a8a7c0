"""Data on Demand's call contexts, kept in memory: every change to what they were read from
reaches every process, on both databases.

Two Junctions share one database, as two ``junction serve`` processes would. The second
answers the calls (after the first call, from memory); the first changes what the calls are
made from. A change must show in the second's very next call on SQLite (the stamp file is
read before each answer from memory) and within moments on PostgreSQL (LISTEN/NOTIFY).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from junction.connectors.accounts.models import AccountConnectorProperty
from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.saas import API_KEY, ContactsApi
from tests.fixtures.shared_database import (
    NOTICE_DEADLINE_SECONDS,
    eventually,
    partner_token,
    serving,
)


@pytest.fixture
def saas() -> Iterator[ContactsApi]:
    api = ContactsApi(total=20)
    api.start()
    yield api
    api.stop()


def test_changes_made_elsewhere_reach_the_calls_at_once(
    database_url: str, tmp_path: Path, saas: ContactsApi
) -> None:
    postgres = not database_url.startswith("sqlite")

    async def scenario() -> None:
        async with (
            serving(database_url, tmp_path, outbound_allow_loopback=True) as (one, first),
            serving(database_url, tmp_path, outbound_allow_loopback=True) as (two, second),
        ):
            token = await partner_token(one, first, "partner")
            partner = {"Authorization": f"Bearer {token}"}
            acme = partner | {"X-Cyclr-Account": "acme"}
            assert (
                await first.post(
                    "/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}, headers=partner
                )
            ).is_success
            connector = (
                await first.post("/v1.0/connectors", json=contacts_definition(), headers=partner)
            ).json()["Id"]
            installed = await first.post(
                f"/v1.0/connectors/{connector}/install",
                json={
                    "AuthValue": API_KEY,
                    "Properties": [{"Name": "ApiBase", "Value": saas.base_url}],
                },
                headers=acme,
            )
            assert installed.status_code == 200, installed.text
            ac = installed.json()["Id"]

            async def call() -> httpx.Response:
                return await second.post(
                    f"/v1.0/account/connectors/{ac}/methods/contacts-get",
                    json={"Parameters": {"ContactId": 3}},
                    headers=acme,
                )

            async def becomes(check: Callable[[httpx.Response], bool]) -> None:
                if not postgres:
                    answer = await call()
                    assert check(answer), answer.text
                    return

                async def holds() -> bool:
                    return check(await call())

                await eventually(holds, NOTICE_DEADLINE_SECONDS)

            def upstream_refused(answer: httpx.Response) -> bool:
                return answer.status_code == 400 and answer.json().get("UpstreamStatus") == 401

            def answered(answer: httpx.Response) -> bool:
                return answer.status_code == 200 and answer.json()["id"] == 3

            # Two calls: the second is answered from the context kept by the first.
            assert answered(await call())
            assert answered(await call())
            assert len(two.gateway.contexts._kept) == 1

            # New credentials, through the API of the first process.
            changed = await first.put(
                f"/v1.0/account/connectors/{ac}", json={"AuthValue": "wrong-key"}, headers=acme
            )
            assert changed.status_code == 200, changed.text
            await becomes(upstream_refused)

            # Back again; then a property changed by a statement rather than through the
            # ORM's objects (no flush to see): the API base moved to where nothing answers.
            await first.put(
                f"/v1.0/account/connectors/{ac}", json={"AuthValue": API_KEY}, headers=acme
            )
            await becomes(answered)
            async with one.database.transaction() as session:
                await session.execute(
                    update(AccountConnectorProperty)
                    .where(
                        AccountConnectorProperty.account_connector_id == ac,
                        AccountConnectorProperty.name == "ApiBase",
                    )
                    .values(value=saas.base_url + "/gone")
                )
            await becomes(lambda answer: answer.json().get("UpstreamStatus") == 404)

            # The account connector removed: the call is refused, not made.
            removed = await first.delete(f"/v1.0/account/connectors/{ac}", headers=acme)
            assert removed.status_code == 200, removed.text
            await becomes(
                lambda answer: answer.status_code == 404 and "UpstreamStatus" not in answer.json()
            )
            calls_before = len(saas.state.requests)
            assert (await call()).status_code == 404
            assert len(saas.state.requests) == calls_before

    asyncio.run(scenario())
