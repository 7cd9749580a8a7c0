"""Create the demo's data the way a partner would: through Junction's public HTTP API.

Only the client ID and secret come from the service behind ``junction credentials create``
(there is no API for them, as in Cyclr's console). Everything else is a call to
``{JUNCTION_PUBLIC_BASE_URL}`` over loopback with that client's token: add the two
connectors, create the account, install and authenticate its connectors, create and
release the two templates, install them and activate the cycles, and subscribe the webhook
cycle's URL at the demo CRM. Nothing here touches the engine.

It runs once: when the demo account exists, it only reads back what it needs to print.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import aiohttp
from sqlalchemy import select

from junction.auth import service as auth_service
from junction.clock import Clock
from junction.connectors.accounts import service as accounts
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import load_yaml
from junction.connectors.catalog.models import Connector
from junction.console import users
from junction.db.engine import Database
from junction.demo import templates
from junction.demo.state import DemoState
from junction.security.keyring import Keyring

ACCOUNT_ID = "demo"
CREDENTIALS_DESCRIPTION = "Junction demo"
CONNECTOR_FILES = ("demo-crm.yaml", "demo-mailer.yaml")
# The scheduled cycle's StartTime lies this far in the past, so that it runs at once (the
# first run of a Get trigger only notes the time) and again 60 - 45 = 15 seconds later,
# when it hands on the contacts created in between; then every minute.
START_BACK = timedelta(seconds=45)


class SeedError(RuntimeError):
    """A call of the seeding got an answer it did not expect."""


CONSOLE_USERNAME = "demo-admin"


@dataclass(frozen=True)
class DemoInfo:
    base_url: str
    client_id: str
    client_secret: str
    account_id: str
    webhook_url: str | None
    cycles: list[dict[str, Any]]
    created: bool  # False: the demo data was already there
    console_username: str = CONSOLE_USERNAME
    console_password: str = ""


def connector_definition(file_name: str) -> dict[str, Any]:
    text = resources.files("junction.demo").joinpath("connectors", file_name).read_text()
    document: dict[str, Any] = load_yaml(text)
    return document


async def demo_credentials(
    *, database: Database, keyring: Keyring, limit: int, now: datetime
) -> auth_service.CredentialSet:
    """The demo's client credential set: found by its description, or created."""
    async with database.transaction() as session:
        for row in await auth_service.list_credentials(session=session):
            if row.description == CREDENTIALS_DESCRIPTION:
                return await auth_service.reveal_credentials(
                    session=session, keyring=keyring, client_id=row.client_id
                )
        return await auth_service.create_credentials(
            session=session,
            keyring=keyring,
            description=CREDENTIALS_DESCRIPTION,
            limit=limit,
            now=now,
        )


