"""What the LAUNCH and ORBIT pages show and change, in one account.

Services in the usual sense (they never commit; the page routes own the transactions),
except ``choice_options``, which calls look-up methods at third-party APIs and so reads in
a short transaction of its own first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import AuthType, ConnectorDefinition
from junction.cycles import editing, prerequisites, setup, structure
from junction.cycles import service as cycles
from junction.cycles.models import Cycle, CycleStep
from junction.cycles.setup import FIELDS, PARAMETERS, MappingIn
from junction.engine.models import Transaction
from junction.errors import BadRequest
from junction.templates.models import Template, TemplateRelease
from junction.templates.service import LIVE
from junction.templates.spec.models import MappingKind


@dataclass(frozen=True)
class Offered:
    id: str
    name: str
    description: str | None
    connectors: list[str]
    installed: bool


async def offered_templates(
    *, session: AsyncSession, account_id: str, options: dict[str, Any]
) -> list[Offered]:
    """Live templates with a tag (one of LAUNCH's ``Tags``, when it names some)."""
    live = exists().where(
        TemplateRelease.template_id == Template.id,
        TemplateRelease.status == LIVE,
    )
    query = select(Template).where(live, Template.tags != "").order_by(Template.name)
    wanted = {t.lower() for t in options.get("tags") or []}
    installed = set(
        await session.scalars(select(Cycle.template_id).where(Cycle.account_id == account_id))
    )
    offered = []
    for template in await session.scalars(query):
        tags = {t for t in template.tags.strip("|").split("|") if t}
        if wanted and not tags & wanted:
            continue
        if options.get("single_install") and template.id in installed:
            continue
        release = await cycles.newest_live(session=session, template_id=template.id)
        apps = [step.get("ConnectorName") for step in release.document.get("Steps", [])]
        offered.append(
            Offered(
                template.id,
                template.name,
                template.description,
                list(dict.fromkeys(str(app) for app in apps if app)),
                template.id in installed,
            )
        )
    return offered


@dataclass(frozen=True)
class ConnectorCard:
    id: int
    name: str
    app: str  # the connector's name
    icon: str | None
    auth_type: str
    authenticated: bool
    auth_fields: list[dict[str, str]]  # AuthFields: [{Name, Key, Type}]
    problem: str | None
    # The connector's account properties (a subdomain, a region): asked with the credentials.
    properties: list[Property] = field(default_factory=list)


@dataclass(frozen=True)
class Property:
    name: str
    label: str
    description: str | None
    sensitive: bool
    optional: bool
    value: str | None  # never a sensitive one
    is_set: bool  # a value is stored (sensitive ones included)


async def _card(
    session: AsyncSession, row: AccountConnector, connector: Connector
) -> ConnectorCard:
    definition: ConnectorDefinition = catalog.definition_of(connector)
    auth = account_connectors.choose_authentication(definition, row.authentication_id)
    stored = {p.name: p for p in await account_connectors.properties(session=session, row=row)}
    asked = [
        Property(
            name=p.TargetName,
            label=p.DisplayName or p.TargetName,
            description=p.Description,
            sensitive=p.Sensitive,
            optional=p.Optional or p.DefaultValue is not None,
            value=None if p.Sensitive or p.TargetName not in stored else stored[p.TargetName].value,
            is_set=p.TargetName in stored
            and (stored[p.TargetName].value or stored[p.TargetName].value_sealed) is not None,
        )
        for p in definition.Parameters
        if p.AccountConnectorProperty and not p.Hidden
    ]
    return ConnectorCard(
        id=row.id,
        name=row.name,
        app=connector.name,
        icon=definition.Icon,
        auth_type=(auth.Type if auth else AuthType.NONE).value,
        authenticated=row.authenticated,
        auth_fields=[f.model_dump() for f in auth.AuthFields] if auth else [],
        problem=row.auth_error,
        properties=asked,
    )


async def card_of(
    *, session: AsyncSession, account_id: str, account_connector_id: int
) -> ConnectorCard:
    """One of the account's connectors, as its set-up card shows it."""
    row = await account_connectors.get(
        session=session, account_id=account_id, account_connector_id=account_connector_id
    )
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    return await _card(session, row, connector)


@dataclass
class Choice:
    """A value the template leaves to the customer: a step's input, or a variable."""

    key: str  # the form field's name
    cycle_id: str
    label: str
    description: str | None
    optional: bool
    value: str | None
    step_id: str | None = None
    section: str | None = None
    input_id: int | None = None
    variable: str | None = None
    # Look-ups: the account connector and trigger that list the allowed values.
    account_connector_id: int | None = None
    trigger: str | None = None
    options: list[dict[str, Any]] = field(default_factory=list)
    options_error: str | None = None


@dataclass
class SetupView:
    """One set-up page: a LAUNCH cycle, or every cycle of a Marketplace package."""

    cycles: list[Cycle]
    connectors: list[ConnectorCard]
    choices: list[Choice]
    unmet: list[str]

    @property
    def cycle(self) -> Cycle:
        return self.cycles[0]


def _choice_value(mapping: dict[str, Any]) -> str | None:
    kind = mapping.get("MappingType")
    value = mapping.get("TriggerValue") if kind == MappingKind.LOOKUP else mapping.get("Value")
    return None if value is None or kind == MappingKind.IGNORE else str(value)


async def setup_view(*, session: AsyncSession, account_id: str, cycle_ids: list[str]) -> SetupView:
    view = SetupView([], [], [], [])
    seen: set[int] = set()
    for cycle_id in cycle_ids:
        cycle = await cycles.get(session=session, account_id=account_id, cycle_id=cycle_id)
        view.cycles.append(cycle)
        for row, connector, _ in await cycles.connectors_of(session=session, cycle_id=cycle.id):
            if row.id not in seen:
                seen.add(row.id)
                view.connectors.append(await _card(session, row, connector))
        loaded = await structure.load(session=session, cycle=cycle)
        view.choices.extend(await _choices(session, loaded))
        prefix = f"{cycle.name}: " if len(cycle_ids) > 1 else ""
        view.unmet.extend(
            prefix + p.Reason
            for p in await prerequisites.of_cycle(session=session, structure=loaded)
        )
    return view


async def _choices(session: AsyncSession, loaded: structure.Structure) -> list[Choice]:
    cycle = loaded.cycle
    choices: list[Choice] = []
    prepared = await setup.load_setup(session=session, structure=loaded)
    for cycle_step in loaded.steps:
        if loaded.method_of(cycle_step) is None:
            continue
        for section in (PARAMETERS, FIELDS):
            for mapping in await setup.list_mappings(
                session=session, setup=prepared, cycle_step=cycle_step, section=section
            ):
                if not mapping["IsLaunchVisible"]:
                    continue
                described = mapping["Parameter" if section == PARAMETERS else "Field"]
                choices.append(
                    Choice(
                        key=f"m-{cycle_step.id}-{section[0]}-{described['Id']}",
                        cycle_id=cycle.id,
                        label=described["Name"],
                        description=described.get("Description"),
                        optional=bool(described["IsOptional"]),
                        value=_choice_value(mapping),
                        step_id=cycle_step.id,
                        section=section,
                        input_id=int(described["Id"]),
                        account_connector_id=cycle_step.account_connector_id,
                        trigger=described.get("TriggerName"),
                        options=list(described.get("Values") or []),
                    )
                )
    for variable in editing.variables_out(cycle):
        if variable["IsLaunchVisible"]:
            choices.append(
                Choice(
                    key=f"v-{cycle.id}-{variable['SystemName']}",
                    cycle_id=cycle.id,
                    label=variable["DisplayName"],
                    description=None,
                    optional=False,
                    value=variable["Value"],
                    variable=variable["SystemName"],
                )
            )
    return choices


async def save_choices(
    *,
    session: AsyncSession,
    account_id: str,
    choices: list[Choice],
    form: dict[str, str],
    now: datetime,
) -> None:
    """Store what the customer chose; an empty answer clears the choice."""
    for cycle_id in dict.fromkeys(choice.cycle_id for choice in choices):
        cycle = await cycles.get(
            session=session, account_id=account_id, cycle_id=cycle_id, lock=True
        )
        loaded = await structure.load(session=session, cycle=cycle)
        prepared = await setup.load_setup(session=session, structure=loaded)
        for choice in choices:
            if choice.cycle_id == cycle_id and choice.key in form:
                await _save(session, cycle, loaded, prepared, choice, form[choice.key], now)


async def _save(
    session: AsyncSession,
    cycle: Cycle,
    loaded: structure.Structure,
    prepared: setup.Setup,
    choice: Choice,
    answer: str,
    now: datetime,
) -> None:
    value = answer.strip()
    if choice.variable is not None:
        await editing.set_variable(
            session=session, cycle=cycle, name=choice.variable, value=value or None, now=now
        )
        return
    if choice.step_id is None or choice.section is None or choice.input_id is None:
        return
    cycle_step: CycleStep = loaded.by_id(choice.step_id)
    if choice.trigger and choice.options:
        allowed = {str(o.get("Value")) for o in choice.options}
        if value and value not in allowed:
            raise BadRequest(f"{choice.label}: choose one of the values offered")
        label = next(
            (str(o.get("Name")) for o in choice.options if str(o.get("Value")) == value), None
        )
        mapping_in = MappingIn(
            MappingType=MappingKind.LOOKUP if value else MappingKind.IGNORE,
            TriggerValue=value or None,
            TriggerValueDisplayName=label if value else None,
            IsLaunchVisible=True,
        )
    else:
        mapping_in = MappingIn(
            MappingType=MappingKind.STATIC_VALUE if value else MappingKind.IGNORE,
            Value=value or None,
            IsLaunchVisible=True,
        )
    await setup.set_mapping(
        session=session,
        setup=prepared,
        cycle_step=cycle_step,
        section=choice.section,
        input_id=choice.input_id,
        mapping_in=mapping_in,
    )


@dataclass(frozen=True)
class Installed:
    cycle: Cycle
    last_run: datetime | None
    errors: int
    recent_errors: list[str]
    connectors: list[ConnectorCard]


async def installed(*, session: AsyncSession, account_id: str) -> list[Installed]:
    """The account's integrations, newest first, for ORBIT."""
    found = []
    rows = await session.scalars(
        select(Cycle).where(Cycle.account_id == account_id).order_by(Cycle.created_at.desc())
    )
    for cycle in rows:
        facts = await cycles.run_facts(session=session, cycle_id=cycle.id)
        # The last transaction that completed: webhook cycles have no trigger run date.
        last_run = await session.scalar(
            select(func.max(Transaction.ended_at)).where(
                Transaction.cycle_id == cycle.id, Transaction.status == "Completed"
            )
        )
        recent = await session.scalars(
            select(Transaction.message)
            .where(Transaction.cycle_id == cycle.id, Transaction.status == "Errored")
            .order_by(Transaction.created_at.desc())
            .limit(3)
        )
        found.append(
            Installed(
                cycle=cycle,
                last_run=last_run or facts.last_successful_run,
                errors=facts.errors,
                recent_errors=[m for m in recent if m],
                connectors=[
                    await _card(session, row, connector)
                    for row, connector, _ in await cycles.connectors_of(
                        session=session, cycle_id=cycle.id
                    )
                ],
            )
        )
    return found
