"""Recording changes and reading them back. Services: they never commit, so an entry is
stored in the same transaction as the change it describes, or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.audit.models import AuditEntry

# Never copied into the log, at any depth: the log is readable by every partner token and
# every console viewer.
_SECRET_WORDS = ("secret", "password", "token", "authvalue", "apikey", "api_key")
HIDDEN = "(hidden)"


def without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: HIDDEN
            if any(word in str(key).lower().replace("-", "_") for word in _SECRET_WORDS)
            and item not in (None, "")
            else without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def record(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    target_kind: str,
    target_id: str,
    now: datetime,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor=actor,
        action=action,
        target_kind=target_kind,
        target_id=str(target_id),
        before=without_secrets(before),
        after=without_secrets(after),
    )
    session.add(entry)
    return entry


def entries_query(
    *,
    actor: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if target_kind:
        query = query.where(AuditEntry.target_kind == target_kind)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


async def newest(*, session: AsyncSession, query: Select[Any], limit: int) -> list[AuditEntry]:
    return list(await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
