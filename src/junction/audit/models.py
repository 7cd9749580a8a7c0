"""The audit log: one row per change made through the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Who: "console:<user name>" (the console's users; the API's callers may follow).
    actor: Mapped[str] = mapped_column(String(300), index=True)
    # What, as "<kind>.<verb>": "account.create", "cycle.activate", "connector.release"...
    action: Mapped[str] = mapped_column(String(100))
    target_kind: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(300))
    # The changed thing's state before and after, secrets left out; null where it did
    # not exist (before a creation, after a deletion).
    before: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    after: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
