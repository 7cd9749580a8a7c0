"""An account's step data retention is held to 744 hours (31 days), as Cyclr holds it."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.server import Junction


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


def hours(api: httpx.Client, account_id: str) -> tuple[int | None, int | None]:
    got = api.get(f"/v1.0/accounts/{account_id}").json()
    return got["StepDataSuccessRetentionHours"], got["StepDataErroredRetentionHours"]


def test_values_above_744_are_stored_as_744(api: httpx.Client) -> None:
    created = api.post(
        "/v1.0/accounts",
        json={
            "Id": "acme",
            "Name": "Acme",
            "StepDataSuccessRetentionHours": 745,
            "StepDataErroredRetentionHours": 10_000,
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert (body["StepDataSuccessRetentionHours"], body["StepDataErroredRetentionHours"]) == (
        744,
        744,
    )
    assert hours(api, "acme") == (744, 744)

    # At or under the cap, and null, are kept as sent.
    for success, errored in ((744, 743), (0, None)):
        changed = api.put(
            "/v1.0/accounts/acme",
            json={
                "StepDataSuccessRetentionHours": success,
                "StepDataErroredRetentionHours": errored,
            },
        )
        assert changed.status_code == 200, changed.text
        assert hours(api, "acme") == (success, errored)

    raised = api.put("/v1.0/accounts/acme", json={"StepDataErroredRetentionHours": 2**31 - 1})
    assert raised.status_code == 200, raised.text
    assert hours(api, "acme") == (0, 744)
    [listed] = api.get("/v1.0/accounts").json()
    assert listed["StepDataErroredRetentionHours"] == 744


def test_negative_hours_are_still_refused(api: httpx.Client) -> None:
    refused = api.post(
        "/v1.0/accounts", json={"Id": "acme", "Name": "Acme", "StepDataSuccessRetentionHours": -1}
    )
    assert refused.status_code == 400, refused.text
    assert "StepDataSuccessRetentionHours" in refused.json()["Message"]
    assert api.get("/v1.0/accounts/acme").status_code == 404
