"""Entity Cross Reference Storage: which record in one system is which in another.

A reference pairs Entity 1's id with Entity 2's id (each unique within the installed
connector) and keeps details about both: the source application, names, record counts and
shared AdditionalInfo. Updates are incremental: only the details given change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from junction.utilities.models import CrossReference
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

DETAILS = (
    "SourceApplication",
    "Entity1Name",
    "Entity2Name",
    "Entity1RecordCount",
    "Entity2RecordCount",
    "AdditionalInfo",
)
MAX_ID = 255


def _id(inputs: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = text(inputs, name, required=required)
    if len(value) > MAX_ID:
        raise UtilityError(f"{name}: {len(value)} characters; at most {MAX_ID} are allowed")
    return value


def _details(inputs: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name in DETAILS:
        value = inputs.get(name)
        if value is not None and value != "":
            if name.endswith("RecordCount"):
                try:
                    value = int(str(value))
                except ValueError:
                    raise UtilityError(f"{name}: '{value}' is not a whole number") from None
            found[name] = value
    return found


def _record(row: CrossReference) -> dict[str, Any]:
    return {"Entity1Id": row.entity1_id, "Entity2Id": row.entity2_id} | {
        name: row.details.get(name) for name in DETAILS
    }


def _one_of(context: UtilityContext, inputs: dict[str, Any]) -> Any:
    first, second = (
        _id(inputs, "Entity1Id", required=False),
        _id(inputs, "Entity2Id", required=False),
    )
    if not first and not second:
        raise UtilityError("Entity1Id: give the id of Entity 1 or of Entity 2")
    mine = CrossReference.account_connector_id == context.account_connector_id
    if first and second:
        return mine, or_(CrossReference.entity1_id == first, CrossReference.entity2_id == second)
    if first:
        return mine, CrossReference.entity1_id == first
    return mine, CrossReference.entity2_id == second


@operation("cross-reference/create")
async def create(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    first, second = _id(inputs, "Entity1Id"), _id(inputs, "Entity2Id")
    text(inputs, "SourceApplication")
    row = CrossReference(
        account_connector_id=context.account_connector_id,
        entity1_id=first,
        entity2_id=second,
        details=_details(inputs),
        updated_at=context.now,
    )
    try:
        async with context.database.transaction() as session:
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise UtilityError(
            f"Entity1Id: a cross reference for '{first}' or '{second}' exists already; "
            "update it instead"
        ) from None
    return [_record(row)]


@operation("cross-reference/update")
async def update_reference(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    where = _one_of(context, inputs)
    changes = _details(inputs)
    async with context.database.transaction() as session:
        row = await session.scalar(select(CrossReference).where(*where))
        if row is None:
            raise UtilityError("Entity1Id: no cross reference has that id")
        row.details = row.details | changes
        row.updated_at = context.now
        return [_record(row)]


async def _get(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    async with context.database.transaction(read_only=True) as session:
        row = await session.scalar(select(CrossReference).where(*_one_of(context, inputs)))
    return [_record(row)] if row is not None else []


@operation("cross-reference/get-by-entity1")
async def get_by_first(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return await _get(context, {"Entity1Id": _id(inputs, "Entity1Id")})


@operation("cross-reference/get-by-entity2")
async def get_by_second(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return await _get(context, {"Entity2Id": _id(inputs, "Entity2Id")})


@operation("cross-reference/get-all")
async def get_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    async with context.database.transaction(read_only=True) as session:
        rows = await session.scalars(
            select(CrossReference)
            .where(CrossReference.account_connector_id == context.account_connector_id)
            .order_by(CrossReference.id)
        )
        return [_record(row) for row in rows]


@operation("cross-reference/delete")
async def delete_reference(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    where = _one_of(context, inputs)
    async with context.database.transaction() as session:
        result = await session.execute(delete(CrossReference).where(*where))
    return [{"Deleted": bool(result.rowcount)}]  # type: ignore[attr-defined]
