"""Every request example of Cyclr's API pages, as data: where it is written, the request as
written (with placeholders where the page has ids), and the answer the page documents.

The pages are those under ``shared/reference/cyclr-docs/`` in ``09-cyclr-api``,
``10-accounts-and-connectors``, ``11-data-on-demand`` and ``12-embed-custom-ui``. Each
example names its page and the line where its request starts; ``answer_from`` names another
page where the example's own page leaves the answer to a page it links to.

Placeholders are ``{Name}`` inside strings (paths, query values, header values, body keys
and values), replaced with the values of ``World.ids``; ``IntId("Name")`` is a placeholder
for an integer id in a JSON body. Expected answer fields are paths: ``Connector.Id`` is a
field of an object, ``[]`` steps into every item of a list (``[].Connectors[].Icon``), and
a path through a list needs at least one item to hold.

Where a page's text cannot be sent literally (a shell command with stray backslashes, a
header without its colon, a path without ``/v1.0``, a description standing where a value
goes), ``note`` says how it was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

API = "09-cyclr-api"
ACCOUNTS = "10-accounts-and-connectors"
DOD = "11-data-on-demand"
EMBED = "12-embed-custom-ui"


@dataclass(frozen=True)
class IntId:
    """An integer id in a JSON body, taken from ``World.ids[name]``."""

    name: str


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()

#: Answered by a success page or a redirect: the documented browser links give no status.
PAGE_OR_REDIRECT = (200, 302, 303, 307)


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    method: str
    path: str
    #: What the world must hold first: "partner", "account", "cycle" or "ready".
    level: str
    status: tuple[int, ...] = (200,)
    fields: tuple[str, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    #: Send the partner's access token (``Authorization: Bearer ...``).
    bearer: bool = True
    #: Send ``X-Cyclr-Account`` with the account's Id.
    account: bool = False
    json: Any = NO_BODY
    #: A body sent as is, with its ``Content-Type`` among the headers.
    content: str | None = None
    answer_from: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        """The test id: the page's file name without its number, and the line."""
        stem = self.page.rsplit("/", 1)[-1].removesuffix(".md").split("-", 1)[1]
        return f"{stem}-L{self.line}"


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json", "Accept": "application/json"}

TOKEN_FIELDS = ("token_type", "access_token", "expires_in", "clientId")
SIGNIN_FIELDS = ("Token", "ExpiresAtUtc")
ACCOUNT_FIELDS = (
    "CreatedDate",
    "Id",
    "Name",
    "Description",
    "AuditInfo",
    "TaskAuditInfo",
    "Timezone",
    "NextBillDateUtc",
    "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours",
    "TransactionErrorWebhookEnabled",
    "TransactionErrorWebhookUrl",
    "TransactionErrorWebhookIncludeWarnings",
)
CONNECTOR_SUMMARY = (
    "Id",
    "Name",
    "Description",
    "Status",
    "Version",
    "Icon",
    "AuthDescription",
    "AuthType",
    "OAuth2Type",
    "AuthScheme",
)
ACCOUNT_CONNECTOR_FIELDS = (
    "Id",
    "Name",
    "Description",
    "AuthValue",
    "Authenticated",
    *(f"Connector.{name}" for name in CONNECTOR_SUMMARY),
    "IsPartnerIntegrationConnector",
    "Properties",
    "CustomFields",
)
CYCLE_FIELDS = (
    "Id",
    "CreatedOnUtc",
    "TasksUsed",
    "ErrorCount",
    "WarningCount",
    *(
        f"Connectors[].{name}"
        for name in (
            "Id",
            "AccountConnectorId",
            "Name",
            "Version",
            "Authenticated",
            "StepCount",
            "Icon",
        )
    ),
    "Status",
    "LastSuccessfulRunDate",
    "InProgressTransactionCount",
    "Name",
    "Description",
    "Shareable",
    "ContinueOnStepError",
    "LogStepDataRequests",
    "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours",
    "TemplateId",
)
PREREQUISITE_FIELDS = tuple(f"[].{n}" for n in ("ReasonCode", "Reason", "ObjectType", "ObjectId"))
INPUT_FIELDS = (
    "Id",
    "Name",
    "Description",
    "IsOptional",
    "DataType",
    "TriggerName",
    "Values",
    "DisplayOrder",
    "Triggers",
)
MAPPING_FIELDS = (
    "MappingType",
    "SourceFieldId",
    "SourceStepId",
    "TriggerValue",
    "TriggerValueDisplayName",
    "Value",
)
FIELD_MAPPING_FIELDS = (*(f"Field.{n}" for n in INPUT_FIELDS), *MAPPING_FIELDS)
RECORD_FIELDS = tuple(f"records[].{n}" for n in ("Id", "FirstName", "LastName", "Name", "Email"))
METHOD_FIELDS = tuple(
    f"[].{n}" for n in ("Id", "Name", "Description", "EndPoint", "MethodUniqueIdentifier")
)

