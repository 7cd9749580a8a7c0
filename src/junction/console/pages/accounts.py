"""Accounts: the list and search, an account's facts, sub-accounts and users, its connectors
(test, re-authenticate, install) and its cycles (activate, pause, stop).

Every change goes through the services the API calls, and its audit entry is written in the
transaction that stores it. Connector calls (a test, new credentials tried, webhooks installed
at activation) run outside any transaction, as they do for the API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.accounts.schemas import AccountCreate, AccountUpdate, AccountUserPut
from junction.api.context import WakeAfterCommit
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import AccountConnectorUpdate, InstallIn
from junction.connectors.calls import checks
from junction.console import accounts_view as view
from junction.console.web import (
    Changes,
    NavItem,
    SignedIn,
    Staff,
    back_to,
    field_errors,
    form_values,
    page_router,
    render,
)
from junction.cycles import activation_flow
from junction.cycles import service as cycles
from junction.cycles.activation import ActivateIn
from junction.cycles.models import Cycle
from junction.embed import launch, links, setup_flow
from junction.embed.browser import redirect
from junction.errors import BadRequest, JunctionError, NotFound

router = page_router()
NAV = NavItem("Accounts", "/console/accounts", 20)

ACCOUNT_FIELDS = ("Id", "Name", "Description", "Timezone", "ParentAccountId")
EDIT_FIELDS = (
    "Name",
    "Description",
    "Timezone",
    "TransactionErrorWebhookEnabled",
    "TransactionErrorWebhookUrl",
    "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours",
)


def _base(account_id: str) -> str:
    return f"/console/accounts/{account_id}"


# The list and creating an account.


async def _list_page(
    request: Request,
    staff: Staff,
    *,
    q: str = "",
    page: int = 1,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        listed = await view.listing(session=session, search=q, page=page)
    return render(
        request,
        "accounts.html",
        status_code=status_code,
        title="Accounts",
        staff=staff,
        listed=listed,
        q=q,
        notice=notice,
        errors=errors or {},
        values=values or {},
    )


@router.get("/accounts")
async def accounts_page(
    request: Request, staff: SignedIn, q: str = "", page: int = 1, notice: str = ""
) -> Response:
    return await _list_page(request, staff, q=q, page=page, notice=notice)


async def _create(staff: Staff, form: dict[str, str]) -> str:
    account_in = view.parsed(
        AccountCreate,
        {
            "Id": view.blank_is_none(form.get("Id", "")),
            "Name": form.get("Name", ""),
            "Description": view.blank_is_none(form.get("Description", "")),
            "Timezone": view.blank_is_none(form.get("Timezone", "")),
            "ParentAccountId": view.blank_is_none(form.get("ParentAccountId", "")),
        },
    )
    async with staff.context.database.transaction() as session:
        account = await accounts.create_account(
            session=session, account_in=account_in, now=staff.context.clock()
        )
        staff.audit(session, "account.create", "account", account.id, after=view.facts(account))
        return account.id


@router.post("/accounts")
async def create_account(request: Request, staff: Changes) -> Response:
    form = form_values(await request.form(), *ACCOUNT_FIELDS)
    try:
        account_id = await _create(staff, form)
    except BadRequest as exc:
        return await _list_page(
            request, staff, status_code=400, errors=field_errors(exc), values=form
        )
    return back_to(_base(account_id), f"Account {form['Name'].strip()} created.")


# One account: facts, edit, sub-accounts, users.


async def _overview_page(
    request: Request,
    staff: Staff,
    account_id: str,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        shown = await view.overview(session=session, account_id=account_id)
    account = shown.account
    current = {
        "Name": account.name,
        "Description": account.description or "",
        "Timezone": account.timezone,
        "TransactionErrorWebhookEnabled": "on" if account.error_webhook_enabled else "",
        "TransactionErrorWebhookUrl": account.error_webhook_url or "",
        "StepDataSuccessRetentionHours": _text(account.step_data_success_retention_hours),
        "StepDataErroredRetentionHours": _text(account.step_data_errored_retention_hours),
    }
    return render(
        request,
        "accounts_account.html",
        status_code=status_code,
        title=account.name,
        staff=staff,
        tab="overview",
        shown=shown,
        account=account,
        when=view.when,
        notice=notice,
        # Which form the refusal belongs to: each shows only its own.
        form=form,
        errors=errors or {},
        values=values if form == "edit" and values else current,
        typed=values or {},
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


@router.get("/accounts/{account_id}")
async def account_page(
    request: Request, staff: SignedIn, account_id: str, notice: str = ""
) -> Response:
    return await _overview_page(request, staff, account_id, notice=notice)


def _hours(value: str) -> str | None:
    # Empty clears the setting: the partner-wide retention applies.
    return value.strip() or None


@router.post("/accounts/{account_id}")
async def edit_account(request: Request, staff: Changes, account_id: str) -> Response:
    form = form_values(await request.form(), *EDIT_FIELDS)
    try:
        account_in = view.parsed(
            AccountUpdate,
            {
                "Name": form["Name"],
                "Description": view.blank_is_none(form["Description"]),
                "Timezone": view.blank_is_none(form["Timezone"]),
                "TransactionErrorWebhookEnabled": bool(form["TransactionErrorWebhookEnabled"]),
                "TransactionErrorWebhookUrl": view.blank_is_none(
                    form["TransactionErrorWebhookUrl"]
                ),
                "StepDataSuccessRetentionHours": _hours(form["StepDataSuccessRetentionHours"]),
                "StepDataErroredRetentionHours": _hours(form["StepDataErroredRetentionHours"]),
            },
        )
        async with staff.context.database.transaction() as session:
            before = view.facts(await accounts.get_account(session=session, account_id=account_id))
            account = await accounts.update_account(
                session=session, account_id=account_id, account_in=account_in
            )
            staff.audit(
                session,
                "account.update",
                "account",
                account_id,
                before=before,
                after=view.facts(account),
            )
    except BadRequest as exc:
        return await _overview_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors=field_errors(exc),
            values=form,
            form="edit",
        )
    return back_to(_base(account_id), "Account saved.")


@router.post("/accounts/{account_id}/subaccounts")
async def create_subaccount(request: Request, staff: Changes, account_id: str) -> Response:
    form = form_values(await request.form(), "Id", "Name", "Description")
    try:
        created = await _create(staff, {**form, "ParentAccountId": account_id})
    except BadRequest as exc:
        return await _overview_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors=field_errors(exc),
            values=form,
            form="sub",
        )
    return back_to(_base(created), f"Sub-account {form['Name'].strip()} created.")


@router.post("/accounts/{account_id}/users")
async def add_user(
    request: Request,
    staff: Changes,
    account_id: str,
    UserName: Annotated[str, Form()] = "",
    Password: Annotated[str, Form()] = "",
) -> Response:
    try:
        user_in = view.parsed(AccountUserPut, {"UserName": UserName, "Password": Password or None})
        async with staff.context.database.transaction() as session:
            user = await accounts.put_user(
                session=session, account_id=account_id, user_in=user_in, now=staff.context.clock()
            )
            # Never the password, not even hashed.
            staff.audit(
                session,
                "account-user.add",
                "account-user",
                f"{account_id}/{user.username}",
                after={"AccountId": account_id, "UserName": user.username},
            )
    except BadRequest as exc:
        return await _overview_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors=field_errors(exc),
            values={"UserName": UserName},
            form="user",
        )
    return back_to(_base(account_id), f"{user.username} is a user of this account.")


@router.post("/accounts/{account_id}/users/remove")
async def remove_user(
    staff: Changes, account_id: str, UserName: Annotated[str, Form()] = ""
) -> Response:
    async with staff.context.database.transaction() as session:
        await accounts.delete_user(session=session, account_id=account_id, username=UserName)
        staff.audit(
            session,
            "account-user.remove",
            "account-user",
            f"{account_id}/{UserName}",
            before={"AccountId": account_id, "UserName": UserName},
        )
    return back_to(_base(account_id), f"{UserName} was removed from this account.")


# The account's connectors.


async def _connectors_page(
    request: Request,
    staff: Staff,
    account_id: str,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    tested: dict[int, tuple[bool, str]] | None = None,
    signin_links: dict[int, tuple[str, str]] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        account = await accounts.get_account(session=session, account_id=account_id)
        installed = await view.installed_connectors(session=session, account_id=account_id)
        catalogue = await view.live_connectors(session=session) if staff.admin else []
    return render(
        request,
        "accounts_connectors.html",
        status_code=status_code,
        title=f"{account.name}: connectors",
        staff=staff,
        tab="connectors",
        account=account,
        installed=installed,
        catalogue=catalogue,
        notice=notice,
        errors=errors or {},
        tested=tested or {},
        signin_links=signin_links or {},
        values=values or {},
    )


@router.get("/accounts/{account_id}/connectors")
async def connectors_page(
    request: Request, staff: SignedIn, account_id: str, notice: str = ""
) -> Response:
    return await _connectors_page(request, staff, account_id, notice=notice)


@router.post("/accounts/{account_id}/connectors")
async def install_connector(
    request: Request,
    staff: Changes,
    account_id: str,
    discover_fields: DiscoverAfterCommit,
    Connector: Annotated[str, Form()] = "",
    Name: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not Connector.strip():
            raise BadRequest("Connector: choose one of the catalogue's live connectors")
        install_in = view.parsed(InstallIn, {"Name": view.blank_is_none(Name)})
        async with staff.context.database.transaction() as session:
            await accounts.get_account(session=session, account_id=account_id)
            row = await account_connectors.install(
                session=session,
                keyring=staff.context.keyring,
                account_id=account_id,
                connector_ref=Connector.strip(),
                install_in=install_in,
                now=staff.context.clock(),
            )
            staff.audit(
                session,
                "account-connector.install",
                "account-connector",
                str(row.id),
                after={"AccountId": account_id, "Name": row.name, "ConnectorId": row.connector_id},
            )
    except BadRequest as exc:
        return await _connectors_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors={f"install-{k}": v for k, v in field_errors(exc).items()},
            values={"Connector": Connector, "Name": Name},
        )
    if row.authenticated:
        discover_fields(row.id)
    return back_to(f"{_base(account_id)}/connectors", f"{row.name} installed.")


@router.post("/accounts/{account_id}/connectors/{account_connector_id}/test")
async def test_connection(
    request: Request, staff: Changes, account_id: str, account_connector_id: int
) -> Response:
    context = staff.context
    try:
        message = await checks.test_stored(
            gateway=context.gateway,
            account_id=account_id,
            account_connector_id=account_connector_id,
        )
        ok = True
    except BadRequest as exc:
        message, ok = exc.message, False
    async with context.database.transaction() as session:
        # Only a row of this account is tested (test_stored found it, or said why not).
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        staff.audit(
            session,
            "account-connector.test",
            "account-connector",
            str(row.id),
            after={"AccountId": account_id, "Works": ok, "Result": message},
        )
    return await _connectors_page(
        request, staff, account_id, tested={account_connector_id: (ok, message)}
    )


def _authenticated(staff: Staff, account_id: str) -> Any:
    def record(session: AsyncSession, row: AccountConnector) -> None:
        staff.audit(
            session,
            "account-connector.authenticate",
            "account-connector",
            str(row.id),
            after={"AccountId": account_id, "Name": row.name, "Authenticated": row.authenticated},
        )

    return record


@router.post("/accounts/{account_id}/connectors/{account_connector_id}/authenticate")
async def authenticate(
    request: Request,
    staff: Changes,
    account_id: str,
    account_connector_id: int,
    discover_fields: DiscoverAfterCommit,
) -> Response:
    """API key, Basic or AuthFields credentials (and account properties), tried at the API
    before they are kept: the customer pages' form and rule."""
    values = {k: str(v) for k, v in (await request.form()).items()}
    context = staff.context
    async with context.database.transaction(read_only=True) as session:
        card = await launch.card_of(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
    auth_value = setup_flow.auth_value_of(card, values)
    properties, missing = setup_flow.properties_of(card, values)
    problem = ""
    if auth_value is None and card.auth_type not in ("None", "OAuth2"):
        problem = "Fill in every field."
    elif missing:
        problem = f"Fill in {', '.join(missing)}."
    elif auth_value is None and not properties:
        problem = "Nothing to save."
    if not problem:
        try:
            await checks.update_checked(
                gateway=context.gateway,
                account_id=account_id,
                account_connector_id=account_connector_id,
                update_in=AccountConnectorUpdate(
                    AuthValue=auth_value, Properties=properties or None
                ),
                now=context.clock(),
                record=_authenticated(staff, account_id),
            )
        except JunctionError as exc:
            problem = exc.message.removeprefix("AuthValue: ")
    if problem:
        # What was typed stays, but never a credential.
        kept = {k: v for k, v in values.items() if k.startswith("prop-")}
        return await _connectors_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors={f"ac-{account_connector_id}": problem},
            values=kept,
        )
    if auth_value is not None:
        discover_fields(account_connector_id)
        return back_to(f"{_base(account_id)}/connectors", f"{card.name} is authenticated.")
    return back_to(f"{_base(account_id)}/connectors", f"{card.name}: settings saved.")


