"""API shapes for connectors and their methods (Cyclr's names)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import MethodIds, definition_of
from junction.connectors.spec.models import (
    ApiKeyLocation,
    AuthenticationSpec,
    ConnectorDefinition,
    ConnectorParameterSpec,
    FieldSpec,
    MethodSpec,
    ParameterSpec,
    ReleaseStatusName,
)

# Cyclr's connector Status is an approval state; "Approved" is what its clients look for.
# A Live release is the one Junction offers for installing, so it is the approved one.
_STATUS: dict[str, str] = {
    ReleaseStatusName.LIVE: "Approved",
    ReleaseStatusName.DRAFT: "Draft",
    ReleaseStatusName.DEPRECATED: "Deprecated",
}


def connector_status(release_status: str) -> str:
    """Cyclr's ``Status`` for a release status (Live is "Approved")."""
    return _STATUS.get(release_status, release_status)


def auth_scheme(auth: AuthenticationSpec | None) -> str | None:
    """Cyclr's ``AuthScheme``: the header an API key travels in (e.g. "Authorization");
    null for every other kind of authentication."""
    if auth is None or auth.ApiKey is None:
        return None
    return auth.ApiKey.Name if auth.ApiKey.Location is ApiKeyLocation.HTTP_HEADER else None


class AuthenticationOut(BaseModel):
    Id: str
    Name: str | None
    AuthName: str | None = Field(description="Cyclr's name for Name.")
    AuthDescription: str | None = Field(
        description="Always null: connector definitions have no text for it."
    )
    AuthType: str
    OAuth2Type: str | None
    AuthScheme: str | None = Field(description="API keys: the header that carries the key.")
    IsDefault: bool

    @classmethod
    def build(cls, auth: AuthenticationSpec) -> AuthenticationOut:
        return cls(
            Id=auth.Id,
            Name=auth.Name,
            AuthName=auth.Name,
            AuthDescription=None,
            AuthType=auth.Type.value,
            OAuth2Type=auth.OAuth2.Type.value if auth.OAuth2 else None,
            AuthScheme=auth_scheme(auth),
            IsDefault=auth.IsDefault,
        )


class ConnectorParameterOut(BaseModel):
    Id: int = Field(
        description="The parameter's place in the release's Parameters, from 1: the same on "
        "every call, unique within the release (not across connectors)."
    )
    Name: str = Field(description="The label shown to users: DisplayName, else TargetName.")
    TargetType: str
    TargetName: str = Field(description="The property's name, as installs send it.")
    DisplayName: str | None
    Description: str | None
    IsOptional: bool
    IsSensitive: bool = Field(description="Its value is never shown once stored.")
    DataType: str
    TriggerName: str | None
    Values: list[str] = Field(description="Always empty: definitions list no fixed values.")
    DefaultValue: str | None
    IsAccountConnectorProperty: bool = Field(description="Asked of each account.")
    PartnerConnectorProperty: bool = Field(description="Junction extension: set by the partner.")

    @classmethod
    def build(cls, position: int, p: ConnectorParameterSpec) -> ConnectorParameterOut:
        return cls(
            Id=position + 1,
            Name=p.DisplayName or p.TargetName,
            TargetType=p.TargetType.value,
            TargetName=p.TargetName,
            DisplayName=p.DisplayName,
            Description=p.Description,
            IsOptional=p.Optional,
            IsSensitive=p.Sensitive,
            DataType=p.DataType.value,
            TriggerName=p.TriggerName,
            Values=[],
            DefaultValue=p.DefaultValue,
            IsAccountConnectorProperty=p.AccountConnectorProperty,
            PartnerConnectorProperty=p.PartnerConnectorProperty,
        )


def connector_parameters(definition: ConnectorDefinition) -> list[ConnectorParameterOut]:
    """The connector-level parameters as Cyclr lists them, numbered from 1 in order."""
    return [ConnectorParameterOut.build(i, p) for i, p in enumerate(definition.Parameters)]


