"""The audit log as the API answers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from junction.audit.models import AuditEntry


class AuditEntryOut(BaseModel):
    Id: int
    CreatedOnUtc: datetime
    Actor: str
    Action: str
    TargetKind: str
    TargetId: str
    Before: Any = None
    After: Any = None

    @classmethod
    def build(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            Id=entry.id,
            CreatedOnUtc=entry.at,
            Actor=entry.actor,
            Action=entry.action,
            TargetKind=entry.target_kind,
            TargetId=entry.target_id,
            Before=entry.before,
            After=entry.after,
        )
