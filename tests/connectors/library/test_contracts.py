"""Contract tests of the shipped connectors: every method of every connector in
``junction/connectors/library`` is called through Data on Demand, as an account would, at a
Prism mock of the vendor's API description (``tests/fixtures/vendors/<slug>/``). Prism
checks each request against the description; a connector that drifts from it (a renamed
parameter, a missing required field, a header or credential in the wrong place) fails here.

Each vendor folder holds the description (the vendor's own, cut to the operations the
connector calls by scripts/vendor_openapi.py, or written from the vendor's documentation
where the vendor publishes none; ``source.md`` says which, with its licence) and
``calls.yaml``, the input of each call:

    AuthValue: ...            # optional: the account's credentials (default: by AuthType)
    Properties: {Name: value} # optional: account properties; {mock} is the mock's address
    Methods:
      <MethodUniqueIdentifier>: {Parameters: {...}, Fields: {...}}
    KnownRefusals:            # optional: right calls the mock refuses, with the reason
      <MethodUniqueIdentifier>: "the description declares ... which the API itself breaks"

A right call may be refused by a defect of the vendor's description (Intercom declares a
24-character id as a UUID) or by an encoding Prism cannot read. Such a call must still be
refused by the mock: when the description or Prism is mended, the test fails until the
entry is removed.

Only SQLite: what is checked is the request the connector makes, which no database changes.

The vendors' rate limits still space the calls, on a clock that each wait moves forward
instead of sleeping: Typeform's 2 calls a second would otherwise keep its test asleep for
most of its run. That the limits were applied is checked (their waits add up to at least what
the declared limits demand); how a limit behaves in real time is tested in
``tests/connectors/runtime/test_ratelimit.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from junction.connectors import library
from junction.connectors.runtime.ratelimit import RateLimiter
from junction.utilities import builtin
from tests.connectors.library.prism import prism_mock
from tests.fixtures.server import Junction

VENDORS = Path(__file__).resolve().parents[2] / "fixtures" / "vendors"


def vendor_folder(slug: str) -> Path:
    return VENDORS / slug


def description_of(slug: str) -> Path:
    found = sorted(vendor_folder(slug).glob("openapi.*"))
    assert found, f"tests/fixtures/vendors/{slug}/ has no openapi.json or openapi.yaml"
    return found[0]


def plan_of(slug: str) -> dict[str, Any]:
    path = vendor_folder(slug) / "calls.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return plan or {}


def default_auth_value(definition: dict[str, Any]) -> str | None:
    entries = definition.get("Authentication") or []
    chosen = next((e for e in entries if e.get("IsDefault")), entries[0] if entries else None)
    if chosen is None:
        return None
    kind = chosen["AuthType"]
    if kind == "ApiKey":
        return "test-key-0123456789"
    if kind == "Basic":
        return base64.b64encode(b"test-user:test-password").decode()
    if kind == "OAuth2":
        return json.dumps({"AccessToken": "test-access-token", "Expires": 3600})
    if kind == "AuthFields":
        return json.dumps({f["Key"]: "test-value" for f in chosen["AuthFields"]})
    return None


def _with_mock(value: Any, mock: str) -> Any:
    if isinstance(value, str):
        return value.replace("{mock}", mock)
    if isinstance(value, dict):
        return {k: _with_mock(v, mock) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_mock(v, mock) for v in value]
    return value


class VirtualTime:
    """A clock for the rate limiter that a wait moves forward at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def least_spacing(definition: dict[str, Any], calls: int) -> float:
    """The least time ``calls`` calls take under the connector-wide limits: one window of
    ``Requests`` calls per ``IntervalSeconds`` (method limits only add to it)."""
    spans = [
        (calls - 1) // limit["Requests"] * limit["IntervalSeconds"]
        for limit in definition.get("RateLimits") or []
    ]
    return float(max(spans, default=0))


@pytest.fixture
def virtual_time(junction: Junction) -> Iterator[VirtualTime]:
    runtime = junction.services.gateway.runtime
    real = runtime.limiter
    time = VirtualTime()
    runtime.limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    try:
        yield time
    finally:
        runtime.limiter = real


def called_methods(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every method an account's calls reach: all but the webhook triggers themselves
    (their create and delete methods are called like any other)."""
    return [m for m in definition["Methods"] if m.get("MethodType", "Action") != "Webhook"]


@pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True)
@pytest.mark.parametrize("slug", library.slugs())
def test_every_call_matches_the_vendor_description(
    slug: str, junction: Junction, virtual_time: VirtualTime, tmp_path: Path
) -> None:
    definition = library.definition(slug)
    plan = plan_of(slug)
    defects = plan.get("KnownRefusals") or {}
    assert all(str(reason).strip() for reason in defects.values())
    unknown = (set(plan.get("Methods") or {}) | set(defects)) - {
        m["MethodUniqueIdentifier"] for m in definition["Methods"]
    }
    assert not unknown, f"calls.yaml names methods the connector lacks: {sorted(unknown)}"
    junction.run(
        builtin.register(
            database=junction.services.database, now=junction.clock(), library_connectors=slug
        )
    )
    # Requests only: Prism refuses one that breaks the description (422, or 401 without the
    # credentials it asks for) whatever this flag says; checking its own made-up answers as
    # well says nothing about the connector (some vendors' examples break their own
    # schemas).
    with prism_mock(description_of(slug), tmp_path, answers_checked=False) as mock:
        partner = junction.token()
        with junction.http(partner) as client:
            client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
            found = client.get("/v1.0/connectors", params={"search": definition["Name"]}).json()
            connector = next(c["Id"] for c in found if c["Name"] == definition["Name"])
        properties = _with_mock(plan.get("Properties") or {"BaseUrl": "{mock}"}, mock.base_url)
        install: dict[str, Any] = {
            "Properties": [{"Name": k, "Value": v} for k, v in properties.items()]
        }
        auth_value = plan.get("AuthValue", default_auth_value(definition))
        if auth_value is not None:
            install["AuthValue"] = auth_value
        with junction.http(partner, account="acme") as api:
            row = api.post(f"/v1.0/connectors/{connector}/install", json=install)
            assert row.status_code == 200, row.text
            account_connector = row.json()["Id"]
            failures = []
            calls = 0
            for method in called_methods(definition):
                identifier = method["MethodUniqueIdentifier"]
                body = _with_mock((plan.get("Methods") or {}).get(identifier) or {}, mock.base_url)
                answer = api.post(
                    f"/v1.0/account/connectors/{account_connector}/methods/{identifier}",
                    json=body,
                )
                calls += 1
                refused = answer.status_code >= 300
                if identifier in defects:
                    if not refused:
                        failures.append(f"{identifier}: now accepted; remove it from KnownRefusals")
                elif refused:
                    failures.append(f"{identifier}: {answer.status_code} {answer.text[:600]}")
        assert virtual_time.now >= least_spacing(definition, calls), "rate limits not applied"
        assert not failures, (
            f"{len(failures)} of {calls} calls refused by the {slug} description:\n"
            + "\n".join(failures)
            + "\nPrism:\n"
            + "\n".join(mock.violations()[-20:])
        )
