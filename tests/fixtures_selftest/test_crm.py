"""The CRM stand-in: API key, page-number paging, created_after, recording, failures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.fixtures.crm import CRM_API_KEY, CRM_DATE_FORMAT, CrmApi

KEY = {"X-Api-Key": CRM_API_KEY}
T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


def contacts(crm: CrmApi, **query: str | int) -> httpx.Response:
    return httpx.get(f"{crm.base_url}/contacts", params=query, headers=KEY)


def test_it_listens_on_loopback_and_wants_the_api_key(crm: CrmApi) -> None:
    assert crm.base_url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{crm.base_url}/contacts").status_code == 401
    wrong = httpx.get(f"{crm.base_url}/contacts", headers={"X-Api-Key": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "bad api key"})
    assert contacts(crm).json() == {"contacts": []}


def test_contacts_are_listed_as_added_and_paged_by_number(crm: CrmApi) -> None:
    added = [
        crm.add_contact(email=f"p{i}@example.com", created=T0 + timedelta(minutes=i))
        for i in range(1, 6)
    ]
    assert added[0] == {
        "id": 1,
        "email": "p1@example.com",
        "name": "P1",
        "status": "active",
        "created": "2026-03-01T09:01:00Z",
    }
    pages = [contacts(crm, page=p, per_page=2).json()["contacts"] for p in (1, 2, 3, 4)]
    assert [[c["id"] for c in page] for page in pages] == [[1, 2], [3, 4], [5], []]
    assert contacts(crm).json()["contacts"] == added == crm.contacts
    assert contacts(crm, page=0).status_code == 400
    assert contacts(crm, per_page="x").status_code == 400


def test_created_after_keeps_contacts_created_strictly_after(crm: CrmApi) -> None:
    crm.add_contact(email="old@example.com", created=T0 - timedelta(seconds=1))
    crm.add_contact(email="same@example.com", created=T0)
    crm.add_contact(
        email="new@example.com", status="lead", name="New One", created=T0 + timedelta(seconds=1)
    )
    found = contacts(crm, created_after="2026-03-01T09:00:00Z").json()["contacts"]
    assert [(c["email"], c["status"], c["name"]) for c in found] == [
        ("new@example.com", "lead", "New One")
    ]
    assert len(contacts(crm, created_after="1970-01-01T00:00:00Z").json()["contacts"]) == 3
    bad = contacts(crm, created_after="2026-03-01 09:00:00")
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "created_after must be yyyy-MM-ddTHH:mm:ssZ"},
    )


def test_created_times_are_utc_to_the_second(crm: CrmApi) -> None:
    paris = datetime(2026, 3, 1, 11, 0, 0, 999_000, tzinfo=ZoneInfo("Europe/Paris"))
    assert (
        crm.add_contact(email="a@example.com", created=paris)["created"] == "2026-03-01T10:00:00Z"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        crm.add_contact(email="b@example.com", created=datetime(2026, 3, 1))
    now = datetime.strptime(crm.add_contact(email="c@example.com")["created"], CRM_DATE_FORMAT)
    assert abs(now.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


def test_every_request_is_recorded(crm: CrmApi) -> None:
    contacts(crm, page=2, per_page=10, created_after="2026-03-01T09:00:00Z")
    httpx.post(f"{crm.base_url}/contacts", content=b'{"x": 1}', headers={"X-Other": "y"})
    first, second = crm.requests
    assert (first.method, first.path, first.status) == ("GET", "/contacts", 200)
    assert first.query == {
        "page": "2",
        "per_page": "10",
        "created_after": "2026-03-01T09:00:00Z",
    }
    assert first.header("x-api-key") == CRM_API_KEY
    assert (second.method, second.body, second.json(), second.status) == (
        "POST",
        '{"x": 1}',
        {"x": 1},
        401,  # credentials are checked before the route
    )
    assert second.header("X-Other") == "y"
    assert crm.requests_to("GET", "/contacts") == [first]
    crm.clear_requests()
    assert crm.requests == []


@pytest.mark.parametrize("status", [500, 503])
def test_fail_next_answers_n_requests_with_the_status(crm: CrmApi, status: int) -> None:
    crm.add_contact(email="a@example.com")
    crm.fail_next(2, status)
    assert [contacts(crm).status_code for _ in range(3)] == [status, status, 200]
    assert [r.status for r in crm.requests] == [status, status, 200]
    crm.fail_next(5, 503)
    crm.fail_next(0)  # off again
    assert contacts(crm).status_code == 200


def test_fail_next_may_send_headers_and_comes_before_auth(crm: CrmApi) -> None:
    crm.fail_next(1, 429, headers={"Retry-After": "2"})
    limited = httpx.get(f"{crm.base_url}/contacts")  # no key: the failure still wins
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    assert httpx.get(f"{crm.base_url}/contacts").status_code == 401


def test_delay_slows_every_answer(crm: CrmApi) -> None:
    crm.delay_seconds = 0.3
    started = time.monotonic()
    assert contacts(crm).status_code == 200
    assert time.monotonic() - started >= 0.3
