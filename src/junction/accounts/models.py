"""Account tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import UTCDateTime


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Deleting a parent deletes its sub-accounts: they belong to it.
    parent_account_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    audit_info: Mapped[str | None] = mapped_column(Text)
    task_audit_info: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    next_bill_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    step_data_success_retention_hours: Mapped[int | None] = mapped_column(Integer)
    step_data_errored_retention_hours: Mapped[int | None] = mapped_column(Integer)
    error_webhook_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    error_webhook_url: Mapped[str | None] = mapped_column(String(2048))
    error_webhook_include_warnings: Mapped[bool] = mapped_column(Boolean, default=False)
    # While set, nobody signs in to the account's embedded pages.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountUser(Base):
    __tablename__ = "account_users"
    __table_args__ = (UniqueConstraint("account_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # While set, the user cannot sign in to the embedded pages.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TaskUsage(Base):
    """Tasks counted for an account: one row per checkpoint or Data on Demand call that
    used any. Kept apart from step data, which retention purges, and with no foreign key
    to the cycle, so that usage outlives both."""

    __tablename__ = "task_usage"
    __table_args__ = (
        Index("ix_task_usage_account_counted", "account_id", "counted_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE")
    )
    cycle_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(16))  # Cycle, DataOnDemand
    tasks: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())
