"""The engine's template builders are valid, and install_flow leaves a cycle ready to run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from junction.templates.spec.models import TemplateDocument
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import STEP_KEYS, install_flow, scheduled_sync, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction

Builder = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("build", [scheduled_sync, webhook_flow])
def test_the_documents_are_templates(build: Builder) -> None:
    document = TemplateDocument.model_validate(build())
    assert [s.Key for s in document.Steps] == list(STEP_KEYS)
    assert [(v.SystemName, v.Value) for v in document.Variables] == [("ListName", "newsletter")]
    retrying = build(settings={"StepErrorAction": "Retry", "RetryAttempts": 2})
    assert TemplateDocument.model_validate(retrying).Settings.RetryAttempts == 2


@pytest.mark.parametrize(
    ("build", "trigger", "action_type"),
    [(scheduled_sync, "contacts-new", "Get"), (webhook_flow, "contact-created", "Webhook")],
)
def test_install_flow_leaves_nothing_unmet(
    junction: Junction,
    crm: CrmApi,
    mailer: MailerApi,
    build: Builder,
    trigger: str,
    action_type: str,
) -> None:
    flow = install_flow(junction, crm, mailer, build())
    assert set(flow.step_ids) == set(STEP_KEYS)
    unmet = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/prerequisites")
    assert unmet.status_code == 200, unmet.text
    assert unmet.json() == []

    cycle = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}").json()
    assert cycle["Status"] == "Paused"
    assert sorted(
        (c["Name"], c["AccountConnectorId"], c["Authenticated"]) for c in cycle["Connectors"]
    ) == [
        ("Test CRM", flow.crm_account_connector_id, True),
        ("Test Mailer", flow.mailer_account_connector_id, True),
    ]
    steps = {
        s["StepKey"]: s for s in flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/steps").json()
    }
    assert (steps["new"]["MethodUniqueIdentifier"], steps["new"]["ActionType"]) == (
        trigger,
        action_type,
    )
    assert steps["add"]["AccountConnector"]["Id"] == flow.mailer_account_connector_id
    assert steps["new"]["Id"] == flow.step_ids["new"]
    variables = flow.account.get(f"/v1.0/cycles/{flow.cycle_id}/variables")
    assert [(v["SystemName"], v["Value"]) for v in variables.json()] == [("ListName", "newsletter")]
    assert (crm.requests, mailer.requests) == ([], [])  # installing calls neither API


def test_two_accounts_in_one_test(junction: Junction, crm: CrmApi, mailer: MailerApi) -> None:
    first = install_flow(junction, crm, mailer, scheduled_sync())
    second = install_flow(junction, crm, mailer, webhook_flow(), account_id="globex")
    assert second.account_id == "globex" != first.account_id
    assert second.crm_account_connector_id != first.crm_account_connector_id
    listed = second.account.get("/v1.0/cycles").json()
    assert [c["Id"] for c in listed] == [second.cycle_id]
