"""Connector releases: adding, listing, loading. Functions flush; the caller commits."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog.models import Connector, ConnectorField, ConnectorMethod
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec, ReleaseStatusName
from junction.connectors.spec.validate import parse_definition
from junction.db.types import name_tokens
from junction.errors import Conflict, NotFound

FIELD_KINDS = ("Parameter", "RequestField", "ResponseField")
SORTABLE = {"Id": Connector.id, "Name": Connector.name, "Version": Connector.version}
TIEBREAK = Connector.id


_CACHE_SIZE = 1024
_definitions: OrderedDict[tuple[int, datetime], ConnectorDefinition] = OrderedDict()


def definition_of(connector: Connector) -> ConnectorDefinition:
    """The parsed definition, cached by release; a Draft's updated_at changes with it."""
    key = (connector.id, connector.updated_at)
    definition = _definitions.get(key)
    if definition is None:
        definition = ConnectorDefinition.model_validate(connector.definition)
        _definitions[key] = definition
        if len(_definitions) > _CACHE_SIZE:
            _definitions.popitem(last=False)
    else:
        _definitions.move_to_end(key)
    return definition


@dataclass(frozen=True)
class MethodIds:
    """Numeric ids of one method and of its parameters and fields, by position."""

    id: int
    fields: dict[tuple[str, int], int]


