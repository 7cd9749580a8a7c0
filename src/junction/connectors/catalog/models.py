"""Connector releases, their methods and fields, and the partner's values per connector.

The tables of account connectors (``accounts/models.py``) and of OAuth sign-ins
(``calls/models.py``) refer to these by table name only: no ORM relationship joins the
sub-packages' models, so each can be imported alone. ``junction.db.models`` imports them
all for migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
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
    # A custom connector of one account (``/account/connectors/custom``): only that account
    # sees and installs it. NULL for the partner's catalogue.
    account_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )


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


class PartnerConnectorProperty(Base):
    """Values the partner sets once per connector (by name, so they outlive releases)."""

    __tablename__ = "partner_connector_properties"
    __table_args__ = (UniqueConstraint("connector_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    value_sealed: Mapped[str] = mapped_column(Text)