class Api:
    """A small client of Junction's API (and the demo apps) over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base_url = base_url
        self.headers: dict[str, str] = {}

    async def call(
        self,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200, 201),
        account: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        sent = dict(self.headers) | (headers or {})
        if account is not None:
            sent["X-Cyclr-Account"] = account
        async with self.http.request(
            method, self.base_url + path, headers=sent, **kwargs
        ) as answer:
            text = await answer.text()
            if answer.status not in expect:
                raise SeedError(f"{method} {path}: {answer.status} {text[:500]}")
            if answer.status == 404 or not text:
                return None
            return await answer.json(content_type=None)


async def seed(
    *,
    base_url: str,
    database: Database,
    keyring: Keyring,
    state: DemoState,
    clock: Clock,
    credentials_limit: int,
) -> DemoInfo:
    """Create the demo data unless it exists; what to print either way."""
    credentials = await demo_credentials(
        database=database, keyring=keyring, limit=credentials_limit, now=clock()
    )
    assert credentials.client_secret is not None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        api = Api(http, base_url)
        token = await api.call(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
        )
        api.headers["Authorization"] = f"Bearer {token['access_token']}"
        existing = await api.call("GET", f"/v1.0/accounts/{ACCOUNT_ID}", expect=(200, 404))
        created = existing is None
        if created:
            await _create(api, base_url=base_url, state=state, now=clock())
        await _ensure_marketplace(api)
        listed = await api.call("GET", "/v1.0/cycles", account=ACCOUNT_ID)
        # The list leaves out webhook URLs; each cycle's own answer has them.
        cycles = [
            await api.call("GET", f"/v1.0/cycles/{cycle['Id']}", account=ACCOUNT_ID)
            for cycle in listed
        ]
        webhook_urls = [hook["Url"] for cycle in cycles for hook in cycle.get("Webhooks") or []]
        await _subscribe(api, state=state, urls=webhook_urls)
    webhook_url = webhook_urls[0] if webhook_urls else None
    await _console_administrator(database=database, state=state, now=clock())
    return DemoInfo(
        base_url=base_url,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        account_id=ACCOUNT_ID,
        webhook_url=webhook_url,
        cycles=cycles,
        created=created,
        console_password=state.console_password,
    )


async def _create(api: Api, *, base_url: str, state: DemoState, now: datetime) -> None:
    # 1. The connectors (partner level), as `junction connectors add` would.
    crm_id, mailer_id = [
        (await api.call("POST", "/v1.0/connectors", json=connector_definition(name)))["Id"]
        for name in CONNECTOR_FILES
    ]
    # 2. The account, with both connectors installed and authenticated.
    await api.call(
        "POST",
        "/v1.0/accounts",
        json={"Id": ACCOUNT_ID, "Name": "Demo account", "Description": "Made by --demo"},
    )
    mailer_login = f"{state.mailer_username}:{state.mailer_password}".encode()
    for connector_id, auth_value, app in (
        (crm_id, state.crm_api_key, "crm"),
        (mailer_id, base64.b64encode(mailer_login).decode(), "mailer"),
    ):
        await api.call(
            "POST",
            f"/v1.0/connectors/{connector_id}/install",
            account=ACCOUNT_ID,
            json={
                "Name": f"Demo {app}",
                "AuthValue": auth_value,
                "Properties": [{"Name": "ApiBase", "Value": f"{base_url}/demo/{app}"}],
            },
        )
    # 3. The templates, released, installed into the account and activated.
    for document, activation in (
        (templates.scheduled_sync(), {"Interval": 1, "StartTime": _utc(now - START_BACK)}),
        (templates.webhook_flow(), {}),
    ):
        template = await api.call("POST", "/v1.0/templates", json=document)
        await api.call(
            "PUT", f"/v1.0/templates/{template['Id']}/releases/1/status", json={"Status": "Live"}
        )
        cycle = await api.call(
            "POST", f"/v1.0/templates/{template['Id']}/install", account=ACCOUNT_ID, json={}
        )
        active = await api.call(
            "PUT", f"/v1.0/cycles/{cycle['Id']}/activate", account=ACCOUNT_ID, json=activation
        )
        assert active["Status"] == "Active", active


async def _console_administrator(*, database: Database, state: DemoState, now: datetime) -> None:
    """The demo's console administrator, made once with the password kept in the state."""
    async with database.transaction() as session:
        if not any(u.username == CONSOLE_USERNAME for u in await users.users(session=session)):
            await users.create_user(
                session=session,
                username=CONSOLE_USERNAME,
                password=state.console_password,
                role=users.ADMINISTRATOR,
                now=now,
            )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


async def _ensure_marketplace(api: Api) -> None:
    """A marketplace offering each demo template as a package (for the stand-in product's
    Marketplace tab); made once, also for demo data from before marketplaces existed."""
    if await api.call("GET", "/v1.0/marketplaces"):
        return
    cards: list[dict[str, Any]] = [
        {"Type": "RichText", "Text": "Connect the Demo CRM to the Demo Mailer in a few clicks."}
    ]
    for template in await api.call("GET", "/v1.0/templates"):
        cards.append(
            {
                "Type": "IntegrationPackage",
                "Name": _sentence(template["Name"].removeprefix("Demo: ")),
                "Description": template.get("Description"),
                "Category": "CRM and e-mail",
                "TemplateIds": [template["Id"]],
                "InstalledMessage": "Installed: new contacts now flow to the mailer.",
            }
        )
    await api.call("POST", "/v1.0/marketplaces", json={"Name": "Demo marketplace", "Cards": cards})


