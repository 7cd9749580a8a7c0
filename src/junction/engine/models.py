"""The engine's tables: transactions, their step data, incidents, trigger state, leases.

Only ``engine/transactions.py`` writes a transaction's status and position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


class Transaction(Base):
    """One item travelling through a cycle."""

    __tablename__ = "transactions"
    __table_args__ = (
        # The claim query: runnable work in due order.
        Index("ix_transactions_status_due", "status", "due_at"),
        Index("ix_transactions_cycle_created", "cycle_id", "created_at"),
        # The scheduler's "is a run of this cycle still in progress?": without it the check
        # reads the cycle's whole history (884 ms at 44,640 rows on SQLite, per due cycle).
        Index("ix_transactions_cycle_status", "cycle_id", "status"),
        Index("ix_transactions_account_created", "account_id", "created_at"),
        # The reports list filtered by status: its page and its Total-Records count read only
        # the account's rows of that status (at 1,000,000 stored the count otherwise read
        # every row of the account: 120-250 ms on SQLite).
        Index("ix_transactions_account_status_created", "account_id", "status", "created_at"),
        # The console's overview: the last day's transactions counted by status.
        Index("ix_transactions_created_status", "created_at", "status"),
        # Retention: rows not purged yet, by purge time (both phases look only at these).
        Index("ix_transactions_purge", "purged_at", "purge_after"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE")
    )
    cycle_id: Mapped[str] = mapped_column(String(36), ForeignKey("cycles.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    # The next step to run (a cycle step id); empty once the transaction has ended.
    step_id: Mapped[str | None] = mapped_column(String(36))
    # When a Queued or Waiting transaction may run.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Attempts already made at the current step (StepErrorAction Retry).
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    # How the transaction started: Schedule, Webhook, Split, Replay.
    origin: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(36))
    # Outputs of the steps run so far, by step key: what later steps map from.
    values: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # A webhook's body until its trigger step has read it.
    payload: Mapped[Any | None] = mapped_column(JSONDocument)
    steps_run: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When its step data goes (set by the retention pass once the transaction has ended).
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StepRun(Base):
    """Step data: what one step did for one transaction."""

    __tablename__ = "transaction_steps"
    __table_args__ = (UniqueConstraint("transaction_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("transactions.id", ondelete="CASCADE")
    )
    sequence: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(36))
    step_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # Success, Warning, Error, Skipped
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[float] = mapped_column(Float)
    # Redacted HTTP exchanges (request and response) of the step's calls.
    exchanges: Mapped[list[Any]] = mapped_column(JSONDocument)
    output: Mapped[Any | None] = mapped_column(JSONDocument)
    message: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    """An error or warning a step raised."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_account_created", "account_id", "created_at"),
        Index("ix_incidents_cycle_created", "cycle_id", "created_at"),
        # The retention purge finds a chunk's incidents by transaction: without it each
        # chunk scans the whole table, and the purge slows as incidents accumulate.
        Index("ix_incidents_transaction", "transaction_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE")
    )
    cycle_id: Mapped[str] = mapped_column(String(36), ForeignKey("cycles.id", ondelete="CASCADE"))
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    step_id: Mapped[str | None] = mapped_column(String(36))
    step_name: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(16))  # Error, Warning
    short_message: Mapped[str] = mapped_column(String(255))
    full_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeenItem(Base):
    """An item a Get trigger already handed on, by the id field its connector declares."""

    __tablename__ = "trigger_seen_items"

    cycle_step_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cycle_steps.id", ondelete="CASCADE"), primary_key=True
    )
    item_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Lease(Base):
    """A named lease, so that one process at a time does a job (the scheduler's tick)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