@router.post("/accounts/{account_id}/connectors/{account_connector_id}/link")
async def signin_link(
    request: Request, staff: Changes, account_id: str, account_connector_id: int
) -> Response:
    """The connector authentication link the API's sign-in token makes: whoever opens it
    (the administrator, or the customer it is sent to) signs the connector in once."""
    context = staff.context
    async with context.database.transaction() as session:
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        token, expires_at = await links.new_token(session, context, account_id, None, {})
        staff.audit(
            session,
            "account-connector.link",
            "account-connector",
            str(row.id),
            after={
                "AccountId": account_id,
                "Name": row.name,
                "ExpiresAtUtc": expires_at.isoformat(),
            },
        )
    back = f"{context.settings.public_base_url.rstrip('/')}{_base(account_id)}/connectors"
    url = links.connector_link_url(context, row.id, token, back)
    return await _connectors_page(
        request, staff, account_id, signin_links={row.id: (url, view.when(expires_at))}
    )


# The account's cycles.


async def _cycles_page(
    request: Request,
    staff: Staff,
    account_id: str,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        account = await accounts.get_account(session=session, account_id=account_id)
        installed = await view.installed_cycles(
            session=session,
            account_id=account_id,
            base_url=staff.context.settings.public_base_url,
        )
        installable = await view.installable_templates(session=session)
    return render(
        request,
        "accounts_cycles.html",
        status_code=status_code,
        title=f"{account.name}: cycles",
        staff=staff,
        tab="cycles",
        account=account,
        installed=installed,
        installable=installable,
        intervals=[(m, view.interval_label(m)) for m in view.INTERVALS],
        interval_label=view.interval_label,
        when=view.when,
        notice=notice,
        errors=errors or {},
        values=values or {},
    )


@router.get("/accounts/{account_id}/cycles")
async def cycles_page(
    request: Request, staff: SignedIn, account_id: str, notice: str = ""
) -> Response:
    return await _cycles_page(request, staff, account_id, notice=notice)


@router.post("/accounts/{account_id}/cycles")
async def install_template(
    request: Request,
    staff: Changes,
    account_id: str,
    TemplateId: Annotated[str, Form()] = "",
) -> Response:
    context = staff.context
    if not TemplateId.strip():
        return await _cycles_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors={"TemplateId": "choose a template to install"},
        )
    async with context.database.transaction(read_only=True) as session:
        await accounts.get_account(session=session, account_id=account_id)  # else the 404
    try:
        async with context.database.transaction() as session:
            cycle = await cycles.install(
                session=session,
                keyring=context.keyring,
                account_id=account_id,
                template_id=TemplateId,
                now=context.clock(),
            )
            staff.audit(
                session,
                "cycle.install",
                "cycle",
                cycle.id,
                after={
                    "AccountId": account_id,
                    "TemplateId": TemplateId,
                    "Name": cycle.name,
                    "Status": cycle.status,
                },
            )
    except (BadRequest, NotFound) as exc:  # no such template, or none of it is Live
        return await _cycles_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors={"TemplateId": exc.message},
            values={"TemplateId": TemplateId},
        )
    return back_to(
        f"{_base(account_id)}/cycles",
        f"'{cycle.name}' is installed, Paused: set up its steps, then activate it.",
    )


