"""crm.yaml and mailer.yaml: valid, and working against the stand-ins through Junction."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from junction.cli.main import app
from junction.connectors.spec.models import MethodKind, OAuth2Type
from junction.connectors.spec.validate import parse_definition
from tests.fixtures.crm import CRM_API_KEY, CrmApi
from tests.fixtures.engine_flows import (
    CONNECTORS,
    add_connectors,
    crm_definition,
    install_account_connectors,
    mailer_definition,
)
from tests.fixtures.mailer import MAILER_CLIENT, MailerApi
from tests.fixtures.server import Junction


@pytest.mark.parametrize(
    ("file", "summary"),
    [
        ("crm.yaml", "valid (Test CRM 1.0, 2 methods, Live)"),
        ("mailer.yaml", "valid (Test Mailer 1.0, 2 methods, Live)"),
    ],
)
def test_the_validator_accepts_them(file: str, summary: str) -> None:
    result = CliRunner().invoke(app, ["connectors", "validate", str(CONNECTORS / file)])
    assert result.exit_code == 0, result.output
    assert summary in result.output


def test_what_the_definitions_say() -> None:
    crm = parse_definition(crm_definition())
    new, created = crm.Methods
    assert (new.MethodUniqueIdentifier, new.MethodType) == ("contacts-new", MethodKind.ACTION)
    assert [(f.SystemField, f.EntityIdentifier) for f in new.ResponseFields] == [
        ("Id", True),
        ("Email", False),
        ("Name", False),
        ("Status", False),
        ("Created", False),
    ]
    since = next(p for p in new.Parameters if p.TargetName == "created_after")
    assert since.Value == "{{LastSuccessfulRunDate format=yyyy-MM-ddTHH:mm:ssZ}}"
    assert (created.MethodUniqueIdentifier, created.MethodType) == (
        "contact-created",
        MethodKind.WEBHOOK,
    )
    assert [f.ConnectorField for f in created.ResponseFields] == ["id", "email", "name", "status"]

    mailer = parse_definition(mailer_definition())
    assert mailer.Authentication[0].OAuth2 is not None
    assert mailer.Authentication[0].OAuth2.Type is OAuth2Type.CLIENT_CREDENTIALS
    add = mailer.Methods[0]
    assert [(f.ConnectorField, f.SystemField, f.Optional) for f in add.RequestFields] == [
        ("email", "Email", False),
        ("full_name", "FullName", True),
        ("list", "List", True),
    ]
    assert [t.Name for t in mailer.Triggers] == ["lists"]


@pytest.fixture
def account(junction: Junction, crm: CrmApi, mailer: MailerApi) -> tuple[httpx.Client, int, int]:
    token = junction.token()
    partner = junction.http(token)
    crm_id, mailer_id = add_connectors(partner, mailer)
    assert add_connectors(partner, mailer) == (crm_id, mailer_id)  # idempotent
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    client = junction.http(token, account="acme")
    crm_ac, mailer_ac = install_account_connectors(client, crm, mailer, crm_id, mailer_id)
    return client, crm_ac, mailer_ac


def test_contacts_new_sends_the_key_page_and_run_date(
    account: tuple[httpx.Client, int, int], crm: CrmApi
) -> None:
    client, crm_ac, _ = account
    crm.add_contact(email="ann@example.com", name="Ann", status="active")
    answer = client.post(f"/v1.0/account/connectors/{crm_ac}/methods/contacts-new", json={})
    assert answer.status_code == 200, answer.text
    assert [c["email"] for c in answer.json()["contacts"]] == ["ann@example.com"]
    (sent,) = crm.requests
    assert sent.header("X-Api-Key") == CRM_API_KEY
    # No run yet: LastSuccessfulRunDate is the epoch, in the format the CRM reads.
    assert sent.query == {
        "page": "1",
        "per_page": "10",
        "created_after": "1970-01-01T00:00:00Z",
    }


def test_subscriber_add_gets_a_client_credentials_token(
    account: tuple[httpx.Client, int, int], mailer: MailerApi
) -> None:
    client, _, mailer_ac = account
    path = f"/v1.0/account/connectors/{mailer_ac}/methods/subscriber-add"
    fields = {"Email": "ann@example.com", "FullName": "Ann Smith", "List": "newsletter"}
    answer = client.post(path, json={"Fields": fields})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": 1,
        "email": "ann@example.com",
        "full_name": "Ann Smith",
        "list": "newsletter",
    }
    assert mailer.subscribers == [
        {"email": "ann@example.com", "full_name": "Ann Smith", "list": "newsletter"}
    ]
    (token_request,) = mailer.provider.token_request_log
    assert (token_request.grant_type, token_request.client_auth, token_request.status) == (
        "client_credentials",
        "client_secret_post",
        200,
    )
    assert token_request.form["client_id"] == MAILER_CLIENT.client_id
    assert token_request.form["scope"] == "subscribers"

    missing = client.post(path, json={"Fields": {"FullName": "No Email"}})
    assert missing.status_code == 400, missing.text
    assert len(mailer.requests) == 1  # refused before the API was called

    # A token the mailer no longer accepts: Junction gets a new one and calls again.
    mailer.provider.expire_access_tokens()
    again = client.post(path, json={"Fields": fields})
    assert again.status_code == 200, again.text
    assert [r.status for r in mailer.requests] == [201, 401, 201]
    assert mailer.provider.token_requests["client_credentials"] == 2


def test_the_lists_trigger(account: tuple[httpx.Client, int, int], mailer: MailerApi) -> None:
    client, _, mailer_ac = account
    choices = client.post(f"/v1.0/account/connectors/{mailer_ac}/triggers/lists")
    assert choices.status_code == 200, choices.text
    assert choices.json() == [
        {"Name": "Newsletter", "Value": "newsletter"},
        {"Name": "Customers", "Value": "customers"},
    ]
    assert mailer.requests[0].path == "/lists"
