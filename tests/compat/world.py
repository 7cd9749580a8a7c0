"""What the documented examples act on, built through Junction's own API before each one.

Three connectors served by ``stand_in.DocsApi`` (an API-key mailer, a Basic-auth CRM and an
OAuth 2.0 app), an account with all three installed, and two cycles installed from
templates: one still waiting for its step set-up, one ready to activate. ``World.ids`` holds
the values that replace the placeholders of the examples.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.compat import stand_in
from tests.fixtures.server import Junction

ACCOUNT_ID = "0b5c6f0e-3a52-4c1e-9c57-2f1d1f6a4b10"

LOOKUP_LIST = "2a4f6c5e-6b1d-4f0a-9d1e-6f2c7d3b8a01"
LIST_MEMBERS = "2a4f6c5e-6b1d-4f0a-9d1e-6f2c7d3b8a02"
ADD_MEMBER = "2a4f6c5e-6b1d-4f0a-9d1e-6f2c7d3b8a03"
LIST_CONTACTS = "8b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d01"
FIND_CONTACTS = "8b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d02"
OAUTH_CONTACTS = "8b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d03"

MAILER = "Docs Mailer"
MAILER_VERSION = "v3"
CRM = "Docs CRM"
OAUTH_APP = "Docs OAuth App"

LEVELS = ("partner", "account", "cycle", "ready")


def _api_base() -> dict[str, Any]:
    return {
        "TargetType": "MergeField",
        "TargetName": "ApiBase",
        "DisplayName": "API address",
        "AccountConnectorProperty": True,
    }


def mailer_definition() -> dict[str, Any]:
    """A MailChimp-like connector: a list look-up, a trigger and an action."""
    return {
        "Name": MAILER,
        "Description": "Mailing lists",
        "Version": MAILER_VERSION,
        "ReleaseStatus": "Live",
        "BaseUrl": "{{ApiBase}}",
        "Authentication": [
            {
                "Id": "apikey",
                "AuthType": "ApiKey",
                "IsDefault": True,
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Parameters": [_api_base()],
        "Methods": [
            {
                "Name": "Lookup List",
                "MethodUniqueIdentifier": LOOKUP_LIST,
                "Hidden": True,
                "HttpMethod": "GET",
                "Endpoint": "/lists",
                "ResponseFields": [
                    {"ConnectorField": "[lists].id", "SystemField": "ListId"},
                    {"ConnectorField": "[lists].name", "SystemField": "ListName"},
                ],
            },
            {
                "Name": "List Members",
                "MethodUniqueIdentifier": LIST_MEMBERS,
                "HttpMethod": "GET",
                "Endpoint": "/members",
                "ResponseFields": [
                    {
                        "ConnectorField": "[members].id",
                        "SystemField": "MemberId",
                        "DisplayName": "Member ID",
                    },
                    {"ConnectorField": "[members].email_address", "SystemField": "Email"},
                    {"ConnectorField": "[members].status", "SystemField": "Status"},
                ],
            },
            {
                "Name": "Add Member",
                "MethodUniqueIdentifier": ADD_MEMBER,
                "HttpMethod": "POST",
                "Endpoint": "/lists/{{ListId}}/members",
                "Parameters": [
                    {
                        "TargetType": "MergeField",
                        "TargetName": "ListId",
                        "DisplayName": "List ID",
                        "Description": "Select a List.",
                        "TriggerName": "LookupList",
                    }
                ],
                "RequestFields": [
                    {"ConnectorField": "email_address", "SystemField": "Email", "Optional": False}
                ],
                "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
            },
        ],
        "Triggers": [
            {
                "Name": "LookupList",
                "MethodUniqueIdentifier": LOOKUP_LIST,
                "IdentifierKey": "[lists].id",
                "HumanReadableKey": "[lists].name",
            }
        ],
    }


def _records() -> list[dict[str, Any]]:
    return [
        {"ConnectorField": f"[records].{name}", "SystemField": name}
        for name in ("Id", "FirstName", "LastName", "Name", "Email")
    ]


def crm_definition() -> dict[str, Any]:
    """A CRM with HTTP Basic authentication, for Data on Demand."""
    return {
        "Name": CRM,
        "Description": "Contacts",
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": "{{ApiBase}}",
        "Authentication": [{"Id": "basic", "AuthType": "Basic", "IsDefault": True}],
        "Parameters": [_api_base()],
        "Methods": [
            {
                "Name": "List Contacts",
                "MethodUniqueIdentifier": LIST_CONTACTS,
                "HttpMethod": "GET",
                "Endpoint": "/contacts",
                "ResponseFields": _records(),
            },
            {
                "Name": "Find Contacts",
                "MethodUniqueIdentifier": FIND_CONTACTS,
                "HttpMethod": "POST",
                "Endpoint": "/contacts/search",
                "Parameters": [
                    {
                        "TargetType": "QueryString",
                        "TargetName": "active",
                        "DisplayName": "Active only",
                        "Optional": True,
                    }
                ],
                "RequestFields": [{"ConnectorField": "Email", "SystemField": "Email"}],
                "ResponseFields": _records(),
            },
        ],
    }


def oauth_definition(base_url: str) -> dict[str, Any]:
    """An app signed in with OAuth 2.0, for the connector authentication link."""
    return {
        "Name": OAUTH_APP,
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": base_url,
        "Authentication": [
            {
                "Id": "oauth",
                "AuthType": "OAuth2",
                "IsDefault": True,
                "OAuth2": {
                    "OAuth2Type": "AuthorisationCode",
                    "AuthoriseUrl": f"{base_url}/authorize",
                    "TokenUrl": f"{base_url}/token",
                    "ClientId": "docs-client",
                    "ClientSecret": "docs-secret",
                },
            }
        ],
        "Methods": [
            {
                "Name": "List Contacts",
                "MethodUniqueIdentifier": OAUTH_CONTACTS,
                "HttpMethod": "GET",
                "Endpoint": "/contacts",
                "ResponseFields": _records(),
            }
        ],
    }


def _template(name: str, ready: bool) -> dict[str, Any]:
    add: dict[str, Any] = {
        "Key": "add",
        "Name": "Add member",
        "ConnectorName": MAILER,
        "MethodUniqueIdentifier": ADD_MEMBER,
    }
    if ready:
        add["Parameters"] = [
            {"Name": "ListId", "MappingType": "StaticValue", "Value": "a78f86e7d7"}
        ]
        add["FieldMappings"] = [
            {
                "Name": "Email",
                "MappingType": "StepData",
                "SourceStepKey": "members",
                "SourceField": "Email",
            }
        ]
    return {
        "Name": name,
        "Steps": [
            {
                "Key": "members",
                "Name": "List members",
                "ConnectorName": MAILER,
                "MethodUniqueIdentifier": LIST_MEMBERS,
            },
            add,
        ],
        "Edges": [{"TailStepKey": "members", "HeadStepKey": "add"}],
    }


class SetUpFailed(AssertionError):
    """The world could not be built: the example was not tried."""


def _ok(response: httpx.Response, what: str) -> Any:
    if not response.is_success:
        raise SetUpFailed(f"set-up: {what} answered {response.status_code}: {response.text}")
    return response.json()


@dataclass
class World:
    junction: Junction
    api: stand_in.DocsApi
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.credentials = self.junction.create_credentials("compatibility examples")
        self.token = self.junction.token(self.credentials)
        self.ids.update(
            client_id=self.credentials.client_id,
            client_secret=self.credentials.client_secret or "",
            ApiBase=self.api.base_url,
            ApiKey=stand_in.API_KEY,
            NewAccountId=str(uuid.uuid4()),
            ConnectorDescription="Installed from the documented example",
        )

    def partner(self) -> httpx.Client:
        return self.junction.http(self.token)

    def account(self) -> httpx.Client:
        return self.junction.http(self.token, account=ACCOUNT_ID)

    def build(self, level: str) -> None:
        """Everything the examples of this level (and the levels before it) need."""
        wanted = LEVELS.index(level)
        if wanted >= 1:
            self._account()
        if wanted >= 2:
            self._cycle()
        if wanted >= 3:
            self._ready_cycle()

    def _account(self) -> None:
        partner, account = self.partner(), self.account()
        definitions = {
            "Mailer": mailer_definition(),
            "Crm": crm_definition(),
            "OAuth": oauth_definition(self.api.base_url),
        }
        for key, definition in definitions.items():
            added = _ok(partner.post("/v1.0/connectors", json=definition), f"adding {key}")
            self.ids[f"{key}ConnectorId"] = str(added["Id"])
        self.ids.update(ConnectorName=MAILER, ConnectorVersion=MAILER_VERSION)
        _ok(
            partner.post("/v1.0/accounts", json={"Id": ACCOUNT_ID, "Name": "Docs Account"}),
            "creating the account",
        )
        self.ids["AccountId"] = ACCOUNT_ID
        base = [{"Name": "ApiBase", "Value": self.api.base_url}]
        installs = {
            "Mailer": {"AuthValue": stand_in.API_KEY, "Properties": base},
            "Crm": {"AuthValue": stand_in.BASIC_VALUE, "Properties": base},
            "OAuth": {},
        }
        for key, body in installs.items():
            connector = self.ids[f"{key}ConnectorId"]
            installed = _ok(
                account.post(f"/v1.0/connectors/{connector}/install", json=body),
                f"installing {key}",
            )
            self.ids[f"{key}AccountConnectorId"] = str(installed["Id"])
        mailer = _ok(partner.get(f"/v1.0/connectors/{self.ids['MailerConnectorId']}"), "mailer")
        self.ids["AuthenticationId"] = str(mailer["Authentication"][0]["Id"])
        # Cyclr gives each connector parameter an integer Id; where none is answered, any
        # integer stands in (the install example sends one).
        api_base = next(
            p for p in mailer["Parameters"] if "ApiBase" in (p.get("TargetName"), p.get("Name"))
        )
        self.ids["PropertyId"] = str(api_base.get("Id", 1))
        self._methods()
        # A value-list field the account adds to the mailer's action (Cyclr's custom fields).
        _ok(
            account.post(
                f"/v1.0/account/connectors/{self.ids['MailerAccountConnectorId']}/fields",
                json={
                    "ConnectorField": "status",
                    "SystemField": "Status",
                    "DisplayName": "Status",
                    "MethodUniqueIdentifier": ADD_MEMBER,
                    "ForRequestFormat": True,
                    "IsOptional": True,
                    "FieldValues": [
                        {"Value": f"List Option {n}", "Label": f"List Option {n}"}
                        for n in (1, 2, 3)
                    ],
                },
            ),
            "adding a custom field",
        )
        for key, ready in (("TemplateId", False), ("ReadyTemplateId", True)):
            document = _template(f"Members to list{' (ready)' if ready else ''}", ready)
            created = _ok(partner.post("/v1.0/templates", json=document), "creating a template")
            _ok(
                partner.put(
                    f"/v1.0/templates/{created['Id']}/releases/1/status", json={"Status": "Live"}
                ),
                "publishing a template",
            )
            self.ids[key] = str(created["Id"])
        signin = _ok(
            partner.post(f"/v1.0/accounts/{ACCOUNT_ID}/signintoken", json={"Username": "docs"}),
            "a sign-in token",
        )
        self.ids["SignInToken"] = signin["Token"]

    def _methods(self) -> None:
        partner = self.partner()
        crm = _ok(partner.get(f"/v1.0/connectors/{self.ids['CrmConnectorId']}/methods"), "CRM")
        find = next(m for m in crm if m["MethodUniqueIdentifier"] == FIND_CONTACTS)
        self.ids["MethodUniqueIdentifier"] = LIST_CONTACTS
        self.ids["ListContactsMethodId"] = str(
            next(m["Id"] for m in crm if m["MethodUniqueIdentifier"] == LIST_CONTACTS)
        )
        self.ids["MethodId"] = str(find["Id"])
        self.ids["MethodParameterId"] = str(find["Parameters"][0]["Id"])
        fields = find.get("Fields") or find.get("RequestFields") or []
        self.ids["MethodFieldId"] = str(
            next(f["Id"] for f in fields if "Email" in (f.get("SystemField"), f.get("Name")))
        )
        mailer = _ok(
            partner.get(f"/v1.0/connectors/{self.ids['MailerConnectorId']}/methods"), "mailer"
        )
        lookup = next(m for m in mailer if m["MethodUniqueIdentifier"] == LOOKUP_LIST)
        self.ids["LookupMethodId"] = str(lookup["Id"])

    def _install(self, template: str) -> tuple[str, dict[str, dict[str, Any]]]:
        account = self.account()
        cycle = _ok(
            account.post(f"/v1.0/templates/{self.ids[template]}/install", json={}),
            "installing a template",
        )
        steps = _ok(account.get(f"/v1.0/cycles/{cycle['Id']}/steps"), "listing steps")
        return str(cycle["Id"]), {s["Name"]: s for s in steps}

    def _cycle(self) -> None:
        account = self.account()
        cycle_id, steps = self._install("TemplateId")
        step = str(steps["Add member"]["Id"])
        self.ids.update(
            CycleId=cycle_id, StepId=step, TriggerStepId=str(steps["List members"]["Id"])
        )
        parameters = _ok(account.get(f"/v1.0/steps/{step}/parameters"), "step parameters")
        self.ids["ParameterId"] = str(parameters[0]["Parameter"]["Id"])
        mappings = _ok(account.get(f"/v1.0/steps/{step}/fieldmappings"), "step field mappings")
        by_name = {m["Field"]["Name"]: str(m["Field"]["Id"]) for m in mappings}
        self.ids["FieldId"] = by_name["Email"]
        self.ids["ValueListFieldId"] = by_name["Status"]

    def _ready_cycle(self) -> None:
        cycle_id, _steps = self._install("ReadyTemplateId")
        self.ids["ReadyCycleId"] = cycle_id
