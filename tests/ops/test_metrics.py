"""/metrics: Prometheus text, off by default, open or behind its own token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from junction.engine import transactions as tx
from junction.metrics import Metrics
from junction.scripting.sandbox import ScriptError, limits_from, run
from junction.settings import Settings
from tests.engine.hooks import wait_for
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import install_flow, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction

TOKEN = "scrape-me-please"


@pytest.fixture
def metrics_on(junction: Junction) -> Iterator[Junction]:
    """The shared server with /metrics behind ``TOKEN``, put back afterwards."""
    settings = junction.services.settings
    settings.metrics, settings.metrics_token = "token", TOKEN
    try:
        yield junction
    finally:
        settings.metrics, settings.metrics_token = "off", None


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(junction: Junction) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = junction.http().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def test_metrics_are_off_by_default(junction: Junction) -> None:
    assert Settings().metrics == "off"
    answer = junction.http().get("/metrics")
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"Message": "Metrics are off (JUNCTION_METRICS=off)"}


def test_metrics_behind_a_token_refuse_a_missing_or_wrong_one(metrics_on: Junction) -> None:
    client = metrics_on.http()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401, answer.text
        assert "JUNCTION_METRICS_TOKEN" in answer.json()["Message"]
    # An API access token is not the metrics token either.
    api = metrics_on.http(metrics_on.token())
    assert api.get("/metrics").status_code == 401
    assert scrape(metrics_on)[("junction_queue_oldest_due_age_seconds", ())] == 0


def test_open_metrics_need_no_token(junction: Junction) -> None:
    settings = junction.services.settings
    settings.metrics = "open"
    try:
        answer = junction.http().get("/metrics")
    finally:
        settings.metrics = "off"
    assert answer.status_code == 200, answer.text
    assert "junction_transactions_ended_total" in answer.text


def test_a_token_mode_without_a_token_is_a_settings_error() -> None:
    with pytest.raises(ValidationError, match="metrics_token: required when metrics is token"):
        Settings(metrics="token")
    with pytest.raises(ValidationError, match="metrics"):
        Settings(metrics="sometimes")


def _value(figures: dict[Any, float], name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_webhook_transaction_shows_in_the_counters_and_the_queue(
    metrics_on: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    junction = metrics_on
    before = scrape(junction)
    flow = install_flow(junction, crm, mailer, webhook_flow())
    activated = flow.account.put(f"/v1.0/cycles/{flow.cycle_id}/activate", json={})
    url = activated.json()["Webhooks"][0]["Url"]
    answer = httpx.post(url, json=crm.add_contact(email="eve@example.com", name="Eve"))
    assert answer.status_code == 200, answer.text
    refused = httpx.post(url.rsplit("/", 1)[0] + "/no-such-hook", json={})
    assert refused.status_code == 404

    def ended() -> bool:
        figures = scrape(junction)
        done = _value(figures, "junction_transactions_ended_total", status="Completed")
        return done > _value(before, "junction_transactions_ended_total", status="Completed")

    wait_for(ended)
    after = scrape(junction)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("junction_transactions_ended_total", status="Completed") == 1
    assert grew("junction_webhook_calls_total", outcome="accepted") == 1
    assert grew("junction_webhook_calls_total", outcome="refused") == 1
    # The flow: the webhook step, a decision, then the mailer's call (and its token).
    assert grew("junction_step_duration_seconds_count") == 3
    assert grew("junction_outbound_requests_total", status_class="2xx") >= 2
    assert grew("junction_oauth_token_refreshes_total", outcome="ok") == 1
    assert _value(after, "junction_queue_depth", status="Queued") == 0


def test_the_queue_gauges_count_what_is_due(
    metrics_on: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    """Transactions of a paused cycle stay Queued: the gauges see them from the database."""
    junction = metrics_on
    flow = install_flow(junction, crm, mailer, webhook_flow())
    rows = [
        {"cycle": flow.cycle_id, "account": flow.account_id, "minutes": minutes}
        for minutes in (5, 2)
    ]
    junction.run(_queue(junction, rows))
    figures = scrape(junction)
    assert _value(figures, "junction_queue_depth", status="Queued") == 2
    assert _value(figures, "junction_queue_oldest_due_age_seconds") == 300


async def _queue(junction: Junction, rows: list[dict[str, Any]]) -> None:
    now = junction.clock()
    async with junction.services.database.transaction() as session:
        await tx.insert_rows(
            session,
            [
                tx.new_row(
                    account_id=row["account"],
                    cycle_id=row["cycle"],
                    step_id=None,
                    origin="Webhook",
                    now=now - timedelta(minutes=row["minutes"]),
                )
                for row in rows
            ],
        )


def test_script_executions_and_limit_breaches_are_counted() -> None:
    metrics = Metrics()
    limits = limits_from(0.2, 64, metrics.script_observed)
    assert run("1 + 1", limits) == 2
    with pytest.raises(ScriptError, match="time limit"):
        run("while (true) {}", limits)
    with pytest.raises(ScriptError, match="memory"):
        run("let a = []; while (true) { a.push(new Array(100000).fill(1)); }", limits)
    with pytest.raises(ScriptError):
        run("throw new Error('no')", limits)
    figures = samples(_text(metrics))
    assert _value(figures, "junction_script_executions_total") == 4
    assert _value(figures, "junction_script_limit_breaches_total", limit="time") == 1
    assert _value(figures, "junction_script_limit_breaches_total", limit="memory") == 1
    assert _value(figures, "junction_script_limit_breaches_total", limit="stack") == 0


def _text(metrics: Metrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_each_services_counts_in_a_registry_of_its_own(junction: Junction) -> None:
    other = Metrics()
    other.webhook_calls.labels("accepted").inc()
    assert junction.services.metrics.registry is not other.registry
    assert "junction_webhook_calls_total" in _text(junction.services.metrics)
