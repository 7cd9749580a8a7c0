"""Discovery: custom fields found by calling methods' custom fields lookups.

A method names a lookup for its request fields, its response fields, or both
(``RequestCustomFieldsLookupMethod``, ``ResponseCustomFieldsLookupMethod``). The lookup is
called on the account connector and its answer read one of two ways:

- *enhanced* (the lookup method is ``ForEnhancedCustomFields``): each record describes one
  field with the ``cyclr_*`` system fields (``describe.py`` reads them);
- *basic*: the answer is a sample shaped like the target method's response; the keys of
  its first item that are not fields of the target method become fields.

Found fields are stored with Source ``Lookup`` and replace those of the previous discovery;
``Manual`` fields are never touched, and a found field that clashes with one is left out.
Like Data on Demand, no database transaction stays open while the API answers: read, call,
then write. A lookup that fails raises ``LookupFailed`` before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import custom_fields
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.custom_field_describe import Found, basic_fields, enhanced_fields
from junction.connectors.accounts.custom_methods import (
    LOOKUP,
    MANUAL,
    CustomField,
    read,
    stored_spec,
)
from junction.connectors.accounts.models import AccountConnector, AccountConnectorField
from junction.connectors.calls.connections import Connection
from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.runtime import CallInput, Redactor, Runtime
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec, Verb
from junction.errors import ConnectorCallError, JunctionError, NotFound, UpstreamHttpError

log = logging.getLogger("junction.connectors.custom_fields")


class LookupFailed(ConnectorCallError):
    """A custom fields lookup could not be called; nothing was changed."""

    def __init__(self, lookup: str, cause: JunctionError) -> None:
        super().__init__(f"The custom fields lookup method '{lookup}' failed: {cause.message}")
        self.lookup = lookup
        self.cause = cause

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Message": self.message, "LookupMethod": self.lookup}
        if isinstance(self.cause, UpstreamHttpError):
            body |= {
                "UpstreamStatus": self.cause.upstream_status,
                "UpstreamBody": self.cause.body_text,
            }
        return body


@dataclass(frozen=True)
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _Answer:
    body: Any
    records: list[dict[str, Any]]


def lookups_of(definition: ConnectorDefinition) -> list[tuple[MethodSpec, bool, str]]:
    """(target method, for request fields, lookup method) for every lookup link."""
    links = []
    for method in definition.Methods:
        if method.RequestCustomFieldsLookupMethod:
            links.append((method, True, method.RequestCustomFieldsLookupMethod))
        if method.ResponseCustomFieldsLookupMethod:
            links.append((method, False, method.ResponseCustomFieldsLookupMethod))
    return links


async def _call_lookup(runtime: Runtime, connection: Connection, lookup: MethodSpec) -> _Answer:
    definition, context = connection.definition, connection.context
    try:
        if lookup.HttpMethod is Verb.GET:
            # A Get lookup reads every page, as a step would; the sample is the first.
            body: Any = None
            records: list[dict[str, Any]] = []
            async for page in runtime.pages(definition, lookup, context, CallInput()):
                body = page.body if page.number == 1 else body
                records.extend(page.records)
            return _Answer(body, records)
        result = await runtime.call(definition, lookup, context, CallInput())
        return _Answer(result.body, result.records)
    except JunctionError as exc:
        exc.message = Redactor(secrets=context.sensitive_values).text(exc.message)
        if isinstance(exc, UpstreamHttpError):
            exc.body_text = Redactor(secrets=context.sensitive_values).text(exc.body_text)
        raise LookupFailed(lookup.MethodUniqueIdentifier, exc) from exc


async def find(runtime: Runtime, connection: Connection) -> list[Found]:
    """Call each lookup once (several methods may share one) and read the fields found."""
    definition = connection.definition
    methods = {m.MethodUniqueIdentifier: m for m in definition.Methods}
    answers: dict[str, _Answer] = {}
    found: list[Found] = []
    for target, for_request, lookup_id in lookups_of(definition):
        lookup = methods.get(lookup_id)
        if lookup is None:  # a release stored before such links were checked
            log.warning(
                "method '%s' names no method '%s'", target.MethodUniqueIdentifier, lookup_id
            )
            continue
        if lookup_id not in answers:
            answers[lookup_id] = await _call_lookup(runtime, connection, lookup)
        answer = answers[lookup_id]
        if lookup.ForEnhancedCustomFields:
            found += enhanced_fields(target, for_request, answer.records, answer.body)
        else:
            found += basic_fields(target, for_request, answer.body)
    return found


async def discover(
    *,
    gateway: ConnectorGateway,
    account_connector_id: int,
    account_id: str | None,
    now: datetime,
) -> Counts:
    """Run the account connector's lookups and store what they found (own transactions).

    ``account_id`` None: an internal caller that already knows the account connector.
    """
    database = gateway.database
    async with database.transaction(read_only=True) as session:
        if account_id is None:
            row = await session.get(AccountConnector, account_connector_id)
            if row is None:
                raise NotFound(f"No account connector with Id {account_connector_id}")
        else:
            row = await account_connectors.get(
                session=session, account_id=account_id, account_connector_id=account_connector_id
            )
        definition = await custom_fields.definition_of(session=session, row=row)
        if not lookups_of(definition):
            return Counts()
        connection = await gateway.open(session=session, row=row)
    found = await find(gateway.runtime, connection)
    async with database.transaction() as session:
        # Locked (PostgreSQL) so that two discoveries of one account connector take turns.
        locked = await session.scalar(
            select(AccountConnector)
            .where(AccountConnector.id == account_connector_id)
            .with_for_update()
        )
        if locked is None:
            raise NotFound(f"No account connector with Id {account_connector_id}")
        return await store(session=session, row=locked, found=found, now=now)


async def store(
    *, session: AsyncSession, row: AccountConnector, found: list[Found], now: datetime
) -> Counts:
    """Make the Lookup fields what ``found`` says: same fields kept as they are, changed
    ones updated in place, new ones added, vanished ones removed. Flushes."""
    stored = await custom_fields.list_fields(session=session, row=row)
    manual = [read(f) for f in stored if f.source == MANUAL]
    previous = {_key_of_row(f): f for f in stored if f.source == LOOKUP}
    added = changed = unchanged = 0
    seen: set[tuple[str | None, bool, str]] = set()
    for item in found:
        key = (item.method, item.for_request, item.spec.ConnectorField)
        if key in seen or _clashes(item, manual):
            continue
        seen.add(key)
        spec = stored_spec(
            item.spec, read_only=item.read_only, hidden=item.hidden, field_values=item.values
        )
        existing = previous.get(key)
        if existing is None:
            session.add(
                AccountConnectorField(
                    account_connector_id=row.id,
                    method_unique_identifier=item.method,
                    for_request_format=item.for_request,
                    spec=spec,
                    source=LOOKUP,
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
        elif existing.spec != spec:
            existing.spec, existing.updated_at = spec, now
            changed += 1
        else:
            unchanged += 1
    gone = [f for key, f in previous.items() if key not in seen]
    for field in gone:
        await session.delete(field)
    await session.flush()
    if added or changed or gone:
        await custom_fields.touch_cycles(session=session, account_connector_id=row.id, now=now)
    return Counts(added=added, changed=changed, removed=len(gone), unchanged=unchanged)


def _key_of_row(row: AccountConnectorField) -> tuple[str | None, bool, str]:
    return (
        row.method_unique_identifier,
        row.for_request_format,
        str((row.spec or {}).get("ConnectorField", "")),
    )


def _clashes(item: Found, manual: list[CustomField]) -> bool:
    """A Manual field of the same method and direction already has this path or name."""
    for field in manual:
        if field.for_request != item.for_request:
            continue
        if field.method is not None and field.method != item.method:
            continue
        names = {field.name, field.spec.ConnectorField}
        if item.spec.ConnectorField in names or (item.spec.SystemField or "") in names:
            return True
    return False


async def after_authentication(
    *,
    gateway: ConnectorGateway,
    account_connector_id: int,
    now: datetime,
) -> None:
    """Discovery once an account connector is authenticated. It runs after the
    authentication was stored and never undoes it: a failure is only logged (discover again
    with POST /v1.0/account/connectors/{id}/fields/discover)."""
    try:
        counts = await discover(
            gateway=gateway,
            account_connector_id=account_connector_id,
            account_id=None,
            now=now,
        )
    except JunctionError as exc:
        log.warning(
            "custom fields of account connector %s were not discovered: %s",
            account_connector_id,
            exc.message,
        )
    except Exception:
        log.exception(
            "custom fields of account connector %s: discovery failed", account_connector_id
        )
    else:
        if counts != Counts():
            log.info("custom fields of account connector %s: %s", account_connector_id, counts)
