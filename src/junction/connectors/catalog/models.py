"""Connector releases, their methods, and connectors installed in accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


class Connector(Base):
    """One release of a connector. Like Cyclr, each (Name, Version) has its own Id."""

    __tablename__ = "connectors"
    # AUTOINCREMENT on SQLite too: an Id, once given out, never points at something else.
    __table_args__ = (UniqueConstraint("name", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    # "|crm|sales|": lower-cased category names, for an exact-name filter in SQL.
    categories: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConnectorMethod(Base):
    __tablename__ = "connector_methods"
    __table_args__ = (
        UniqueConstraint("connector_id", "method_unique_identifier"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), index=True
    )
    method_unique_identifier: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)


class ConnectorField(Base):
    """Numeric ids for a method's parameters and fields (Data on Demand accepts them)."""

    __tablename__ = "connector_fields"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    method_id: Mapped[int] = mapped_column(
        ForeignKey("connector_methods.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # Parameter | RequestField | ResponseField
    position: Mapped[int] = mapped_column(Integer)


class AccountConnector(Base):
    __tablename__ = "account_connectors"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: a release that is installed somewhere cannot disappear under it.
    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connectors.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    authentication_id: Mapped[str | None] = mapped_column(String(128))
    # Credentials and tokens as one sealed JSON object (keyring; never in the clear).
    auth_sealed: Mapped[str | None] = mapped_column(Text)
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_error: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountConnectorField(Base):
    """A custom field of an account connector: a request or response field added to one of
    its methods (or to all of them, ``method_unique_identifier`` None), by hand or found by
    the method's custom fields lookup."""

    __tablename__ = "account_connector_fields"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE"), index=True
    )
    method_unique_identifier: Mapped[str | None] = mapped_column(String(128))
    for_request_format: Mapped[bool] = mapped_column(Boolean, default=False)
    # The field as a connector definition's FieldSpec (ConnectorField, SystemField, ...),
    # plus the lookup's extras (IsReadOnly, IsHidden, FieldValues).
    spec: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    source: Mapped[str] = mapped_column(String(16), default="Manual")  # Manual | Lookup
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountConnectorProperty(Base):
    __tablename__ = "account_connector_properties"
    __table_args__ = (
        UniqueConstraint("account_connector_id", "name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    # Exactly one of the two is set: Sensitive values are sealed.
    value: Mapped[str | None] = mapped_column(Text)
    value_sealed: Mapped[str | None] = mapped_column(Text)


class PartnerConnectorProperty(Base):
    """Values the partner sets once per connector (by name, so they outlive releases)."""

    __tablename__ = "partner_connector_properties"
    __table_args__ = (UniqueConstraint("connector_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    value_sealed: Mapped[str] = mapped_column(Text)


class OAuthState(Base):
    """An authorisation-code flow in progress: single use, short-lived."""

    __tablename__ = "oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE"), index=True
    )
    code_verifier_sealed: Mapped[str] = mapped_column(Text)
    return_url: Mapped[str | None] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