_EXAMPLES_PAGE = f"{API}/06-api-examples/01-create-account-and-install-template.md"
_AUTH_PAGE = f"{API}/04-api-authentication.md"
_OAUTH_PAGE = f"{ACCOUNTS}/04-authentication/04-oauth-authentication.md"
_LINK_PAGE = f"{ACCOUNTS}/03-install-connectors/03-authenticate-link-api.md"
_IP_PAGE = f"{DOD}/02-ip-restriction.md"
_CALL_PAGE = f"{DOD}/05-call-a-connector-method.md"
_PARAMETERS_PAGE = f"{EMBED}/03-step-setup/02-set-parameter-mappings.md"
_VALUE_LIST_PAGE = f"{EMBED}/03-step-setup/06-value-list-mapping.md"
_IFRAME_PAGE = f"{EMBED}/05-embed-with-iframe.md"
_CREATE_ACCOUNT_PAGE = f"{ACCOUNTS}/01-create-account.md"
_INSTALL_TEMPLATE_PAGE = f"{EMBED}/02-install-cycle/03-install-cycle-template.md"
_STATIC_PAGE = f"{EMBED}/03-step-setup/04-static-field-mappings.md"
_ACTIVATION_PAGE = f"{EMBED}/04-cycle-activation.md"
_CHECK_AUTH_PAGE = f"{ACCOUNTS}/04-authentication/01-authenticate-account-connector.md"

_TOKEN_BODY = "grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}"
_LINK_PATH = "/connectorauth/updateaccountconnectoroauth"