async def follow_address(
    *, database: Database, keyring: Keyring, base_url: str, now: datetime
) -> None:
    """On a later start, point the demo account's connectors at this server's address (the
    port may have changed since the demo was created).

    Called before the dispatcher starts: a scheduled run due at once, or a transaction left
    queued by the last process, would otherwise call the demo apps at the old port.
    """
    apps = {"Demo CRM": "crm", "Demo Mailer": "mailer"}
    async with database.transaction() as session:
        installed = await session.execute(
            select(AccountConnector, Connector)
            .join(Connector, Connector.id == AccountConnector.connector_id)
            .where(AccountConnector.account_id == ACCOUNT_ID, Connector.name.in_(apps))
        )
        for row, connector in installed.tuples():
            wanted = f"{base_url}/demo/{apps[connector.name]}"
            stored = await accounts.properties(session=session, row=row)
            if any(p.name == "ApiBase" and p.value == wanted for p in stored):
                continue
            parameter = accounts.account_property(catalog.definition_of(connector), "ApiBase")
            accounts.touch(row, now)
            await accounts.set_property(
                session=session, keyring=keyring, row=row, parameter=parameter, value=wanted
            )


async def _subscribe(api: Api, *, state: DemoState, urls: list[str]) -> None:
    """The CRM's outgoing webhooks go to the webhook cycle's URL, and nowhere else."""
    key = {"X-Api-Key": state.crm_api_key}
    answer = await api.call("GET", "/demo/crm/webhooks", headers=key)
    for hook in answer["webhooks"]:
        if hook["url"] not in urls:
            await api.call("DELETE", f"/demo/crm/webhooks/{hook['id']}", headers=key, expect=(204,))
    for url in urls:
        await api.call("POST", "/demo/crm/webhooks", headers=key, json={"url": url})


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def banner(info: DemoInfo) -> str:
    """What `junction serve --demo` prints: the credentials and copy-paste calls."""
    base = info.base_url
    state = "created" if info.created else "already there, kept"
    lines = [
        "",
        f"Junction demo ({state}): account '{info.account_id}' with "
        f"{len(info.cycles)} active cycles.",
        f"  Home page:     {base}/",
        f"  Customer view: {base}/demo/  (LAUNCH and ORBIT framed by a stand-in product)",
        f"  Console:       {base}/console  (user {info.console_username}, password "
        f"{info.console_password})",
        f"  API docs:      {base}/docs",
        f"  Client ID:     {info.client_id}",
        f"  Client secret: {info.client_secret}",
        "",
        "Try it (copy and paste into another terminal):",
        "",
        f"TOKEN=$(curl -s -X POST {base}/oauth/token -d grant_type=client_credentials \\",
        f"  -d client_id={info.client_id} -d client_secret={info.client_secret} \\",
        "  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f'curl -s {base}/v1.0/cycles -H "Authorization: Bearer $TOKEN" '
        f"-H 'X-Cyclr-Account: {info.account_id}'",
        f"curl -s '{base}/v1.0/cycles/transactions?pageSize=10' "
        f"-H \"Authorization: Bearer $TOKEN\" -H 'X-Cyclr-Account: {info.account_id}'",
    ]
    if info.webhook_url:
        lines.append(
            f"curl -s -X POST {info.webhook_url} -H 'Content-Type: application/json' "
            '-d \'{"id": 9001, "email": "you@example.com", "name": "You", '
            '"status": "active"}\''
        )
    lines.append("")
    return "\n".join(lines)