@router.post("/accounts/{account_id}/cycles/{cycle_id}/setup")
async def setup_link(staff: Changes, account_id: str, cycle_id: str) -> Response:
    """Opens the customer's own set-up page of the cycle (its connectors, the values left to
    the customer, its activation), signed in to the account with a single-use token: the
    same page and rules the customer uses, rather than a second copy of them here."""
    context = staff.context
    async with context.database.transaction() as session:
        cycle = await cycles.get(session=session, account_id=account_id, cycle_id=cycle_id)
        token, expires_at = await links.new_token(session, context, account_id, None, {})
        staff.audit(
            session,
            "cycle.setup-link",
            "cycle",
            cycle.id,
            after={"AccountId": account_id, "ExpiresAtUtc": expires_at.isoformat()},
        )
    return redirect(links.sign_in_url(context, token, f"/launch/cycles/{quote(cycle.id)}"))


def _caller(staff: Staff) -> activation_flow.Caller:
    context = staff.context
    return activation_flow.Caller(
        database=context.database,
        gateway=context.gateway,
        base_url=context.settings.public_base_url,
    )


def _cycle_change(staff: Staff, action: str) -> activation_flow.Record:
    def record(session: AsyncSession, cycle: Cycle) -> None:
        staff.audit(
            session,
            action,
            "cycle",
            cycle.id,
            after={
                "AccountId": cycle.account_id,
                "Name": cycle.name,
                "Status": cycle.status,
                "Interval": cycle.interval_minutes,
                "RunOnce": cycle.run_once,
            },
        )

    return record


