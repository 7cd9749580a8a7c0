"""The connector definition: what a partner writes (YAML or JSON) to describe an API.

Names follow Cyclr's connector vocabulary so that people who know its documentation can
read a definition at once. ``extra="forbid"`` everywhere: a misspelt key is reported, not
silently ignored. Cross-references (mergefields, triggers, paging variables) are checked in
``validate.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1  # the FormatVersion this code reads

Text = Annotated[str, Field(min_length=1, max_length=255)]
MAX_SCRIPT = 256 * 1024
ScriptText = Annotated[str, Field(max_length=MAX_SCRIPT)]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
# What a {{mergefield}} can name (see mergefields.MERGEFIELD).
MergefieldName = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReleaseStatusName(StrEnum):
    DRAFT = "Draft"
    LIVE = "Live"
    DEPRECATED = "Deprecated"


class AuthType(StrEnum):
    NONE = "None"
    API_KEY = "ApiKey"
    BASIC = "Basic"
    OAUTH2 = "OAuth2"
    AUTH_FIELDS = "AuthFields"


class ApiKeyLocation(StrEnum):
    HTTP_HEADER = "HttpHeader"
    QUERY_STRING = "QueryString"
    MERGE_FIELD = "MergeField"


class OAuth2Type(StrEnum):
    AUTHORISATION_CODE = "AuthorisationCode"
    CLIENT_CREDENTIALS = "ClientCredentials"
    PASSWORD = "PasswordCredentials"  # noqa: S105 - a grant name, not a secret


class Target(StrEnum):
    HTTP_HEADER = "HttpHeader"
    MERGE_FIELD = "MergeField"
    QUERY_STRING = "QueryString"
    RESPONSE_FIELD = "ResponseField"
    RESPONSE_HEADER = "ResponseHeader"  # paging only, like ResponseField but from a header
    SCRIPT = "Script"  # not sent: handed to the connector's scripts as script_parameters


class FieldType(StrEnum):
    TEXT = "Text"
    INTEGER = "Integer"
    FLOAT = "Float"
    DECIMAL = "Decimal"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"


class Body(StrEnum):
    JSON = "Json"
    FORM = "Form"
    PLAIN_TEXT = "PlainText"


class MethodKind(StrEnum):
    ACTION = "Action"
    WEBHOOK = "Webhook"


class Verb(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class ApiKeyAuth(_Spec):
    Location: ApiKeyLocation = Field(
        ApiKeyLocation.HTTP_HEADER, description="Where the key goes in each request."
    )
    Name: Text = Field(
        "X-Api-Key",
        description="Header name, query-string name, or mergefield name (MergeField).",
    )
    Prefix: str = Field("", description="Put before the key, for example 'Bearer '.")


class OAuth2Auth(_Spec):
    Type: OAuth2Type = Field(alias="OAuth2Type")
    AuthoriseUrl: str | None = Field(None, description="Needed for AuthorisationCode.")
    TokenUrl: str
    ClientId: str = Field(
        description="The partner's client id at the provider; may be a {{PartnerProperty}}."
    )
    ClientSecret: str = Field("", description="May be a {{PartnerProperty}} (keep it Sensitive).")
    Scopes: list[str] = Field(default_factory=list)
    ExtraAuthoriseParameters: dict[str, str] = Field(default_factory=dict)
    ExtraTokenParameters: dict[str, str] = Field(default_factory=dict)
    ClientAuthentication: Literal["Body", "Basic"] = Field(
        "Body", description="How the client id and secret reach the token URL."
    )
    Pkce: bool = Field(True, description="Use PKCE (S256) in the authorisation-code flow.")
    RefreshMarginSeconds: int = Field(
        300, ge=0, description="Refresh this long before the access token expires."
    )


class AuthField(_Spec):
    Name: Text = Field(description="Label shown to the user.")
    Key: MergefieldName = Field(description="Mergefield name the value is available under.")
    Type: Literal["Text", "Password"] = "Text"


class AuthenticationSpec(_Spec):
    Id: Identifier = Field(description="Referenced as AuthenticationId when installing.")
    Type: AuthType = Field(alias="AuthType")
    Name: str | None = None
    IsDefault: bool = False
    ApiKey: ApiKeyAuth | None = None
    OAuth2: OAuth2Auth | None = None
    AuthFields: list[AuthField] = Field(default_factory=list)


class ParameterSpec(_Spec):
    TargetType: Target
    TargetName: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="Header, query-string or mergefield name; for ResponseField, a field "
        "path; for ResponseHeader, the name of a header of the answer (Link: its rel=next)."
    )
    DisplayName: str | None = None
    Description: str | None = None
    Value: str | None = Field(
        None,
        description="Fixed value; may hold {{mergefields}} or a CYCLR_PAGE_* paging variable.",
    )
    DefaultValue: str | None = None
    Optional: bool = False
    Hidden: bool = False
    Sensitive: bool = False
    TriggerName: str | None = Field(None, description="A trigger that lists allowed values.")
    DataType: FieldType = FieldType.TEXT


class ConnectorParameterSpec(ParameterSpec):
    AccountConnectorProperty: bool = Field(
        False, description="Asked of the user when the connector is installed."
    )
    PartnerConnectorProperty: bool = Field(
        False, description="Set once by the partner for every account connector."
    )


class FieldSpec(_Spec):
    ConnectorField: Annotated[str, Field(min_length=1, max_length=512)] = Field(
        description="Where the value sits, e.g. [records].EmailAddress"
    )
    SystemField: Identifier | None = Field(
        None, description="A stable PascalCase name for mapping; defaults to the path."
    )
    DisplayName: str | None = None
    Description: str | None = None
    DataType: FieldType = FieldType.TEXT
    DataTypeFormat: str | None = Field(None, description="For DateTime, e.g. yyyy-MM-dd.")
    Optional: bool = True
    DefaultValue: str | None = None
    Sensitive: bool = False
    EntityIdentifier: bool = Field(
        False,
        description="Response fields: the item's id. A Get trigger hands each id on once.",
    )
    WholeList: bool = Field(
        False,
        description="Request fields of Builtin connectors: a mapped collection is given whole "
        "(a list), instead of one call per item.",
    )


class RateLimitSpec(_Spec):
    Requests: int = Field(ge=1)
    IntervalSeconds: float = Field(gt=0)


class PagingSpec(_Spec):
    InboundPaging: bool | None = Field(None, description="Page through results (inbound).")
    InboundPageSize: int | None = Field(None, ge=1, le=100_000)
    MaxPages: int | None = Field(None, ge=1, description="Stop after this many pages.")
    StopOnShortPage: bool | None = Field(
        None, description="A page with fewer items than the page size is the last."
    )
    ItemsPath: str | None = Field(
        None,
        description="The list whose length decides short/empty pages, e.g. [records]; "
        "defaults to the response fields' collection.",
    )


class MethodSpec(_Spec):
    Name: Text
    MethodUniqueIdentifier: Identifier = Field(
        description="Unique in the connector and kept across releases."
    )
    Description: str | None = None
    Category: str | None = None
    MethodType: MethodKind = MethodKind.ACTION
    HttpMethod: Verb = Verb.GET
    Endpoint: Annotated[str, Field(min_length=1, max_length=2048)]
    BodyFormat: Body = Body.JSON
    Hidden: bool = False
    Parameters: list[ParameterSpec] = Field(default_factory=list)
    RequestFields: list[FieldSpec] = Field(default_factory=list)
    ResponseFields: list[FieldSpec] = Field(default_factory=list)
    Paging: PagingSpec | None = None
    RateLimits: list[RateLimitSpec] = Field(default_factory=list)
    TimeoutSeconds: float | None = Field(None, gt=0, le=600)
    Conditional: bool = Field(
        False,
        description="The step leaves by True and False exits, as a Decision does: "
        "Builtin connectors' operations answer a Result; others decide with an "
        "action_condition script handler.",
    )
    Script: ScriptText | None = Field(
        None, description="JavaScript event handlers for this method (before_action...)."
    )
    CreateWebhookMethod: Identifier | None = Field(
        None,
        description="Webhook methods: the hidden method that registers the cycle's webhook "
        "URL ({{Cyclr_Webhook_Url}}) at the API when the cycle is activated.",
    )
    DeleteWebhookMethod: Identifier | None = Field(
        None,
        description="Webhook methods: the hidden method that removes it again "
        "({{Cyclr_Webhook_Id}}) when the cycle is deactivated.",
    )
    RequestCustomFieldsLookupMethod: Identifier | None = Field(
        None, description="A method whose answer describes extra request fields."
    )
    ResponseCustomFieldsLookupMethod: Identifier | None = Field(
        None, description="A method whose answer describes extra response fields."
    )
    ForEnhancedCustomFields: bool = Field(
        False,
        description="This method answers field descriptions (cyclr_field_location, "
        "cyclr_display_name...) rather than a sample record.",
    )


class TriggerSpec(_Spec):
    Name: Identifier
    MethodUniqueIdentifier: Identifier
    IdentifierKey: str = Field(description="Path of the value, e.g. [lists].id")
    HumanReadableKey: str = Field(description="Path of the label, e.g. [lists].name")


class ConnectorDefinition(_Spec):
    """A connector release: everything Junction needs to call one API."""

    FormatVersion: Literal[1] = 1
    Name: Text
    Description: str | None = None
    Version: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
    Icon: str | None = Field(None, description="A data: URI or an https URL.")
    Categories: list[str] = Field(default_factory=list)
    ReleaseStatus: ReleaseStatusName = ReleaseStatusName.DRAFT
    BaseUrl: str | None = Field(
        None, description="Put before method endpoints that do not start with http(s)://."
    )
    Authentication: list[AuthenticationSpec] = Field(default_factory=list)
    Parameters: list[ConnectorParameterSpec] = Field(default_factory=list)
    Paging: PagingSpec = Field(default_factory=PagingSpec)
    RateLimits: list[RateLimitSpec] = Field(
        default_factory=list, description="Per account connector, across all methods."
    )
    TimeoutSeconds: float = Field(30, gt=0, le=600)
    Builtin: bool = Field(
        False,
        description="A utility connector Junction runs in-process: each method's Endpoint "
        "is junction:<operation> instead of a URL.",
    )
    Script: ScriptText | None = Field(
        None, description="JavaScript event handlers for every method of the connector."
    )
    Methods: list[MethodSpec] = Field(default_factory=list)
    Triggers: list[TriggerSpec] = Field(default_factory=list)
    AuthenticationTestMethod: str | None = Field(
        None,
        description="MethodUniqueIdentifier of an Action method without required inputs, "
        "called with new credentials before they are stored: an error answer refuses them.",
    )