EXAMPLES: tuple[Example, ...] = (
    # -- 09 Cyclr API ------------------------------------------------------------------------
    Example(
        _AUTH_PAGE,
        60,
        "POST",
        "/oauth/token",
        "partner",
        fields=TOKEN_FIELDS,
        headers=FORM,
        bearer=False,
        content=_TOKEN_BODY,
        note="the page's '{client_idi}' is read as the client id",
    ),
    Example(
        _AUTH_PAGE,
        117,
        "POST",
        "/oauth/token",
        "account",
        fields=TOKEN_FIELDS,
        headers=FORM,
        bearer=False,
        content=_TOKEN_BODY + "&scope=account:{AccountId}",
        answer_from=f"{_AUTH_PAGE}:78",
        note="the page's sample client id and secret are replaced with real ones",
    ),
    Example(
        _EXAMPLES_PAGE,
        30,
        "POST",
        "/v1.0/accounts",
        "partner",
        fields=ACCOUNT_FIELDS,
        headers=JSON,
        json={
            "Id": "{NewAccountId}",
            "Name": "Account Name",
            "Description": "(Optional) Account Description",
            "Timezone": "Europe/London",
        },
        answer_from=f"{_CREATE_ACCOUNT_PAGE}:57",
        note="the shell's backslashes and trailing comma are dropped; the descriptions in "
        "Id and Timezone are replaced with a GUID and an IANA zone",
    ),
    Example(
        _EXAMPLES_PAGE,
        44,
        "POST",
        "/v1.0/templates/{TemplateId}/install",
        "account",
        fields=CYCLE_FIELDS,
        headers=JSON,
        account=True,
        json={},
        answer_from=f"{_INSTALL_TEMPLATE_PAGE}:32",
    ),
    Example(
        _EXAMPLES_PAGE,
        60,
        "POST",
        "/v1.0/accounts/{AccountId}/signintoken",
        "account",
        fields=SIGNIN_FIELDS,
        headers=JSON,
        json={"Username": "string"},
        answer_from=f"{_OAUTH_PAGE}:39",
    ),
    Example(
        _EXAMPLES_PAGE,
        68,
        "POST",
        _LINK_PATH,
        "account",
        status=PAGE_OR_REDIRECT,
        query={
            "id": "{OAuthAccountConnectorId}",
            "token": "{SignInToken}",
            "targetOrigin": "https://www.cyclr.com",
        },
        bearer=False,
        note="a browser link on the service domain; the page gives no status, so a page or "
        "a redirect passes",
    ),
    Example(
        _EXAMPLES_PAGE,
        88,
        "PUT",
        "/v1.0/steps/{StepId}/fieldmappings/{FieldId}",
        "cycle",
        fields=FIELD_MAPPING_FIELDS,
        headers=JSON,
        account=True,
        json={"Field": {"Id": IntId("FieldId")}, "MappingType": "StaticValue", "Value": "string"},
        answer_from=f"{_STATIC_PAGE}:34",
    ),
    Example(
        _EXAMPLES_PAGE,
        105,
        "PUT",
        "/v1.0/cycles/{ReadyCycleId}/activate",
        "ready",
        headers=JSON,
        account=True,
        json={"StartTime": "2021-12-07T09:17:50.888Z", "Interval": 0, "RunOnce": True},
        answer_from=f"{_ACTIVATION_PAGE}:59",
    ),
    # -- 10 Accounts and connectors ----------------------------------------------------------
    Example(
        _CREATE_ACCOUNT_PAGE,
        25,
        "POST",
        "/v1.0/accounts",
        "partner",
        fields=ACCOUNT_FIELDS,
        json={
            "Name": "Test Account 001",
            "Description": "An account we will use for testing",
            "Timezone": "Europe/London",
            "StepDataSuccessRetentionHours": 168,
            "StepDataErroredRetentionHours": 336,
            "TransactionErrorWebhookEnabled": True,
            "TransactionErrorWebhookUrl": "https://webhook/path/here",
            "TransactionErrorWebhookIncludeWarnings": False,
        },
    ),
    Example(
        f"{ACCOUNTS}/03-install-connectors/01-get-connectors.md",
        25,
        "GET",
        "/v1.0/connectors",
        "account",
        fields=(
            *(f"[].{n}" for n in CONNECTOR_SUMMARY),
            *(
                f"[].Parameters[].{n}"
                for n in (
                    "IsAccountConnectorProperty",
                    "TargetType",
                    "TargetName",
                    "IsSensitive",
                    "Id",
                    "Name",
                    "Description",
                    "IsOptional",
                    "DataType",
                    "TriggerName",
                    "Values",
                )
            ),
            *(
                f"[].Authentication[].{n}"
                for n in (
                    "Id",
                    "AuthName",
                    "AuthDescription",
                    "AuthType",
                    "OAuth2Type",
                    "AuthScheme",
                )
            ),
        ),
        account=True,
    ),
    Example(
        f"{ACCOUNTS}/03-install-connectors/02-install-connector-api.md",
        24,
        "POST",
        "/v1.0/connectors/{MailerConnectorId}/install",
        "account",
        fields=(
            *ACCOUNT_CONNECTOR_FIELDS[:5],
            *(f"Connector.{n}" for n in (*CONNECTOR_SUMMARY, "Parameters")),
        ),
        account=True,
        json={
            "Name": "{ConnectorName}",
            "Description": "{ConnectorDescription}",
            "AuthenticationId": "{AuthenticationId}",
            "AuthValue": "{ApiKey}",
            "Properties": [{"Name": "ApiBase", "Value": "{ApiBase}", "Id": IntId("PropertyId")}],
        },
        note="the body's trailing comma is dropped",
    ),
    Example(
        _LINK_PAGE,
        33,
        "POST",
        "/v1.0/accounts/{AccountId}/signintoken",
        "account",
        fields=SIGNIN_FIELDS,
        json={"Username": "The username of user you want to sign in"},
    ),
    Example(
        _LINK_PAGE,
        71,
        "GET",
        _LINK_PATH,
        "account",
        status=PAGE_OR_REDIRECT,
        query={
            "id": "{OAuthAccountConnectorId}",
            "token": "{SignInToken}",
            "targetOrigin": "example.com",
            "callbackMessage": "done",
        },
        bearer=False,
        note="a browser link; the page gives no status, so a page or a redirect passes",
    ),
    Example(
        _CHECK_AUTH_PAGE,
        35,
        "GET",
        "/v1.0/account/connectors/{MailerAccountConnectorId}",
        "account",
        fields=ACCOUNT_CONNECTOR_FIELDS,
        account=True,
        note="'Authorization Bearer' without its colon is sent as the header it means",
    ),
    Example(
        _CHECK_AUTH_PAGE,
        81,
        "POST",
        "/v1.0/account/connectors/{MailerAccountConnectorId}/properties",
        "account",
        account=True,
        json={"Name": "ApiBase", "Value": "{ApiBase}"},
        note="the page names the call without a body or an answer; the body is a Properties "
        "item of the install example (Name and Value)",
    ),
    Example(
        f"{ACCOUNTS}/04-authentication/02-api-key-authentication.md",
        24,
        "PUT",
        "/v1.0/account/connectors/{MailerAccountConnectorId}",
        "account",
        fields=ACCOUNT_CONNECTOR_FIELDS,
        account=True,
        json={"AuthValue": "0000000000000000000000000000000000000000"},
    ),
    Example(
        f"{ACCOUNTS}/04-authentication/03-http-basic-authentication.md",
        25,
        "PUT",
        "/v1.0/account/connectors/{CrmAccountConnectorId}",
        "account",
        fields=ACCOUNT_CONNECTOR_FIELDS,
        account=True,
        json={"AuthValue": "dXNlcm5hbWU6cGFzc3dvcmQ="},
    ),
    Example(
        _OAUTH_PAGE,
        28,
        "POST",
        "/v1.0/accounts/{AccountId}/signintoken",
        "account",
        fields=SIGNIN_FIELDS,
        headers={"Content-Type": "application/json"},
        json={"Username": "example_user"},
    ),
    Example(
        _OAUTH_PAGE,
        56,
        "GET",
        _LINK_PATH,
        "account",
        status=PAGE_OR_REDIRECT,
        query={
            "id": "{OAuthAccountConnectorId}",
            "token": "{SignInToken}",
            "targetOrigin": "https://yourapplication.com/complete-page",
        },
        bearer=False,
        note="a browser link; the page gives no status, so a page or a redirect passes",
    ),
    Example(
        _OAUTH_PAGE,
        126,
        "PUT",
        "/v1.0/account/connectors/{OAuthAccountConnectorId}",
        "account",
        fields=ACCOUNT_CONNECTOR_FIELDS,
        account=True,
        json={
            "AuthValue": '{"AccessToken":"XXXXXXXXXX","RefreshToken":"XXXXXXXXXX",'
            '"Expires":"2021-10-01T00:00:00Z","RefreshExpires":"2022-10-01T00:00:00Z"}'
        },
        answer_from=f"{_CHECK_AUTH_PAGE}:42",
        note="the page shows only the AuthValue of 'an API call'; it is sent as the account "
        "connector update of the pages before it",
    ),
    Example(
        _OAUTH_PAGE,
        132,
        "PUT",
        "/v1.0/account/connectors/{OAuthAccountConnectorId}",
        "account",
        fields=ACCOUNT_CONNECTOR_FIELDS,
        account=True,
        json={"AuthValue": "{}"},
        answer_from=f"{_CHECK_AUTH_PAGE}:42",
        note="as the example before",
    ),
    # -- 11 Data on Demand -------------------------------------------------------------------
    Example(
        _IP_PAGE,
        26,
        "GET",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/methods/{ListContactsMethodId}",
        "account",
        fields=RECORD_FIELDS,
        account=True,
        answer_from=f"{_CALL_PAGE}:70",
        note="a listed endpoint without an example; the answer is the third party's",
    ),
    Example(
        _IP_PAGE,
        27,
        "POST",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/methods/{ListContactsMethodId}",
        "account",
        fields=RECORD_FIELDS,
        account=True,
        answer_from=f"{_CALL_PAGE}:70",
        note="a listed endpoint without an example, sent without a body",
    ),
    Example(
        _IP_PAGE,
        28,
        "GET",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/test/{ListContactsMethodId}",
        "account",
        account=True,
        note="a listed endpoint; no answer is documented",
    ),
    Example(
        _IP_PAGE,
        29,
        "POST",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/test/{ListContactsMethodId}",
        "account",
        account=True,
        note="a listed endpoint without a body; no answer is documented",
    ),
    Example(
        f"{DOD}/03-get-account-connectors.md",
        24,
        "GET",
        "/v1.0/account/connectors",
        "account",
        fields=tuple(
            f"[].{n}" for n in ("Id", "Name", "Description", "Connector.Id", "Connector.Name")
        ),
        account=True,
    ),
    Example(
        f"{DOD}/04-get-connector-methods.md",
        25,
        "GET",
        "/v1.0/connectors/{ConnectorName}/methods",
        "account",
        fields=METHOD_FIELDS,
    ),
    Example(
        f"{DOD}/04-get-connector-methods.md",
        29,
        "GET",
        "/v1.0/connectors/{ConnectorName}/{ConnectorVersion}/methods",
        "account",
        fields=METHOD_FIELDS,
    ),
    Example(
        _CALL_PAGE,
        26,
        "POST",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/methods/{MethodUniqueIdentifier}",
        "account",
        fields=RECORD_FIELDS,
        headers={"Content-Type": "application/json"},
        account=True,
        json={},
    ),
    Example(
        _CALL_PAGE,
        50,
        "POST",
        "/v1.0/account/connectors/{CrmAccountConnectorId}/methods/{MethodId}",
        "account",
        fields=RECORD_FIELDS,
        headers={"Content-Type": "application/json"},
        account=True,
        json={
            "Parameters": {"{MethodParameterId}": "true"},
            "Fields": {"{MethodFieldId}": "test@example.com"},
        },
    ),
    # -- 12 Embed, custom UI -----------------------------------------------------------------
    Example(
        f"{EMBED}/02-install-cycle/01-get-list-available-templates.md",
        22,
        "GET",
        "/v1.0/templates",
        "account",
        fields=(
            "[].Name",
            "[].Description",
            "[].Id",
            *(f"[].Connectors[].{n}" for n in ("Id", "Name", "Version", "StepCount", "Icon")),
        ),
    ),
    Example(
        f"{EMBED}/02-install-cycle/02-cycle-prerequisites.md",
        22,
        "GET",
        "/v1.0/cycles/{CycleId}/prerequisites",
        "cycle",
        fields=PREREQUISITE_FIELDS,
        account=True,
    ),
    Example(
        _INSTALL_TEMPLATE_PAGE,
        25,
        "POST",
        "/v1.0/templates/{TemplateId}/install",
        "account",
        fields=CYCLE_FIELDS,
        account=True,
        note="sent without a body and without a Content-Type, as written",
    ),
    Example(
        f"{EMBED}/03-step-setup/01-set-up-steps.md",
        22,
        "GET",
        "/v1.0/steps/{StepId}/prerequisites",
        "cycle",
        fields=PREREQUISITE_FIELDS,
        account=True,
        note="the page leaves /v1.0 out of the path",
    ),
    Example(
        _PARAMETERS_PAGE,
        27,
        "GET",
        "/v1.0/steps/{StepId}/parameters/{ParameterId}",
        "cycle",
        fields=(
            *(f"Parameter.{n}" for n in INPUT_FIELDS),
            *(
                f"Parameter.Triggers[].{n}"
                for n in (
                    "AccountConnectorId",
                    "MethodId",
                    "Name",
                    "HumanReadableKey",
                    "IdentifierKey",
                    "SubTriggers",
                    "EntityId",
                )
            ),
            "IsEntityIdentifier",
            *MAPPING_FIELDS,
        ),
        account=True,
    ),
    Example(
        _PARAMETERS_PAGE,
        79,
        "GET",
        "/v1.0/account/connectors/{MailerAccountConnectorId}/methods/{LookupMethodId}",
        "account",
        fields=("lists[].id", "lists[].web_id", "lists[].name"),
        account=True,
        note="the answer is the third party's; its list's id and name are what the "
        "trigger's keys read",
    ),
    Example(
        f"{EMBED}/03-step-setup/03-set-field-mappings.md",
        22,
        "GET",
        "/v1.0/steps/{StepId}/fieldmappings/{FieldId}",
        "cycle",
        fields=FIELD_MAPPING_FIELDS,
        account=True,
    ),
    Example(
        _STATIC_PAGE,
        22,
        "PUT",
        "/v1.0/steps/{StepId}/fieldmappings/{FieldId}",
        "cycle",
        fields=FIELD_MAPPING_FIELDS,
        account=True,
        json={"MappingType": "StaticValue", "Value": "MyStaticValue"},
    ),
    Example(
        f"{EMBED}/03-step-setup/05-field-mapping-with-step-data.md",
        22,
        "GET",
        "/v1.0/steps/{StepId}/fieldsformapping",
        "cycle",
        fields=tuple(f"[].{n}" for n in INPUT_FIELDS),
        account=True,
    ),
    Example(
        _VALUE_LIST_PAGE,
        25,
        "GET",
        "/v1.0/steps/{StepId}/fieldmappings/{ValueListFieldId}",
        "cycle",
        fields=FIELD_MAPPING_FIELDS,
        account=True,
    ),
    Example(
        _VALUE_LIST_PAGE,
        68,
        "POST",
        "/v1.0/steps/{StepId}/fieldmappings/{ValueListFieldId}",
        "cycle",
        fields=FIELD_MAPPING_FIELDS,
        account=True,
        json={"MappingType": "ValueList", "Value": "List Option 1"},
    ),
    Example(
        _ACTIVATION_PAGE,
        22,
        "PUT",
        "/v1.0/cycles/{ReadyCycleId}/activate",
        "ready",
        account=True,
        json={"StartTime": "2018-01-01T00:00:00Z", "Interval": 360, "RunOnce": False},
    ),
    Example(
        _IFRAME_PAGE,
        45,
        "POST",
        "/oauth/token",
        "partner",
        fields=TOKEN_FIELDS,
        headers=FORM,
        bearer=False,
        content=_TOKEN_BODY,
        note="the page's sample client id and secret are replaced with real ones",
    ),
    Example(
        _IFRAME_PAGE,
        75,
        "POST",
        "/v1.0/accounts/{AccountId}/signintoken",
        "account",
        fields=SIGNIN_FIELDS,
        headers={"Content-Type": "application/json"},
        json={"Username": "ApiUser"},
    ),
    Example(
        _IFRAME_PAGE,
        111,
        "GET",
        "/account/signinwithtoken",
        "account",
        status=PAGE_OR_REDIRECT,
        query={"token": "{SignInToken}"},
        bearer=False,
        note="the iframe's address; the page gives no status, so a page or a redirect passes",
    ),
)
