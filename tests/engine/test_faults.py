"""Faults of the outside world under load: a target API that fails half of what it is sent,
and many concurrent transactions that all find their OAuth 2.0 access token expired.

Both tests drive a webhook cycle over HTTP only (webhook calls in, the reports API out), so
they hold whatever runs the transactions behind the ``junction`` fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from junction.connectors.calls.oauth import tokens_json
from junction.connectors.runtime import RetryPolicy
from tests.cycles.builders import publish
from tests.engine.hooks import (
    WebhookCycle,
    chain,
    hook_step,
    hooks_definition,
    install_webhook_cycle,
    wait_for,
)
from tests.fixtures.loopback import LoopbackApi
from tests.fixtures.mailer import MailerApi
from tests.fixtures.oauth_provider import RegisteredClient
from tests.fixtures.saas import API_KEY
from tests.fixtures.server import Junction

Clients = tuple[httpx.Client, httpx.Client]

ENDED = ("Completed", "Errored", "Stopped")

# -- a target that fails half of the items ----------------------------------------------

# A multiple of 6, so that each kind of failure hits exactly a sixth of the items.
ITEMS = 120
# The method's own timeout (TimeoutSeconds), short so that a hung answer costs little; long
# enough that an answer the target gives at once never comes near it, even with the whole
# suite loading both cores (at 1 s, two prompt answers of 120 once timed out there).
CALL_TIMEOUT = 3.0
# A Retry-After the runtime waits out inside the call, and one past the 120 seconds a call
# may spend waiting for 429s, which the engine turns into Waiting on its clock.
SHORT_RETRY_AFTER = 1
LONG_RETRY_AFTER = 600

# What the target does with an item's first call, by item number modulo 6: half of the
# items fail, the three failures equally often.
HTTP_500, RATE_LIMITED, TIMEOUT = "500", "429", "timeout"
FIRST_CALL = (HTTP_500, RATE_LIMITED, TIMEOUT, None, None, None)


def fault_of(item: int) -> str | None:
    return FIRST_CALL[item % len(FIRST_CALL)]


def retry_after_of(item: int) -> int:
    """Rate-limited items alternate between the short and the long Retry-After."""
    return SHORT_RETRY_AFTER if (item // len(FIRST_CALL)) % 2 == 0 else LONG_RETRY_AFTER


def email_of(item: int) -> str:
    return f"item-{item}@example.com"


EMAIL = re.compile(r"^item-(\d+)@example\.com$")


class FlakyApi(LoopbackApi):
    """``POST /contacts`` (``X-Api-Key`` auth). An item's first call gets the answer
    ``fault_of`` names: a 500, a 429 with ``Retry-After``, or no answer at all (held until
    the API stops, far past ``CALL_TIMEOUT``); every later call, and the first call of the
    other items, gets a 201. ``answers`` keeps, per item, the status of each call in order,
    None for a call that was never answered in time."""

    name = "flaky-api"

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[int, list[int | None]] = defaultdict(list)
        self._release: asyncio.Event | None = None

    @property
    def answers(self) -> dict[int, list[int | None]]:
        with self._lock:
            return {item: list(statuses) for item, statuses in self._answers.items()}

    def add_routes(self, app: web.Application) -> None:
        self._release = asyncio.Event()
        app.router.add_post("/contacts", self._create)

    def refuse(self, request: web.Request) -> web.Response | None:
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.json_response({"error": "unauthorized"}, status=401)
        return None

    def stop(self) -> None:
        # Hung calls end now, so that shutting the server down does not wait for them.
        if self._release is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._release.set)
        super().stop()

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        found = EMAIL.match(str(body.get("email", "")))
        if found is None:
            return web.json_response({"error": "not an item of this test"}, status=422)
        item = int(found.group(1))
        with self._lock:
            first = not self._answers[item]
            fault = fault_of(item) if first else None
            self._answers[item].append(None if fault == TIMEOUT else _status(fault))
        if fault == HTTP_500:
            return web.json_response({"error": "injected failure"}, status=500)
        if fault == RATE_LIMITED:
            return web.json_response(
                {"error": "slow down"},
                status=429,
                headers={"Retry-After": str(retry_after_of(item))},
            )
        if fault == TIMEOUT:
            assert self._release is not None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60):
                    await self._release.wait()
            return web.json_response({"error": "too late"}, status=504)
        return web.json_response({"id": item, "email": body["email"]}, status=201)


def _status(fault: str | None) -> int:
    return {HTTP_500: 500, RATE_LIMITED: 429}.get(fault or "", 201)


@pytest.fixture
def flaky() -> Iterator[FlakyApi]:
    with FlakyApi() as api:
        yield api


def flaky_definition() -> dict[str, Any]:
    return {
        "Name": "Flaky Contacts",
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": "{{ApiBase}}",
        "Authentication": [
            {
                "Id": "apikey",
                "AuthType": "ApiKey",
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Parameters": [
            {"TargetType": "MergeField", "TargetName": "ApiBase", "AccountConnectorProperty": True}
        ],
        "Methods": [
            {
                "Name": "Create contact",
                "MethodUniqueIdentifier": "contacts-create",
                "HttpMethod": "POST",
                "Endpoint": "/contacts",
                # The outbound timeout is the method's (else the connector's, 30 s by default).
                "TimeoutSeconds": CALL_TIMEOUT,
                "RequestFields": [
                    {"ConnectorField": "email", "SystemField": "Email", "Optional": False}
                ],
                "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
            }
        ],
    }


def from_hook(field: str) -> dict[str, str]:
    return {"MappingType": "StepData", "SourceStepKey": "hook", "SourceField": field}


def listed(cycle: WebhookCycle, path: str) -> list[dict[str, Any]]:
    got = cycle.account.get(f"/v1.0/cycles/{cycle.id}/{path}", params={"pageSize": 500})
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()
    return items


def by_status(cycle: WebhookCycle) -> Counter[str]:
    return Counter(t["Status"] for t in listed(cycle, "transactions"))


def wait_until_only(cycle: WebhookCycle, count: int, statuses: tuple[str, ...]) -> None:
    """Wait until the cycle has ``count`` transactions, each in one of ``statuses``."""

    def reached() -> bool:
        seen = by_status(cycle)
        return seen.total() == count and set(seen) <= set(statuses)

    try:
        wait_for(reached, timeout=45)
    except AssertionError:
        raise AssertionError(
            f"still not all of {count} in {statuses} after the deadline: {dict(by_status(cycle))}"
        ) from None


def send(url: str, payloads: list[dict[str, Any]]) -> list[str]:
    """POST every payload to the webhook, eight at a time; the transaction ids in order."""
    with httpx.Client(timeout=30) as client:

        def one(payload: dict[str, Any]) -> str:
            answer = client.post(url, json=payload)
            assert answer.status_code == 200, answer.text
            transaction_id: str = answer.json()["TransactionId"]
            return transaction_id

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, payloads))


def test_a_target_failing_half_the_calls_leaves_every_item_accounted_for(
    junction: Junction, clients: Clients, flaky: FlakyApi
) -> None:
    """120 webhook calls; the target fails the first call of half the items, a sixth each
    with a 500, a 429 and no answer. StepErrorAction is Ignore, so:

    - 500 (a POST): not retried (only 502/503/504 are transient, and a POST only on 503);
      the step fails, the transaction ends Errored with one Error incident "Failed to call
      the method" quoting the 500.
    - no answer: the call gives up after the method's ``TimeoutSeconds`` (UpstreamTimeout),
      which the runtime never retries; Errored with an Error incident.
    - 429, ``Retry-After: 1``: the connector runtime sleeps the second out inside the call
      and calls again (real time, not the engine's clock); the step data shows both
      exchanges, the transaction ends Completed with no incident.
    - 429, ``Retry-After: 600``: more than the 120 s a call may wait for 429s, so the runtime
      gives up at once (UpstreamRateLimited) and the engine, whatever the error action, puts
      the transaction in Waiting until the engine clock's now + 600 s with a Warning
      incident; once the test moves the clock past that it runs the step again and ends
      Completed (WarningCount 1).

    Every item must end Completed or Errored as above, and the target must have answered a
    2xx exactly once for each Completed item and never for an Errored one.
    """
    partner, account = clients
    added = partner.post("/v1.0/connectors", json=flaky_definition())
    assert added.status_code == 201, added.text
    document = {
        "Name": "Hook to a flaky target",
        "Settings": {"StepErrorAction": "Ignore"},
        "Steps": [
            hook_step(),
            {
                "Key": "create",
                "Name": "Create contact",
                "ConnectorName": "Flaky Contacts",
                "MethodUniqueIdentifier": "contacts-create",
                "FieldMappings": [{"Name": "Email", **from_hook("Email")}],
            },
        ],
        "Edges": chain("hook", "create"),
    }
    cycle = install_webhook_cycle(partner, account, flaky.base_url, document)
    create_step = next(s["Id"] for s in listed(cycle, "steps") if s["StepKey"] == "create")

    ids = send(cycle.url, [{"email": email_of(n), "name": f"Item {n}"} for n in range(ITEMS)])
    item_of = {transaction_id: n for n, transaction_id in enumerate(ids)}
    assert len(item_of) == ITEMS

    # The long Retry-After waits on the engine's clock, which only the test moves: first
    # everything else ends, then the clock passes their due time (with nothing running, so
    # no lease is cut short by the jump).
    long_waits = {
        n
        for n in range(ITEMS)
        if fault_of(n) == RATE_LIMITED and retry_after_of(n) > RetryPolicy().max_wait_seconds
    }
    wait_until_only(cycle, ITEMS, (*ENDED, "Waiting"))
    waiting = {item_of[t["Id"]] for t in listed(cycle, "transactions") if t["Status"] == "Waiting"}
    assert waiting == long_waits
    junction.clock.advance(timedelta(seconds=LONG_RETRY_AFTER + 1))
    wait_until_only(cycle, ITEMS, ENDED)

    transactions = {t["Id"]: t for t in listed(cycle, "transactions")}
    assert set(transactions) == set(ids)
    expected = {
        n: "Errored" if fault_of(n) in (HTTP_500, TIMEOUT) else "Completed" for n in range(ITEMS)
    }
    outcome = {item_of[t]: row["Status"] for t, row in transactions.items()}
    assert outcome == expected
    completed = {n for n, status in outcome.items() if status == "Completed"}
    errored = {n for n, status in outcome.items() if status == "Errored"}
    assert len(completed) + len(errored) == ITEMS
    assert sum(fault_of(n) is not None for n in range(ITEMS)) == ITEMS // 2
    assert (len(completed), len(errored)) == (ITEMS * 2 // 3, ITEMS // 3)

    # Incidents: one Error per Errored transaction, at the target's step; one Warning per
    # long rate-limit wait; nothing for the rest.
    incidents = listed(cycle, "incidents")
    errors = [i for i in incidents if i["IncidentLevel"] == "Error"]
    warnings = [i for i in incidents if i["IncidentLevel"] == "Warning"]
    assert len(errors) + len(warnings) == len(incidents)
    assert sorted(item_of[i["TransactionId"]] for i in errors) == sorted(errored)
    assert sorted(item_of[i["TransactionId"]] for i in warnings) == sorted(long_waits)
    for incident in errors:
        assert incident["StepId"] == create_step
        assert incident["ShortMessage"] == "Failed to call the method"
        if fault_of(item_of[incident["TransactionId"]]) == HTTP_500:
            assert "HTTP Response: 500" in incident["FullMessage"]
        else:
            assert f"no complete answer within {CALL_TIMEOUT:g} seconds" in incident["FullMessage"]
    for t, row in transactions.items():
        n = item_of[t]
        assert row["ErrorCount"] == (1 if n in errored else 0), row
        assert row["WarningCount"] == (1 if n in long_waits else 0), row

    # What the target saw: a 2xx for each Completed item, exactly once; none for the others.
    answers = flaky.answers
    assert set(answers) == set(range(ITEMS))
    for n in range(ITEMS):
        successes = sum(1 for status in answers[n] if status is not None and status < 300)
        assert successes == (1 if n in completed else 0), (n, answers[n])
    calls = {n: len(statuses) for n, statuses in answers.items()}
    assert calls == {n: 2 if fault_of(n) == RATE_LIMITED else 1 for n in range(ITEMS)}

    # The step data of each kind of item shows the calls as the target answered them.
    samples = {
        "500": next(n for n in range(ITEMS) if fault_of(n) == HTTP_500),
        "timeout": next(n for n in range(ITEMS) if fault_of(n) == TIMEOUT),
        "short 429": next(
            n for n in range(ITEMS) if fault_of(n) == RATE_LIMITED and n not in long_waits
        ),
        "long 429": min(long_waits),
        "success": next(n for n in range(ITEMS) if fault_of(n) is None),
    }
    steps = {
        kind: [
            (s["Status"], [e["StatusCode"] for e in s["Exchanges"]])
            for s in cycle.transaction(ids[n])["Steps"]
            if s["StepId"] == create_step
        ]
        for kind, n in samples.items()
    }
    assert steps == {
        "500": [("Error", [500])],
        "timeout": [("Error", [None])],
        "short 429": [("Success", [429, 201])],
        "long 429": [("Warning", [429]), ("Success", [201])],
        "success": [("Success", [201])],
    }


# -- fifty transactions, one expired token ------------------------------------------------

CONCURRENT = 50
OAUTH_CLIENT = RegisteredClient(
    "junction-oauth-app",
    "oauth-app-secret",
    grant_types=("password", "refresh_token"),
    scope="subscribers",
    token_endpoint_auth_method="client_secret_post",  # the connector's ClientAuthentication Body
)
# The token endpoint answers this late, so that the refresh is still in flight while the
# other transactions reach the step and ask for the token.
TOKEN_DELAY = 1.5


def oauth_mailer_definition(mailer: MailerApi) -> dict[str, Any]:
    provider = mailer.provider
    return {
        "Name": "OAuth Mailer",
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": mailer.base_url,
        "Authentication": [
            {
                "Id": "oauth",
                "AuthType": "OAuth2",
                "OAuth2": {
                    "OAuth2Type": "AuthorisationCode",
                    "AuthoriseUrl": provider.authorize_url,
                    "TokenUrl": provider.token_url,
                    "ClientId": "{{OAuthClientId}}",
                    "ClientSecret": "{{OAuthClientSecret}}",
                    "Scopes": ["subscribers"],
                },
            }
        ],
        "Parameters": [
            {
                "TargetType": "MergeField",
                "TargetName": "OAuthClientId",
                "PartnerConnectorProperty": True,
            },
            {
                "TargetType": "MergeField",
                "TargetName": "OAuthClientSecret",
                "PartnerConnectorProperty": True,
                "Sensitive": True,
            },
        ],
        "Methods": [
            {
                "Name": "Add Subscriber",
                "MethodUniqueIdentifier": "subscriber-add",
                "HttpMethod": "POST",
                "Endpoint": "/subscribers",
                "RequestFields": [
                    {"ConnectorField": "email", "SystemField": "Email", "Optional": False}
                ],
                "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
            }
        ],
    }


def test_concurrent_transactions_with_an_expired_token_refresh_it_once(
    junction: Junction, clients: Clients, mailer: MailerApi
) -> None:
    """50 transactions on one account connector whose access token has expired: the
    provider sees one refresh_token grant, every call to the API carries the new token, and
    all 50 complete.

    The cycle is webhook → Delay 60 s → Add Subscriber. The Delay holds every transaction
    in Waiting until the engine's clock moves, so all 50 become due at the same moment
    rather than one by one as the webhook calls are stored, and none can find a token
    refreshed before the others started. They run side by side as far as the dispatcher
    allows (``JUNCTION_ACCOUNT_CONCURRENCY_LIMIT``, 8 by default, caps one account below
    the 16 workers), each needing the token at its first call. The token endpoint answers
    late, and at least two transactions must have waited out that one refresh in their step.
    """
    provider = mailer.provider
    provider.add_client(OAUTH_CLIENT)
    partner, account = clients
    added = partner.post("/v1.0/connectors", json=oauth_mailer_definition(mailer))
    assert added.status_code == 201, added.text
    connector_id = added.json()["Id"]
    properties = partner.put(
        f"/v1.0/connectors/{connector_id}/partnerproperties",
        json=[
            {"Name": "OAuthClientId", "Value": OAUTH_CLIENT.client_id},
            {"Name": "OAuthClientSecret", "Value": OAUTH_CLIENT.client_secret},
        ],
    )
    assert properties.status_code == 200, properties.text

    # Tokens got outside Junction, handed in already expired (a minute ago by Junction's
    # clock) and dead at the provider too, so that only a refreshed token is accepted.
    granted = httpx.post(
        provider.token_url,
        data={
            "grant_type": "password",
            "username": "alice",
            "password": "alice-pw",
            "scope": "subscribers",
            "client_id": OAUTH_CLIENT.client_id,
            "client_secret": OAUTH_CLIENT.client_secret,
        },
    )
    assert granted.status_code == 200, granted.text
    old_access, old_refresh = granted.json()["access_token"], granted.json()["refresh_token"]
    provider.expire_access_tokens()
    installed = account.post(
        f"/v1.0/connectors/{connector_id}/install",
        json={"AuthValue": tokens_json(old_access, old_refresh, -60)},
    )
    assert installed.status_code in (200, 201), installed.text
    assert installed.json()["Authenticated"] is True, installed.text
    account_connector = installed.json()["Id"]

    partner.post("/v1.0/connectors", json=hooks_definition())
    template_id = publish(
        partner,
        {
            "Name": "Hook, wait, subscribe",
            "Steps": [
                hook_step(),
                {"Key": "wait", "Name": "A minute", "StepType": "Delay", "DelaySeconds": 60},
                {
                    "Key": "add",
                    "Name": "Add subscriber",
                    "ConnectorName": "OAuth Mailer",
                    "MethodUniqueIdentifier": "subscriber-add",
                    "FieldMappings": [{"Name": "Email", **from_hook("Email")}],
                },
            ],
            "Edges": chain("hook", "wait", "add"),
        },
    )
    made = account.post(f"/v1.0/templates/{template_id}/install", json={})
    assert made.status_code == 200, made.text
    cycle_id = made.json()["Id"]
    used = {c["Name"]: c["AccountConnectorId"] for c in made.json()["Connectors"]}
    assert used["OAuth Mailer"] == account_connector
    activated = account.put(f"/v1.0/cycles/{cycle_id}/activate", json={})
    assert activated.status_code == 200, activated.text
    cycle = WebhookCycle(cycle_id, activated.json()["Webhooks"][0]["Url"], account)
    add_step = next(s["Id"] for s in listed(cycle, "steps") if s["StepKey"] == "add")

    emails = [f"person-{n}@example.com" for n in range(CONCURRENT)]
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda e: httpx.post(cycle.url, json={"email": e}), emails))
    assert [a.status_code for a in answers] == [200] * CONCURRENT
    ids = [a.json()["TransactionId"] for a in answers]
    wait_until_only(cycle, CONCURRENT, ("Waiting",))
    assert mailer.requests_to("POST", "/subscribers") == []
    assert provider.token_requests["refresh_token"] == 0

    provider.delay_token_seconds = TOKEN_DELAY
    junction.clock.advance(timedelta(seconds=61))
    wait_until_only(cycle, CONCURRENT, ENDED)

    assert by_status(cycle) == Counter({"Completed": CONCURRENT})
    assert provider.token_requests == Counter({"password": 1, "refresh_token": 1})
    assert provider.refresh_tokens_used == [old_refresh]
    calls = mailer.requests_to("POST", "/subscribers")
    assert [c.status for c in calls] == [201] * CONCURRENT
    tokens = {c.header("Authorization") for c in calls}
    assert len(tokens) == 1, tokens
    [header] = tokens
    scheme, _, new_access = (header or "").partition(" ")
    assert scheme == "Bearer"
    assert new_access != old_access
    assert provider.access_token_is_active(new_access)
    assert sorted(s["email"] for s in mailer.subscribers) == sorted(emails)

    # The refresh was shared, not merely first: transactions that asked for the token while
    # it was in flight spent about TOKEN_DELAY in the step, then used its result.
    waited = [
        step["DurationMs"]
        for transaction_id in ids
        for step in cycle.transaction(transaction_id)["Steps"]
        if step["StepId"] == add_step and step["DurationMs"] >= TOKEN_DELAY * 1000 * 0.5
    ]
    assert len(waited) >= 2, waited
