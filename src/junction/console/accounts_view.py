"""What the account pages show, read through the services the API uses, and how their forms
become the services' inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.accounts.models import Account, AccountUser
from junction.accounts.schemas import AccountOut
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import AccountConnectorOut
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import ReleaseStatusName
from junction.cycles import draft_runs, lifecycle, prerequisites, structure, webhook_urls
from junction.cycles import service as cycles
from junction.cycles.activation import ALLOWED_INTERVALS
from junction.cycles.models import Cycle
from junction.embed import launch
from junction.errors import BadRequest
from junction.templates.models import Template, TemplateRelease

PAGE_SIZE = 50
Model = TypeVar("Model", bound=BaseModel)

# Pydantic's words for a few refusals, said for a person filling in a form.
_PLAIN = {
    "string_pattern_mismatch": "use letters, digits, '.', '_' and '-' only (at most 64, "
    "starting with a letter or a digit)",
    "missing": "is required",
}


def parsed(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` as the API's input model, or the API's refusal as BadRequest naming the field
    (what ``web.field_errors`` shows beside it)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
            message = "is required"
        else:
            message = _PLAIN.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
        raise BadRequest(f"{field}: {message}" if field else message) from None


def blank_is_none(value: str) -> str | None:
    value = value.strip()
    return value or None


def facts(account: Account) -> dict[str, Any]:
    """The account as the API shows it: the audit log's before and after."""
    return AccountOut.from_row(account).model_dump(mode="json")


@dataclass(frozen=True)
class Listing:
    accounts: list[Account]
    parents: dict[str, str]  # parent id -> name, for the accounts listed
    page: int
    more: bool


async def listing(*, session: AsyncSession, search: str, page: int) -> Listing:
    query = accounts.accounts_query(name_or_id_contains=search.strip() or None)
    page = max(page, 1)
    rows = list(
        await session.scalars(
            query.order_by(func.lower(Account.name), Account.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    parent_ids = {a.parent_account_id for a in rows if a.parent_account_id}
    parents: dict[str, str] = {}
    if parent_ids:
        found = await session.execute(
            select(Account.id, Account.name).where(Account.id.in_(parent_ids))
        )
        parents = {account_id: name for account_id, name in found}
    return Listing(rows[:PAGE_SIZE], parents, page, len(rows) > PAGE_SIZE)


@dataclass(frozen=True)
class Overview:
    account: Account
    parent: Account | None
    subaccounts: list[Account]
    users: list[AccountUser]


async def overview(*, session: AsyncSession, account_id: str) -> Overview:
    account = await accounts.get_account(session=session, account_id=account_id)
    parent = (
        await session.get(Account, account.parent_account_id) if account.parent_account_id else None
    )
    subaccounts = list(
        await session.scalars(
            accounts.accounts_query(parent_account_id=account_id).order_by(
                func.lower(Account.name), Account.id
            )
        )
    )
    users = await accounts.list_users(session=session, account_id=account_id)
    return Overview(account, parent, subaccounts, users)


@dataclass(frozen=True)
class InstalledConnector:
    out: AccountConnectorOut  # as the API shows it
    card: launch.ConnectorCard  # its credential inputs, as the customer pages ask them


async def installed_connectors(
    *, session: AsyncSession, account_id: str
) -> list[InstalledConnector]:
    rows = await session.scalars(
        account_connectors.list_query(account_id=account_id).order_by(AccountConnector.id)
    )
    return [
        InstalledConnector(
            await account_connectors.to_out(session=session, row=row),
            await launch.card_of(
                session=session, account_id=account_id, account_connector_id=row.id
            ),
        )
        for row in rows
    ]


async def live_connectors(*, session: AsyncSession) -> list[Connector]:
    """The catalogue's releases an account may install (the install service refuses the rest)."""
    return list(
        await session.scalars(
            select(Connector)
            .where(Connector.status == ReleaseStatusName.LIVE.value)
            .order_by(func.lower(Connector.name), Connector.id)
        )
    )


@dataclass(frozen=True)
class InstalledCycle:
    cycle: Cycle
    phase: str
    errors: int
    warnings: int
    webhook: bool  # its trigger is a webhook: no schedule to choose
    unmet: list[prerequisites.Prerequisite]
    webhook_urls: list[str]  # where the app sends its calls, once the cycle is active
    test: bool  # made by the builder's test run: never activated


async def installable_templates(*, session: AsyncSession) -> list[Template]:
    """The templates with a Live release: the ones the install service accepts."""
    live = select(TemplateRelease.template_id).where(TemplateRelease.status == "Live")
    return list(
        await session.scalars(
            select(Template)
            .where(Template.id.in_(live))
            .order_by(func.lower(Template.name), Template.id)
        )
    )


async def installed_cycles(
    *, session: AsyncSession, account_id: str, base_url: str
) -> list[InstalledCycle]:
    rows = await session.scalars(
        cycles.list_query(account_id=account_id).order_by(func.lower(Cycle.name), Cycle.id)
    )
    found = []
    for cycle in rows:
        test = draft_runs.is_test_cycle(cycle)
        loaded = await structure.load(session=session, cycle=cycle)
        run = await cycles.run_facts(session=session, cycle_id=cycle.id)
        found.append(
            InstalledCycle(
                cycle=cycle,
                # A test cycle is never active: its lifecycle phase would only puzzle.
                phase="Test" if test else lifecycle.phase_of(cycle).value,
                errors=run.errors,
                warnings=run.warnings,
                webhook=loaded.is_webhook_triggered() and not test,
                unmet=await prerequisites.of_cycle(session=session, structure=loaded),
                # A test cycle refuses webhook calls: no URL to hand out.
                webhook_urls=[]
                if test
                else [w["Url"] for w in webhook_urls.webhooks_out(loaded, base_url)],
                test=test,
            )
        )
    return found


INTERVALS = ALLOWED_INTERVALS


def interval_label(minutes: int) -> str:
    if minutes % 10080 == 0:
        return "every week"
    if minutes % 1440 == 0:
        return "every day"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "every hour" if hours == 1 else f"every {hours} hours"
    return "every minute" if minutes == 1 else f"every {minutes} minutes"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