def _stored(definition: ConnectorDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json", by_alias=True)


def _same_except_status(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {**a, "ReleaseStatus": None} == {**b, "ReleaseStatus": None}


def visible_to(account_id: str | None) -> ColumnElement[bool]:
    """Releases of the partner's catalogue, and the custom connectors of ``account_id``."""
    if account_id is None:
        return Connector.account_id.is_(None)
    return or_(Connector.account_id.is_(None), Connector.account_id == account_id)


async def add_release(
    *, session: AsyncSession, document: Any, now: datetime, account_id: str | None = None
) -> tuple[Connector, bool]:
    """Add a release, or replace a Draft of the same Name and Version. Returns (row, created).

    ``account_id`` adds a custom connector of that account (seen by no other account)."""
    definition = parse_definition(document)
    stored = _stored(definition)
    existing = await session.scalar(
        select(Connector).where(
            Connector.name == definition.Name, Connector.version == definition.Version
        )
    )
    if existing is not None and existing.account_id != account_id:
        # Names are unique across the catalogue and every account's custom connectors.
        raise Conflict(
            f"Name: a connector '{definition.Name}' version {definition.Version} exists "
            "already; choose another Name or Version"
        )
    if existing is None:
        connector = Connector(
            account_id=account_id,
            name=definition.Name,
            version=definition.Version,
            status=definition.ReleaseStatus.value,
            description=definition.Description,
            categories=name_tokens(definition.Categories),
            definition=stored,
            created_at=now,
            updated_at=now,
        )
        session.add(connector)
        await session.flush()
        await _index_methods(session=session, connector=connector, definition=definition)
        return connector, True

    if existing.definition == stored:
        return existing, False  # sending the same release again changes nothing
    if existing.status != ReleaseStatusName.DRAFT:
        deprecating = (
            existing.status == ReleaseStatusName.LIVE
            and definition.ReleaseStatus is ReleaseStatusName.DEPRECATED
        )
        if not (deprecating and _same_except_status(existing.definition, stored)):
            raise Conflict(
                f"Connector '{definition.Name}' version {definition.Version} is "
                f"{existing.status}; Live and Deprecated releases cannot change. "
                "Add a new Version (a Live release may only be re-sent unchanged as Deprecated)."
            )
    methods_changed = existing.definition.get("Methods") != stored.get("Methods")
    existing.status = definition.ReleaseStatus.value
    existing.description = definition.Description
    existing.categories = name_tokens(definition.Categories)
    existing.definition = stored
    # Always later than before, even within one tick of the clock: the parsed definitions
    # (and the methods' ids) are cached by updated_at.
    existing.updated_at = max(now, existing.updated_at + timedelta(microseconds=1))
    if methods_changed:
        # Only a Draft gets here with new methods; its method and field Ids are renewed.
        await session.execute(
            delete(ConnectorMethod).where(ConnectorMethod.connector_id == existing.id)
        )
        await session.flush()
        await _index_methods(session=session, connector=existing, definition=definition)
    return existing, False


# The changes of status a release may go through, each by re-sending it (``add_release``).
NEXT_STATUS = {
    ReleaseStatusName.DRAFT.value: ReleaseStatusName.LIVE,
    ReleaseStatusName.LIVE.value: ReleaseStatusName.DEPRECATED,
}


async def set_release_status(
    *, session: AsyncSession, connector: Connector, status: ReleaseStatusName, now: datetime
) -> Connector:
    """The release re-sent with another ReleaseStatus: held to ``add_release``'s rules
    (a Draft may become anything, a Live release only Deprecated)."""
    document = {**connector.definition, "ReleaseStatus": status.value}
    changed, _ = await add_release(session=session, document=document, now=now)
    return changed


async def _index_methods(
    *, session: AsyncSession, connector: Connector, definition: ConnectorDefinition
) -> None:
    # Two statements for the whole release (methods, then their fields), not one round trip
    # per method: a shipped connector has dozens of methods and hundreds of fields.
    if not definition.Methods:
        return
    method_ids = (
        await session.scalars(
            insert(ConnectorMethod).returning(ConnectorMethod.id, sort_by_parameter_order=True),
            [
                {
                    "connector_id": connector.id,
                    "method_unique_identifier": method.MethodUniqueIdentifier,
                    "position": position,
                }
                for position, method in enumerate(definition.Methods)
            ],
        )
    ).all()
    fields = [
        {"method_id": method_id, "kind": kind, "position": index}
        for method_id, method in zip(method_ids, definition.Methods, strict=True)
        for kind, count in zip(
            FIELD_KINDS,
            (len(method.Parameters), len(method.RequestFields), len(method.ResponseFields)),
            strict=True,
        )
        for index in range(count)
    ]
    if fields:
        await session.execute(insert(ConnectorField), fields)


async def get_connector(
    *, session: AsyncSession, connector_id: int, account_id: str | None = None
) -> Connector:
    """A release by Id. With ``account_id``, only one that account may see (another
    account's custom connector is answered as unknown)."""
    connector = await session.get(Connector, connector_id)
    if connector is None or (
        account_id is not None and connector.account_id not in (None, account_id)
    ):
        raise NotFound(f"No connector with Id {connector_id}")
    return connector


async def connectors_named(
    *, session: AsyncSession, name: str, version: str | None = None, account_id: str | None = None
) -> Sequence[Connector]:
    """Releases of that name in the catalogue (and among ``account_id``'s custom connectors)."""
    query = select(Connector).where(
        func.lower(Connector.name) == name.lower(), visible_to(account_id)
    )
    if version is not None:
        query = query.where(Connector.version == version)
    rows = (await session.scalars(query.order_by(Connector.id))).all()
    if not rows:
        raise NotFound(f"No connector named '{name}'" + (f" version {version}" if version else ""))
    return rows


def connectors_query(
    *, query: str | None, category: str | None, include_custom: bool = False
) -> Select[Any]:
    statement = select(Connector)
    if not include_custom:
        statement = statement.where(visible_to(None))
    if query:
        text = query.lower()
        statement = statement.where(
            or_(
                func.lower(Connector.name).contains(text, autoescape=True),
                func.lower(Connector.description).contains(text, autoescape=True),
            )
        )

    if category:
        token = f"|{category.lower()}|"
        statement = statement.where(Connector.categories.contains(token, autoescape=True))
    return statement


_method_ids: OrderedDict[tuple[int, datetime], dict[int, MethodIds]] = OrderedDict()


async def method_ids(*, session: AsyncSession, connector_id: int) -> dict[int, MethodIds]:
    """Ids of every method of a release, keyed by the method's position in the definition.

    Cached by release and its updated_at: the rows change only when a Draft's methods do,
    and Data on Demand asks for them on every call.
    """
    connector = await get_connector(session=session, connector_id=connector_id)
    key = (connector_id, connector.updated_at)
    cached = _method_ids.get(key)
    if cached is None:
        cached = await _load_method_ids(session=session, connector_id=connector_id)
        _method_ids[key] = cached
        if len(_method_ids) > _CACHE_SIZE:
            _method_ids.popitem(last=False)
    return cached


async def _load_method_ids(*, session: AsyncSession, connector_id: int) -> dict[int, MethodIds]:
    methods = (
        await session.scalars(
            select(ConnectorMethod).where(ConnectorMethod.connector_id == connector_id)
        )
    ).all()
    by_id = {m.id: m.position for m in methods}
    result = {m.position: MethodIds(m.id, {}) for m in methods}
    if by_id:
        fields = await session.scalars(
            select(ConnectorField).where(ConnectorField.method_id.in_(list(by_id)))
        )
        for field in fields:
            result[by_id[field.method_id]].fields[(field.kind, field.position)] = field.id
    return result


def choose_release(releases: Sequence[Connector], version: str | None) -> Connector | None:
    """The release a template step means: its Version if given, else the newest Live one,
    else (while none is Live) the newest. ``releases`` are in Id order."""
    if version is not None:
        return next((r for r in releases if r.version == version), None)
    live = [r for r in releases if r.status == ReleaseStatusName.LIVE]
    pool = live or list(releases)
    return pool[-1] if pool else None


def method_by_uid(definition: ConnectorDefinition, mui: str) -> MethodSpec | None:
    return next((m for m in definition.Methods if m.MethodUniqueIdentifier == mui), None)


async def find_method(
    *, session: AsyncSession, connector: Connector, method_ref: str
) -> tuple[MethodSpec, MethodIds]:
    """A method by numeric Id or by MethodUniqueIdentifier."""
    definition = definition_of(connector)
    ids = await method_ids(session=session, connector_id=connector.id)
    for position, method in enumerate(definition.Methods):
        if method_ref in (str(ids[position].id), method.MethodUniqueIdentifier):
            return method, ids[position]
    raise NotFound(f"Connector {connector.id} has no method '{method_ref}'")


async def get_method(*, session: AsyncSession, method_id: int) -> tuple[Connector, int]:
    row = await session.get(ConnectorMethod, method_id)
    if row is None:
        raise NotFound(f"No method with Id {method_id}")
    connector = await get_connector(session=session, connector_id=row.connector_id)
    return connector, row.position
