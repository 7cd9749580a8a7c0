"""API shapes for connectors and their methods (Cyclr's names)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import MethodIds, definition_of
from junction.connectors.spec.models import AuthenticationSpec, FieldSpec, MethodSpec, ParameterSpec


class AuthenticationOut(BaseModel):
    Id: str
    Name: str | None
    AuthType: str
    OAuth2Type: str | None
    IsDefault: bool

    @classmethod
    def build(cls, auth: AuthenticationSpec) -> AuthenticationOut:
        return cls(
            Id=auth.Id,
            Name=auth.Name,
            AuthType=auth.Type.value,
            OAuth2Type=auth.OAuth2.Type.value if auth.OAuth2 else None,
            IsDefault=auth.IsDefault,
        )


class ConnectorParameterOut(BaseModel):
    Name: str
    TargetType: str
    DisplayName: str | None
    Description: str | None
    Optional: bool
    Sensitive: bool
    DefaultValue: str | None
    AccountConnectorProperty: bool
    PartnerConnectorProperty: bool


class ConnectorOut(BaseModel):
    Id: int
    Name: str
    Description: str | None
    Version: str
    ReleaseStatus: str
    Icon: str | None
    Categories: list[str]
    AuthType: str
    OAuth2Type: str | None
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
            ReleaseStatus=connector.status,
            Icon=definition.Icon,
            Categories=definition.Categories,
            AuthType=default.Type.value if default else "None",
            OAuth2Type=default.OAuth2.Type.value if default and default.OAuth2 else None,
            Authentication=[AuthenticationOut.build(a) for a in auths],
            Parameters=[
                ConnectorParameterOut(
                    Name=p.TargetName,
                    TargetType=p.TargetType.value,
                    DisplayName=p.DisplayName,
                    Description=p.Description,
                    Optional=p.Optional,
                    Sensitive=p.Sensitive,
                    DefaultValue=p.DefaultValue,
                    AccountConnectorProperty=p.AccountConnectorProperty,
                    PartnerConnectorProperty=p.PartnerConnectorProperty,
                )
                for p in definition.Parameters
            ],
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