@router.post("/accounts/{account_id}/cycles/{cycle_id}/activate")
async def activate_cycle(
    request: Request,
    staff: Changes,
    account_id: str,
    cycle_id: str,
    wake: WakeAfterCommit,
    Interval: Annotated[str, Form()] = "",
    RunOnce: Annotated[str, Form()] = "",
) -> Response:
    try:
        activate_in = view.parsed(
            ActivateIn,
            {"Interval": Interval.strip() or None, "RunOnce": bool(RunOnce)},
        )
        await activation_flow.activate(
            caller=_caller(staff),
            account_id=account_id,
            cycle_id=cycle_id,
            activate_in=activate_in,
            now=staff.context.clock(),
            record=_cycle_change(staff, "cycle.activate"),
        )
    except BadRequest as exc:
        # "Not set up yet" and the like: said beside the cycle, nothing changed.
        return await _cycles_page(
            request,
            staff,
            account_id,
            status_code=400,
            errors={f"cycle-{cycle_id}": exc.message},
            values={f"interval-{cycle_id}": Interval, f"once-{cycle_id}": RunOnce},
        )
    wake()
    return back_to(f"{_base(account_id)}/cycles", "The cycle is active.")


async def _deactivate(
    staff: Staff, account_id: str, cycle_id: str, *, finish_queued: bool, action: str
) -> str:
    warnings = await activation_flow.deactivate(
        caller=_caller(staff),
        account_id=account_id,
        cycle_id=cycle_id,
        finish_queued=finish_queued,
        now=staff.context.clock(),
        record=_cycle_change(staff, action),
    )
    said = " ".join(
        f"The webhook of step {w.StepName} could not be deleted at the API: {w.Message}."
        for w in warnings
    )
    return said


@router.post("/accounts/{account_id}/cycles/{cycle_id}/pause")
async def pause_cycle(
    staff: Changes, account_id: str, cycle_id: str, wake: WakeAfterCommit
) -> Response:
    warned = await _deactivate(
        staff, account_id, cycle_id, finish_queued=True, action="cycle.pause"
    )
    wake()
    return back_to(
        f"{_base(account_id)}/cycles",
        f"The cycle is paused; what it had queued or started runs to its end. {warned}".strip(),
    )


@router.post("/accounts/{account_id}/cycles/{cycle_id}/stop")
async def stop_cycle(
    staff: Changes, account_id: str, cycle_id: str, wake: WakeAfterCommit
) -> Response:
    warned = await _deactivate(
        staff, account_id, cycle_id, finish_queued=False, action="cycle.stop"
    )
    wake()
    return back_to(
        f"{_base(account_id)}/cycles",
        f"The cycle is stopped; what it had started ends Stopped. {warned}".strip(),
    )
