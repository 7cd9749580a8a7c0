"""Counter Storage (cycle and global): named whole-number counters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from junction.utilities.models import GLOBAL, Counter
from junction.utilities.operations import (
    UtilityContext,
    UtilityError,
    integer,
    operation,
    text,
)

MAX_NAME = 128


def _name(inputs: dict[str, Any]) -> str:
    name = text(inputs, "CounterName")
    if len(name) > MAX_NAME:
        raise UtilityError(f"CounterName: {len(name)} characters; at most {MAX_NAME} are allowed")
    return name


def _where(context: UtilityContext, per_cycle: bool, name: str) -> tuple[Any, ...]:
    return (
        Counter.account_connector_id == context.account_connector_id,
        Counter.cycle_scope == (context.cycle_id if per_cycle else GLOBAL),
        Counter.name == name,
    )


async def _change(context: UtilityContext, per_cycle: bool, name: str, delta: int | None) -> int:
    """Add ``delta`` (None: reset to 0) and return the new value."""
    try:
        return await _change_once(context, per_cycle, name, delta)
    except IntegrityError:  # created meanwhile by another step: now it is an update
        return await _change_once(context, per_cycle, name, delta)


async def _change_once(
    context: UtilityContext, per_cycle: bool, name: str, delta: int | None
) -> int:
    async with context.database.transaction() as session:
        row = await session.scalar(select(Counter).where(*_where(context, per_cycle, name)))
        if row is None:
            row = Counter(
                account_connector_id=context.account_connector_id,
                cycle_scope=context.cycle_id if per_cycle else GLOBAL,
                name=name,
                value=0,
                updated_at=context.now,
            )
            session.add(row)
        row.value = 0 if delta is None else row.value + delta
        row.updated_at = context.now
        return row.value


def _register(prefix: str, per_cycle: bool) -> None:
    @operation(f"{prefix}/increment")
    async def increment(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        name = _name(inputs)
        value = await _change(context, per_cycle, name, integer(inputs, "Amount", 1))
        return [{"CounterName": name, "Value": value}]

    @operation(f"{prefix}/decrement")
    async def decrement(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        name = _name(inputs)
        value = await _change(context, per_cycle, name, -integer(inputs, "Amount", 1))
        return [{"CounterName": name, "Value": value}]

    @operation(f"{prefix}/reset")
    async def reset(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        name = _name(inputs)
        return [{"CounterName": name, "Value": await _change(context, per_cycle, name, None)}]

    @operation(f"{prefix}/get")
    async def get(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        name = _name(inputs)
        async with context.database.transaction(read_only=True) as session:
            value = await session.scalar(
                select(Counter.value).where(*_where(context, per_cycle, name))
            )
        return [{"CounterName": name, "Value": value or 0}]

    @operation(f"{prefix}/delete")
    async def remove(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        name = _name(inputs)
        async with context.database.transaction() as session:
            result = await session.execute(delete(Counter).where(*_where(context, per_cycle, name)))
        return [{"CounterName": name, "Deleted": bool(result.rowcount)}]  # type: ignore[attr-defined]


_register("cycle-counter", per_cycle=True)
_register("global-counter", per_cycle=False)
