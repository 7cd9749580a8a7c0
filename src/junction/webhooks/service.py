"""Accepting a webhook call: the payload becomes a Queued transaction at the cycle's webhook
trigger, in the caller's database transaction (committed before the call is answered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.runtime import mapping_plan
from junction.cycles import lifecycle
from junction.cycles.lifecycle import Change, CycleStatus
from junction.cycles.models import Cycle, CycleStep
from junction.engine import transactions as tx
from junction.engine.plans import PlanCache, StepPlan
from junction.errors import Conflict, JunctionError, NotFound, PayloadTooLarge
from junction.security import json_bodies

FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})


async def cycle_of_address(session: AsyncSession, identifier: str) -> str | None:
    """The cycle whose webhook step has this address (whatever its status), or None."""
    cycle_id: str | None = await session.scalar(
        select(CycleStep.cycle_id).where(CycleStep.webhook_identifier == identifier).limit(1)
    )
    return cycle_id


def parse_body(body: bytes, content_type: str, *, max_depth: int, max_items: int) -> Any:
    """JSON (the usual case), a form, or text kept as ``{"Body": text}``.

    JSON is held to what both databases store alike (``json_bodies.strict_loads``); a list
    of more than ``max_items`` items is refused before it is parsed, since each item may
    become a transaction of its own. Form and text bodies may not hold NUL characters.
    """
    kind = content_type.split(";")[0].strip().lower()
    if not body.strip():
        return {}
    if kind in FORM_TYPES:
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        for key, value in fields:
            json_bodies.check_text(key, f"the form field name {key!r}")
            json_bodies.check_text(value, f"the form field {key!r}")
        return dict(fields)
    if kind == "application/json" or kind.endswith("+json") or body.lstrip()[:1] in (b"{", b"["):
        items = json_bodies.count_items(body, limit=max_items)
        if items is not None and items > max_items:
            raise PayloadTooLarge(
                f"Body: a list of more than {max_items} items; one webhook call may hold at "
                "most that many (JUNCTION_WEBHOOK_MAX_ITEMS), since each may become a "
                "transaction: send the items in several calls"
            )
        return json_bodies.strict_loads(body, max_depth=max_depth)
    text = body.decode("utf-8", "replace")
    json_bodies.check_text(text, "the text")
    return {"Body": text}


@dataclass(frozen=True)
class Accepted:
    transaction_id: str
    account_id: str
    cycle_id: str
    # The cycle's WebhookResponse steps (id → HTTP status): it answers the call from one.
    responses: dict[str, int]

    @property
    def responds(self) -> bool:
        return bool(self.responses)


@dataclass(frozen=True)
class Call:
    identifier: str
    payload: Any
    transaction_id: str
    # Most transactions the trigger may split the payload into (None: no limit).
    max_items: int | None = None


def split_count(trigger: StepPlan, payload: Any) -> int:
    """How many transactions the webhook trigger makes of ``payload``, as the engine's
    webhook executor reads it: the items of the response fields' collection, else the
    items of a list body; one when it does not split."""
    if not trigger.splits:
        return 1
    if trigger.method is not None and trigger.method.ResponseFields:
        items = mapping_plan(trigger.method).items(payload)
        return 1 if items is None else len(items)
    return len(payload) if isinstance(payload, list) else 1


async def accept_many(
    *, session: AsyncSession, plans: PlanCache, calls: list[Call], now: datetime
) -> list[Accepted | JunctionError]:
    """Each call stored as a Queued transaction at its cycle's webhook trigger, or the
    reason it is refused (404 unknown address, 409 cycle not running), in order."""
    identifiers = sorted({c.identifier for c in calls})
    found: dict[str, tuple[Cycle, str]] = {}
    for start in range(0, len(identifiers), 500):
        rows = await session.execute(
            select(Cycle, CycleStep.id, CycleStep.webhook_identifier)
            .join(CycleStep, CycleStep.cycle_id == Cycle.id)
            .where(CycleStep.webhook_identifier.in_(identifiers[start : start + 500]))
        )
        for cycle, step_id, identifier in rows.all():
            found[str(identifier)] = (cycle, step_id)
    results: list[Accepted | JunctionError] = []
    new_rows: list[dict[str, Any]] = []
    for call in calls:
        try:
            accepted, row = await _accept(session, plans, found.get(call.identifier), call, now)
        except (NotFound, Conflict, PayloadTooLarge) as exc:
            results.append(exc)
            continue
        results.append(accepted)
        new_rows.append(row)
    await tx.insert_rows(session, new_rows)
    await session.flush()
    return results


async def _accept(
    session: AsyncSession,
    plans: PlanCache,
    found: tuple[Cycle, str] | None,
    call: Call,
    now: datetime,
) -> tuple[Accepted, dict[str, Any]]:
    if found is None:
        raise NotFound("No webhook at this address")
    cycle, step_id = found
    plan = await plans.of(session=session, cycle=cycle)
    trigger = plan.trigger
    if trigger is None or not trigger.is_webhook or step_id != trigger.id:
        raise NotFound("No webhook at this address")
    if cycle.run_once and cycle.status == CycleStatus.ACTIVE:
        # Only the first call may start a RunOnce cycle: lock the row (PostgreSQL; SQLite's
        # writer lock already serialises) and look again.
        await session.refresh(cycle, with_for_update=True)
    if cycle.status != CycleStatus.ACTIVE:
        # Not accepted, so the sender keeps the data and may send it again later.
        raise Conflict(f"The cycle '{cycle.name}' is not running; activate it to accept calls")
    # A list under a key (the response fields' collection) escapes the count made before
    # parsing, which sees only a list body.
    if call.max_items is not None and split_count(trigger, call.payload) > call.max_items:
        raise PayloadTooLarge(
            f"Body: more than {call.max_items} items to split into transactions; one webhook "
            "call may hold at most that many (JUNCTION_WEBHOOK_MAX_ITEMS): send the items "
            "in several calls"
        )
    row = tx.new_row(
        account_id=cycle.account_id,
        cycle_id=cycle.id,
        step_id=trigger.id,
        origin="Webhook",
        now=now,
        payload=call.payload,
        transaction_id=call.transaction_id,
    )
    if cycle.run_once:
        # Paused after the first call it accepts (later calls of the same batch see it
        # paused); that call still runs to its end.
        await lifecycle.apply(session, cycle, Change.RUN_ONCE_STARTED, now=now)
    return Accepted(row["id"], cycle.account_id, cycle.id, plan.responses), row
