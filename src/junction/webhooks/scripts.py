"""``before_webhook``: the webhook trigger's scripts, before a call is stored.

A handler sees the call (``method_endpoint``, ``method_request_headers``,
``method_request_parameters``, ``method_request``) and may change the body that is stored,
or answer ``false`` to turn the call away with ``method_response`` (and
``method_response_headers``) as the answer: nothing is stored then. Which addresses have
such handlers is remembered for a second, so a webhook without scripts costs one look-up
per address per second, not one per call; a changed script takes effect within that time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from junction.cycles.models import Cycle, CycleStep
from junction.db.engine import Database
from junction.engine.plans import PlanCache
from junction.errors import ScriptFailed
from junction.scripting.events import HandlerFailed, Scripts, fire
from junction.scripting.host import Host
from junction.scripting.sandbox import Limits
from junction.scripting.workers import on_behalf_of

EVENT = "before_webhook"
REMEMBERED_SECONDS = 1.0
_READBACK = ("method_request", "method_response", "method_response_headers")


@dataclass(frozen=True)
class Hook:
    scripts: Scripts
    values: dict[str, Any]  # cycle_id, cycle_step_id, cyclr_account_id, cycle_variables...


@dataclass(frozen=True)
class Turned:
    """The call turned away by a handler, with the answer to give."""

    status: int
    body: Any
    headers: dict[str, str]


class WebhookScripts:
    def __init__(self, *, database: Database, plans: PlanCache) -> None:
        self.database = database
        self.plans = plans
        self._known: dict[str, tuple[float, Hook | None]] = {}

    async def hook(self, identifier: str) -> Hook | None:
        now = time.monotonic()
        known = self._known.get(identifier)
        if known is not None and known[0] > now:
            return known[1]
        found = await self._look_up(identifier)
        if len(self._known) > 10_000:
            self._known.clear()  # bounded: addresses are cheap to look up again
        self._known[identifier] = (now + REMEMBERED_SECONDS, found)
        return found

    async def _look_up(self, identifier: str) -> Hook | None:
        async with self.database.transaction(read_only=True) as session:
            row = (
                await session.execute(
                    select(Cycle, CycleStep.id)
                    .join(CycleStep, CycleStep.cycle_id == Cycle.id)
                    .where(CycleStep.webhook_identifier == identifier)
                )
            ).first()
            if row is None:
                return None
            cycle, step_id = row
            plan = await self.plans.of(session=session, cycle=cycle)
        trigger = plan.trigger
        if trigger is None or trigger.id != step_id or trigger.definition is None:
            return None
        method = trigger.method
        scripts = Scripts(
            trigger.definition.Script, method.Script if method else None, trigger.spec.Script
        )
        if not scripts.handles(EVENT):
            return None
        return Hook(
            scripts,
            {
                "cycle_id": plan.cycle_id,
                "cycle_step_id": trigger.id,
                "cyclr_account_id": plan.account_id,
                "external_account_id": plan.account_id,
                "cycle_variables": dict(plan.variables),
                "script_parameters": {},
                "script_execution_context": "RUNNING_TRANSACTION",
            },
        )


async def before_webhook(
    hook: Hook,
    *,
    url: str,
    headers: dict[str, str],
    parameters: dict[str, str],
    payload: Any,
    limits: Limits,
    loop_http: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None,
    loop: Any,
) -> tuple[Any, Turned | None]:
    """(the body to store, or how to answer instead)."""
    values = hook.values | {
        "method_endpoint": url,
        "method_request_headers": headers,
        "method_request_parameters": parameters,
        "method_request": payload,
        "method_response_headers": {},
        "method_response": None,
    }
    try:
        # Anyone who knows a webhook's address can make these handlers run: they count
        # against the cycle's account's share of the script threads, like its other scripts.
        with on_behalf_of(hook.values["cyclr_account_id"]):
            fired = await fire(
                EVENT,
                hook.scripts,
                values,
                _READBACK,
                limits,
                Host(loop=loop, http=loop_http, seconds=limits.seconds),
            )
    except HandlerFailed as exc:
        raise ScriptFailed(str(exc)) from None
    if fired.proceed:
        return fired.values["method_request"], None
    given = fired.values["method_response_headers"]
    # Only X- headers: the body is always JSON or plain text, and a script does not set
    # cookies, caching or content types on Junction's own address.
    answer_headers = {
        str(k): str(v)
        for k, v in (given.items() if isinstance(given, dict) else [])
        if str(k).lower().startswith("x-") and not any(c in f"{k}{v}" for c in "\r\n")
    }
    return payload, Turned(200, fired.values["method_response"], answer_headers)
