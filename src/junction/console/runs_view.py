"""What the Runs pages show: filters read from the address, newest-first pages of
transactions and incidents, and step data made readable.

The pages read through ``junction.reports.service``, as the API does. Pages are keyset
pages on (created time, Id): no count over every row and no offset to skip, so the tenth
page costs what the first does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.cycles import service as cycles
from junction.engine.models import Incident, Transaction
from junction.engine.transactions import ENDED, TRANSITIONS, Status
from junction.errors import JunctionError
from junction.reports import service

PAGE_SIZE = 50
STATUSES = [status.value for status in Status]
LEVELS = sorted(set(service.LEVELS.values()))
# A typed date and time with no offset is UTC, as for the API's after/before.
MOMENT_HINT = "YYYY-MM-DD HH:MM, UTC"


@dataclass
class Filters:
    """The filters as typed (shown again as they were) and what they mean."""

    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    window: service.Window = field(default_factory=service.Window)
    status: Status | None = None
    level: str | None = None

    def value(self, name: str) -> str | None:
        return self.typed.get(name, "").strip() or None

    @property
    def query(self) -> dict[str, str]:
        """The filters for a link to another page of the same list."""
        return {name: text for name, text in self.typed.items() if text.strip()}


def _moment(filters: Filters, name: str) -> datetime | None:
    text = filters.value(name)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        filters.errors[name] = f"'{text}' is not a date and time ({MOMENT_HINT})"
        return None


def read_filters(typed: dict[str, str]) -> Filters:
    """Status, level and the time window, or why not, beside the field that holds each."""
    filters = Filters(typed)
    status = filters.value("status")
    if status is not None:
        try:
            filters.status = Status(status)
        except ValueError:
            filters.errors["status"] = f"'{status}' is not a status; use one of the list"
    level = filters.value("level")
    if level is not None:
        try:
            filters.level = service.parse_level(level)
        except JunctionError:
            filters.errors["level"] = f"'{level}' is not a level; use Error or Warning"
    after, before = _moment(filters, "after"), _moment(filters, "before")
    if "after" not in filters.errors and "before" not in filters.errors:
        try:
            filters.window = service.Window.of(after, before)
        except JunctionError as exc:
            # The service names the API's parameters; the form's labels say "Created from".
            field_name, _, message = exc.message.partition(": ")
            filters.errors[field_name] = message.replace("than after", "than Created from")
    return filters


async def check_holders(*, session: AsyncSession, filters: Filters) -> None:
    """An account or cycle that does not exist is said so, not shown as an empty list."""
    account, cycle = filters.value("account"), filters.value("cycle")
    try:
        if account is not None:
            await accounts.get_account(session=session, account_id=account)
    except JunctionError as exc:
        filters.errors["account"] = exc.message
        return
    try:
        if cycle is not None:
            if account is None:
                await cycles.locate(session=session, cycle_id=cycle)
            else:
                await cycles.get(session=session, account_id=account, cycle_id=cycle)
    except JunctionError as exc:
        filters.errors["cycle"] = exc.message


# Keyset pages.


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    older: str | None  # the cursor of the next (older) page, when there is one
    newer: str | None  # and of the previous (newer) page


def cursor_of(created_at: datetime, row_id: str) -> str:
    return f"{created_at.isoformat()}~{row_id}"


def _parse_cursor(text: str) -> tuple[datetime, str] | None:
    moment, sep, row_id = text.partition("~")
    if not sep or not row_id:
        return None
    try:
        return datetime.fromisoformat(moment), row_id
    except ValueError:
        return None


async def newest_first(
    *,
    session: AsyncSession,
    query: Select[Any],
    table: type[Transaction] | type[Incident],
    older: str = "",
    newer: str = "",
    size: int = PAGE_SIZE,
) -> Page:
    """One page of ``query``: the newest, or those just older (``older``) or just newer
    (``newer``) than a cursor from a previous page. An unreadable cursor is the newest."""
    created, key = table.created_at, table.id
    after = _parse_cursor(newer) if newer else None
    before = _parse_cursor(older) if older and after is None else None
    if after is not None:
        at, row_id = after
        query = query.where(created >= at, or_(created > at, and_(created == at, key > row_id)))
        rows = list(await session.scalars(query.order_by(created.asc(), key.asc()).limit(size + 1)))
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return _page(rows, older=True, newer=more_newer)
    if before is not None:
        at, row_id = before
        query = query.where(created <= at, or_(created < at, and_(created == at, key < row_id)))
    rows = list(await session.scalars(query.order_by(created.desc(), key.desc()).limit(size + 1)))
    return _page(rows[:size], older=len(rows) > size, newer=before is not None)


def _page(rows: list[Any], *, older: bool, newer: bool) -> Page:
    if not rows:
        return Page(rows, None, None)
    first, last = rows[0], rows[-1]
    return Page(
        rows,
        cursor_of(last.created_at, last.id) if older else None,
        cursor_of(first.created_at, first.id) if newer else None,
    )


# What a row shows.


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def duration(row: Transaction, now: datetime) -> str:
    """From start to end, or until now while it runs."""
    if row.started_at is None:
        return ""
    end = row.ended_at or (now if Status(row.status) not in ENDED else None)
    if end is None:
        return ""
    return span(end - row.started_at)


def span(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def is_final(status: str) -> bool:
    return Status(status) in ENDED


def may_replay(status: str) -> bool:
    """Whether the state machine lets a transaction in this status be queued again (the
    service still refuses one whose step data is gone, and says why)."""
    return Status.QUEUED in TRANSITIONS[Status(status)] and is_final(status)


def pretty(body: Any) -> str:
    """A recorded body or output for reading: JSON indented, other text as it was."""
    if body is None or body == "":
        return ""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return str(body)
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)


def exchanges_of(step: Any) -> list[dict[str, Any]]:
    """The step's recorded calls, each with its bodies ready to show."""
    shown = []
    for exchange in step.exchanges or []:
        if not isinstance(exchange, dict):
            continue
        shown.append(
            {
                **exchange,
                "request_body": pretty(exchange.get("RequestBody")),
                "response_body": pretty(exchange.get("ResponseBody")),
                "request_headers": pretty(exchange.get("RequestHeaders") or None),
                "response_headers": pretty(exchange.get("ResponseHeaders") or None),
            }
        )
    return shown


def selected(ids: Sequence[str], limit: int) -> list[str]:
    """The ticked Ids, once each, at most ``limit``."""
    return list(dict.fromkeys(i.strip() for i in ids if i.strip()))[:limit]