class ConnectorOut(BaseModel):
    Id: int
    Name: str
    Description: str | None
    Version: str
    Status: str = Field(description="Approved (a Live release), Draft or Deprecated.")
    ReleaseStatus: str
    Icon: str | None
    Categories: list[str]
    AuthDescription: str | None = Field(description="Always null (see Authentication).")
    AuthType: str
    OAuth2Type: str | None
    AuthScheme: str | None = Field(
        description="API keys: the header that carries the key (default authentication)."
    )
    Authentication: list[AuthenticationOut]
    Parameters: list[ConnectorParameterOut]
    CreatedDate: datetime

    @classmethod
    def build(cls, connector: Connector) -> ConnectorOut:
        definition = definition_of(connector)
        auths = definition.Authentication
        default = next((a for a in auths if a.IsDefault), auths[0] if auths else None)
        return cls(
            Id=connector.id,
            Name=connector.name,
            Description=connector.description,
            Version=connector.version,
            Status=connector_status(connector.status),
            ReleaseStatus=connector.status,
            Icon=definition.Icon,
            Categories=definition.Categories,
            AuthDescription=None,
            AuthType=default.Type.value if default else "None",
            OAuth2Type=default.OAuth2.Type.value if default and default.OAuth2 else None,
            AuthScheme=auth_scheme(default),
            Authentication=[AuthenticationOut.build(a) for a in auths],
            Parameters=connector_parameters(definition),
            CreatedDate=connector.created_at,
        )


class ConnectorImportOut(ConnectorOut):
    Warnings: list[str] = Field(
        description="Junction extension. What the import left out or assumed, each "
        "'location: message' (e.g. a skipped cookie parameter)."
    )


class ParameterOut(BaseModel):
    Id: int
    Name: str
    TargetType: str
    DisplayName: str | None
    Description: str | None
    IsOptional: bool
    DataType: str
    TriggerName: str | None


class FieldOut(BaseModel):
    Id: int
    ConnectorField: str
    SystemField: str
    DisplayName: str | None
    Description: str | None
    IsOptional: bool
    DataType: str
    DataTypeFormat: str | None


class MethodOut(BaseModel):
    Id: int
    ConnectorId: int
    Name: str
    Description: str | None
    MethodUniqueIdentifier: str
    Category: str | None
    MethodType: str
    HttpMethod: str
    EndPoint: str
    Parameters: list[ParameterOut]
    RequestFields: list[FieldOut]
    ResponseFields: list[FieldOut]

    @classmethod
    def build(cls, connector_id: int, method: MethodSpec, ids: MethodIds) -> MethodOut:
        def parameter(index: int, p: ParameterSpec) -> ParameterOut:
            return ParameterOut(
                Id=ids.fields[("Parameter", index)],
                Name=p.TargetName,
                TargetType=p.TargetType.value,
                DisplayName=p.DisplayName,
                Description=p.Description,
                IsOptional=p.Optional,
                DataType=p.DataType.value,
                TriggerName=p.TriggerName,
            )

        def field(kind: str, index: int, f: FieldSpec) -> FieldOut:
            return FieldOut(
                Id=ids.fields[(kind, index)],
                ConnectorField=f.ConnectorField,
                SystemField=f.SystemField or f.ConnectorField,
                DisplayName=f.DisplayName,
                Description=f.Description,
                IsOptional=f.Optional,
                DataType=f.DataType.value,
                DataTypeFormat=f.DataTypeFormat,
            )

        return cls(
            Id=ids.id,
            ConnectorId=connector_id,
            Name=method.Name,
            Description=method.Description,
            MethodUniqueIdentifier=method.MethodUniqueIdentifier,
            Category=method.Category,
            MethodType=method.MethodType.value,
            HttpMethod=method.HttpMethod.value,
            EndPoint=method.Endpoint,
            Parameters=[parameter(i, p) for i, p in enumerate(method.Parameters)],
            RequestFields=[field("RequestField", i, f) for i, f in enumerate(method.RequestFields)],
            ResponseFields=[
                field("ResponseField", i, f) for i, f in enumerate(method.ResponseFields)
            ],
        )
