"""Connectors installed in accounts: their credentials, property values and custom fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


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
