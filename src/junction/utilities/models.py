"""What utility connectors keep: key/value items and counters.

Each installed utility connector (account connector) has its own data; a cycle-scoped one
keeps a separate set per cycle (``cycle_id``), a global one shares one set across the
account's cycles (``cycle_id`` empty, stored as "" so that uniqueness holds on both
databases).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime

GLOBAL = ""  # the cycle scope of global stores


class StoredItem(Base):
    __tablename__ = "utility_items"
    __table_args__ = (
        UniqueConstraint("account_connector_id", "cycle_scope", "key"),
        Index("ix_utility_items_scope", "account_connector_id", "cycle_scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE")
    )
    cycle_scope: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Counter(Base):
    __tablename__ = "utility_counters"
    __table_args__ = (UniqueConstraint("account_connector_id", "cycle_scope", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE")
    )
    cycle_scope: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrossReference(Base):
    """Entity Cross Reference Storage: the same entity's id in two systems, and what is
    known of both."""

    __tablename__ = "utility_cross_references"
    __table_args__ = (
        UniqueConstraint("account_connector_id", "entity1_id"),
        UniqueConstraint("account_connector_id", "entity2_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE")
    )
    entity1_id: Mapped[str] = mapped_column(String(255))
    entity2_id: Mapped[str] = mapped_column(String(255))
    # SourceApplication, Entity1Name, Entity2Name, Entity1RecordCount, Entity2RecordCount,
    # AdditionalInfo: whatever was set, kept as given.
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
