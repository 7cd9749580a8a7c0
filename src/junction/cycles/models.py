"""Cycles and their steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime, name_tokens


class Cycle(Base):
    """A template release installed into an account; it runs that release and no other."""

    __tablename__ = "cycles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # Both empty for a cycle built in the account rather than installed from a template.
    template_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("templates.id", ondelete="RESTRICT"), index=True
    )
    # RESTRICT: the release a cycle is pinned to cannot disappear under it; upgrades read it.
    template_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_releases.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # The status, its companions below and the version have one writer: cycles/lifecycle.py.
    status: Mapped[str] = mapped_column(String(16), default="Paused")
    # The release's settings and variables as installed; the account may change them.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    variables: Mapped[list[Any]] = mapped_column(JSONDocument)
    # Cyclr's Tags, as given (the template's when installed). Assign ``tags`` only:
    # ``tag_index`` follows it ("|sales|crm|", for the exact-tag filter in SQL).
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    tag_index: Mapped[str] = mapped_column(Text, default="")
    interval_minutes: Mapped[int | None] = mapped_column(Integer)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_once: Mapped[bool] = mapped_column(Boolean, default=False)
    # The scheduler's next run of a scheduled cycle (empty: not scheduled).
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Deactivated with finishQueuedTransactions: its transactions still run to their end.
    draining: Mapped[bool] = mapped_column(Boolean, default=False)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    # Raised by every change of state or structure: what compiled cycles are cached by.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @validates("tags")
    def _index_tags(self, _key: str, tags: list[str] | None) -> list[str]:
        tags = list(tags or [])
        self.tag_index = name_tokens(tags)
        return tags


class CycleStep(Base):
    """One step of a cycle. The cycle owns its structure: installing copies the release's
    steps, and the account may then change them (while the cycle is paused)."""

    __tablename__ = "cycle_steps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cycles.id", ondelete="CASCADE"), index=True
    )
    step_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    account_connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="SET NULL"), index=True
    )
    # The step as a template document's Step (Key = step_key), mappings included, with the
    # account's changes.
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Webhook trigger steps: the unguessable part of their URL.
    webhook_identifier: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Get triggers: empty until the first real run (Cyclr's 1970-01-01T00:00:00Z).
    last_successful_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Webhook triggers whose method installs its webhook at the API (CreateWebhookMethod):
    # the id the API gave it (Cyclr_Webhook_Id), kept to delete it again.
    external_webhook_id: Mapped[str | None] = mapped_column(String(255))


class CycleEdge(Base):
    __tablename__ = "cycle_edges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cycles.id", ondelete="CASCADE"), index=True
    )
    tail_step_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cycle_steps.id", ondelete="CASCADE"), index=True
    )
    head_step_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cycle_steps.id", ondelete="CASCADE"), index=True
    )
    edge_type: Mapped[str] = mapped_column(String(16))
