"""The template builder: a Draft release's steps as a flow, a panel per step for its inputs
and settings, the template's settings and variables, and test runs against an account.

Every change goes through the template authoring services the API uses, one call per part
changed, and is written to the audit log in the same database transaction.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from junction.accounts import service as accounts
from junction.accounts.models import Account
from junction.connectors.catalog import service as catalog
from junction.console import builder_view as view
from junction.console.web import (
    Changes,
    SignedIn,
    Staff,
    back_to,
    field_errors,
    page_router,
    render,
)
from junction.cycles import draft_runs
from junction.engine import transactions as tx
from junction.errors import BadRequest, Conflict, JunctionError, NotFound
from junction.reports import service as reports
from junction.templates import authoring
from junction.templates.spec.models import (
    Condition,
    Edge,
    EdgeKind,
    Step,
    StepKind,
    TemplateSettings,
    Variable,
)

router = page_router()
# How long a test run's page waits for the engine before showing what it has.
TEST_WAIT_SECONDS = 30.0


def _base(template_id: str) -> str:
    return f"/console/templates/{template_id}/builder"


def _form(data: Any) -> dict[str, str]:
    return {k: str(v) for k, v in data.items() if k != "csrf"}


def _refusal(exc: ValueError) -> BadRequest:
    """A document model's refusal as the field it names (``Field: why``)."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        # The form's field is the document's top-level name the refusal is about.
        where = str(first["loc"][0]) if first["loc"] else "_form"
        return BadRequest(f"{where}: {first['msg'].removeprefix('Value error, ')}")
    return BadRequest(str(exc))


def _record(
    session: Any,
    staff: Staff,
    action: str,
    template_id: str,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    staff.audit(session, action, "template", template_id, before=before, after=after)


def _require_draft(draft: view.Draft) -> None:
    if not draft.editable:
        raise Conflict(
            f"Release {draft.release.version} is {draft.release.status}; only a Draft can "
            "change. Start a new release on the template's page."
        )


async def _account_choices(staff: Staff) -> list[Account]:
    async with staff.context.database.transaction(read_only=True) as session:
        rows = await session.scalars(accounts.accounts_query().order_by(Account.name).limit(500))
        return list(rows)


# -- the builder page -------------------------------------------------------------------------


async def _builder(
    request: Request,
    staff: Staff,
    template_id: str,
    *,
    notice: str = "",
    status_code: int = 200,
    failed: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        draft = await view.load(session=session, template_id=template_id)
        methods = await view.catalogue(session=session) if staff.admin else []
    return render(
        request,
        "builder.html",
        status_code=status_code,
        title=f"Builder · {draft.template.name}",
        staff=staff,
        draft=draft,
        flow=view.diagram(draft),
        catalogue=methods,
        tools=view.TOOLS,
        accounts=await _account_choices(staff),
        base=_base(template_id),
        notice=notice,
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


@router.get("/templates/{template_id}/builder")
async def builder_page(
    request: Request, staff: SignedIn, template_id: str, notice: str = ""
) -> Response:
    return await _builder(request, staff, template_id, notice=notice)


def _new_step(draft: view.Draft, what: str, name: str, method_name: str, connector: str) -> Step:
    kind, _, rest = what.partition(":")
    if kind == "tool" and rest in view.TOOLS:
        step_kind = StepKind(rest)
        title = name or {"WaitUntil": "Wait until", "WebhookResponse": "Webhook response"}.get(
            rest, rest
        )
        extra: dict[str, Any] = {}
        if step_kind is StepKind.DELAY:
            extra["DelaySeconds"] = 60
        if step_kind is StepKind.ANNOTATION:
            extra["Text"] = ""
        return Step(
            Key=view.new_key(draft.document, title), Name=title, StepType=step_kind, **extra
        )
    if kind == "method":
        title = name or method_name
        return Step(
            Key=view.new_key(draft.document, title),
            Name=title,
            ConnectorName=connector,
            MethodUniqueIdentifier=rest.partition(":")[2],
        )
    raise BadRequest("what: choose a connector method or a tool")


@router.post("/templates/{template_id}/builder/steps")
async def add_step(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    what, name, place = form.get("what", ""), form.get("Name", "").strip(), form.get("place", "")
    try:
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            draft = await view.load(session=session, template_id=template_id)
            _require_draft(draft)
            method_name, connector = "", ""
            if what.startswith("method:"):
                connector_id, _, uid = what.removeprefix("method:").partition(":")
                if not connector_id.isdigit():
                    raise BadRequest("what: choose a connector method or a tool")
                try:
                    row = await catalog.get_connector(
                        session=session, connector_id=int(connector_id)
                    )
                except NotFound:
                    raise BadRequest("what: that connector is no longer in the catalogue") from None
                method = catalog.method_by_uid(catalog.definition_of(row), uid)
                if method is None:
                    raise BadRequest(f"what: {row.name} has no method '{uid}'")
                method_name, connector = method.Name, row.name
            try:
                step = _new_step(draft, what, name, method_name, connector)
            except ValueError as exc:
                raise _refusal(exc) from None
            tail, _, kind = place.partition("|")
            joins = step.StepType is not StepKind.ANNOTATION and bool(draft.trigger)
            if joins and not (tail and draft.step(tail)):
                raise BadRequest("place: choose the step the new one comes after")
            await authoring.put_step(
                session=session,
                template_id=template_id,
                version=draft.release.version,
                step=step,
                replace=False,
                now=now,
            )
            _record(
                session, staff, "template.step.put", template_id, after=step.model_dump(mode="json")
            )
            if joins:
                await _insert_after(session, staff, draft, tail, kind, step)
    except JunctionError as exc:
        return await _builder(
            request,
            staff,
            template_id,
            status_code=400,
            failed="add",
            errors=field_errors(exc),
            values=form,
        )
    return back_to(f"{_base(template_id)}/steps/{step.Key}", f"Step '{step.Name}' added.")


async def _insert_after(
    session: Any, staff: Staff, draft: view.Draft, tail: str, kind: str, step: Step
) -> None:
    """Put the new step on the tail's exit; what that exit led to now follows the new step
    (by its True exit when it is a Decision; a Stop ends the branch there)."""
    try:
        edge_kind = EdgeKind(kind or "Forward")
    except ValueError:
        raise BadRequest("place: choose the step the new one comes after") from None
    template_id, version, now = draft.template.id, draft.release.version, staff.context.clock()
    old = next(
        (e for e in draft.document.Edges if e.TailStepKey == tail and e.EdgeType is edge_kind),
        None,
    )
    if old is not None:
        await authoring.remove_edge(
            session=session,
            template_id=template_id,
            version=version,
            tail=old.TailStepKey,
            head=old.HeadStepKey,
            now=now,
        )
        _record(
            session, staff, "template.edge.remove", template_id, before=old.model_dump(mode="json")
        )
    edges = [Edge(TailStepKey=tail, HeadStepKey=step.Key, EdgeType=edge_kind)]
    if old is not None and step.StepType is not StepKind.STOP:
        onward = EdgeKind.TRUE if step.StepType is StepKind.DECISION else EdgeKind.FORWARD
        edges.append(Edge(TailStepKey=step.Key, HeadStepKey=old.HeadStepKey, EdgeType=onward))
    for edge in edges:
        await authoring.add_edge(
            session=session, template_id=template_id, version=version, edge=edge, now=now
        )
        _record(
            session, staff, "template.edge.add", template_id, after=edge.model_dump(mode="json")
        )


@router.post("/templates/{template_id}/builder/edges")
async def add_edge(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    back = form.get("back", "")
    try:
        async with staff.context.database.transaction() as session:
            draft = await view.load(session=session, template_id=template_id)
            _require_draft(draft)
            try:
                edge = Edge(
                    TailStepKey=form.get("tail", ""),
                    HeadStepKey=form.get("head", ""),
                    EdgeType=EdgeKind(form.get("kind") or "Forward"),
                )
            except ValueError as exc:
                raise _refusal(exc) from None
            await authoring.add_edge(
                session=session,
                template_id=template_id,
                version=draft.release.version,
                edge=edge,
                now=staff.context.clock(),
            )
            _record(
                session, staff, "template.edge.add", template_id, after=edge.model_dump(mode="json")
            )
    except JunctionError as exc:
        tail = form.get("tail", "")
        if back == "step" and tail:
            return await _step_panel(
                request,
                staff,
                template_id,
                tail,
                status_code=400,
                failed="edge",
                errors=field_errors(exc),
                values=form,
            )
        raise
    path = (
        f"{_base(template_id)}/steps/{edge.TailStepKey}" if back == "step" else _base(template_id)
    )
    return back_to(path, "Connection added.")


@router.post("/templates/{template_id}/builder/edges/remove")
async def remove_edge(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    tail, head = form.get("tail", ""), form.get("head", "")
    async with staff.context.database.transaction() as session:
        draft = await view.load(session=session, template_id=template_id)
        _require_draft(draft)
        await authoring.remove_edge(
            session=session,
            template_id=template_id,
            version=draft.release.version,
            tail=tail,
            head=head,
            now=staff.context.clock(),
        )
        _record(
            session,
            staff,
            "template.edge.remove",
            template_id,
            before={"TailStepKey": tail, "HeadStepKey": head},
        )
    path = (
        f"{_base(template_id)}/steps/{tail}" if form.get("back") == "step" else _base(template_id)
    )
    return back_to(path, "Connection removed.")


# -- template settings and variables ---------------------------------------------------------


def _settings_of(form: dict[str, str]) -> TemplateSettings:
    def hours(name: str) -> int | None:
        text = form.get(name, "").strip()
        if not text:
            return None
        if not text.isdigit():
            raise BadRequest(f"{name}: a whole number of hours, or empty to keep the default")
        return int(text)

    attempts = form.get("RetryAttempts", "3").strip() or "3"
    if not attempts.isdigit():
        raise BadRequest("RetryAttempts: a number from 1 to 5")
    try:
        return TemplateSettings.model_validate(
            {
                "StepErrorAction": form.get("StepErrorAction", "Ignore"),
                "RetryAttempts": int(attempts),
                "ContinueOnStepError": form.get("ContinueOnStepError") == "on",
                "CollectionSplitType": form.get("CollectionSplitType", "FirstStep"),
                "LogStepDataRequests": form.get("LogStepDataRequests") == "on",
                "StepDataSuccessRetentionHours": hours("StepDataSuccessRetentionHours"),
                "StepDataErroredRetentionHours": hours("StepDataErroredRetentionHours"),
                "ConnectorInstallation": form.get("ConnectorInstallation", "Existing"),
            }
        )
    except ValueError as exc:
        raise _refusal(exc) from None


@router.post("/templates/{template_id}/builder/settings")
async def set_settings(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    try:
        async with staff.context.database.transaction() as session:
            draft = await view.load(session=session, template_id=template_id)
            _require_draft(draft)
            settings = _settings_of(form)
            await authoring.set_settings(
                session=session,
                template_id=template_id,
                version=draft.release.version,
                settings=settings,
                now=staff.context.clock(),
            )
            _record(
                session,
                staff,
                "template.settings",
                template_id,
                before=draft.document.Settings.model_dump(mode="json"),
                after=settings.model_dump(mode="json"),
            )
    except JunctionError as exc:
        return await _builder(
            request,
            staff,
            template_id,
            status_code=400,
            failed="settings",
            errors=field_errors(exc),
            values=form,
        )
    return back_to(_base(template_id), "Settings saved.")


@router.post("/templates/{template_id}/builder/variables")
async def put_variable(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    try:
        async with staff.context.database.transaction() as session:
            draft = await view.load(session=session, template_id=template_id)
            _require_draft(draft)
            try:
                variable = Variable(
                    SystemName=form.get("SystemName", "").strip(),
                    DisplayName=form.get("DisplayName", "").strip() or None,
                    Value=form.get("Value", "") or None,
                    IsLaunchVisible=form.get("IsLaunchVisible") == "on",
                )
            except ValueError as exc:
                raise _refusal(exc) from None
            replace = (
                any(
                    v.SystemName.lower() == variable.SystemName.lower()
                    for v in draft.document.Variables
                )
                and form.get("replace") == "yes"
            )
            await authoring.put_variable(
                session=session,
                template_id=template_id,
                version=draft.release.version,
                variable=variable,
                replace=replace,
                now=staff.context.clock(),
            )
            _record(
                session,
                staff,
                "template.variable.put",
                template_id,
                after=variable.model_dump(mode="json"),
            )
    except JunctionError as exc:
        return await _builder(
            request,
            staff,
            template_id,
            status_code=400,
            failed="variable",
            errors=field_errors(exc),
            values=form,
        )
    return back_to(_base(template_id), f"Variable '{variable.SystemName}' saved.")


@router.post("/templates/{template_id}/builder/variables/remove")
async def remove_variable(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    name = form.get("name", "")
    async with staff.context.database.transaction() as session:
        draft = await view.load(session=session, template_id=template_id)
        _require_draft(draft)
        await authoring.remove_variable(
            session=session,
            template_id=template_id,
            version=draft.release.version,
            name=name,
            now=staff.context.clock(),
        )
        _record(
            session, staff, "template.variable.remove", template_id, before={"SystemName": name}
        )
    return back_to(_base(template_id), f"Variable '{name}' removed.")


# -- a step's panel ---------------------------------------------------------------------------


async def _step_panel(
    request: Request,
    staff: Staff,
    template_id: str,
    key: str,
    *,
    notice: str = "",
    status_code: int = 200,
    failed: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        draft = await view.load(session=session, template_id=template_id)
    step = draft.step(key)
    if step is None:
        raise NotFound(f"The release has no step with Key '{key}'")
    method = draft.methods.get(key)
    return render(
        request,
        "builder_step.html",
        status_code=status_code,
        title=f"{step.Name} · {draft.template.name}",
        staff=staff,
        draft=draft,
        step=step,
        method=method,
        inputs=view.inputs(step, method),
        sources=view.SOURCES,
        fields=view.source_fields(draft, key),
        operators=view.OPERATORS,
        exits=draft.exits(key),
        base=_base(template_id),
        notice=notice,
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


@router.get("/templates/{template_id}/builder/steps/{key}")
async def step_page(
    request: Request, staff: SignedIn, template_id: str, key: str, notice: str = ""
) -> Response:
    return await _step_panel(request, staff, template_id, key, notice=notice)


def _changed_step(step: Step, form: dict[str, str]) -> Step:
    document = step.model_dump(mode="json")
    document["Name"] = form.get("Name", "").strip()
    document["Description"] = form.get("Description", "").strip() or None
    if step.StepType is StepKind.METHOD:
        document["CollectionSplitType"] = form.get("CollectionSplitType") or None
    elif step.StepType is StepKind.DECISION:
        document["Combine"] = form.get("Combine", "All")
    elif step.StepType is StepKind.DELAY:
        seconds = form.get("DelaySeconds", "").strip()
        if not seconds.isdigit():
            raise BadRequest("DelaySeconds: a whole number of seconds")
        document["DelaySeconds"] = int(seconds)
    elif step.StepType is StepKind.WEBHOOK_RESPONSE:
        status = form.get("ResponseStatus", "").strip()
        if status and not status.isdigit():
            raise BadRequest("ResponseStatus: an HTTP status code from 200 to 599")
        document["ResponseStatus"] = int(status) if status else None
    elif step.StepType is StepKind.ANNOTATION:
        document["Text"] = form.get("Text", "")
    elif step.StepType is StepKind.WAIT_UNTIL:
        when = form.get("WaitUntil", "").strip()
        source_key, sep, source_field = when.partition(":")
        if sep and source_key and source_field and " " not in source_key:
            document["WaitUntil"] = {
                "MappingType": "StepData",
                "SourceStepKey": source_key,
                "SourceField": source_field,
            }
        else:
            document["WaitUntil"] = {"MappingType": "StaticValue", "Value": when} if when else None
    try:
        return Step.model_validate(document)
    except ValueError as exc:
        raise _refusal(exc) from None


async def _replace_step(
    session: Any, staff: Staff, draft: view.Draft, before: Step, after: Step
) -> None:
    await authoring.put_step(
        session=session,
        template_id=draft.template.id,
        version=draft.release.version,
        step=after,
        replace=True,
        now=staff.context.clock(),
    )
    _record(
        session,
        staff,
        "template.step.put",
        draft.template.id,
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
    )


async def _step_of(session: Any, template_id: str, key: str) -> tuple[view.Draft, Step]:
    draft = await view.load(session=session, template_id=template_id)
    _require_draft(draft)
    step = draft.step(key)
    if step is None:
        raise NotFound(f"The release has no step with Key '{key}'")
    return draft, step


@router.post("/templates/{template_id}/builder/steps/{key}")
async def change_step(request: Request, staff: Changes, template_id: str, key: str) -> Response:
    form = _form(await request.form())
    try:
        async with staff.context.database.transaction() as session:
            draft, step = await _step_of(session, template_id, key)
            await _replace_step(session, staff, draft, step, _changed_step(step, form))
    except BadRequest as exc:
        return await _step_panel(
            request,
            staff,
            template_id,
            key,
            status_code=400,
            failed="details",
            errors=field_errors(exc),
            values=form,
        )
    return back_to(f"{_base(template_id)}/steps/{key}", "Step saved.")


@router.post("/templates/{template_id}/builder/steps/{key}/remove")
async def remove_step(request: Request, staff: Changes, template_id: str, key: str) -> Response:
    async with staff.context.database.transaction() as session:
        draft, step = await _step_of(session, template_id, key)
        await authoring.remove_step(
            session=session,
            template_id=template_id,
            version=draft.release.version,
            key=key,
            now=staff.context.clock(),
        )
        _record(
            session, staff, "template.step.remove", template_id, before=step.model_dump(mode="json")
        )
    return back_to(_base(template_id), f"Step '{step.Name}' removed.")


@router.post("/templates/{template_id}/builder/steps/{key}/map")
async def set_mapping(request: Request, staff: Changes, template_id: str, key: str) -> Response:
    form = _form(await request.form())
    section, name = form.get("section", ""), form.get("name", "")
    try:
        async with staff.context.database.transaction() as session:
            draft, _ = await _step_of(session, template_id, key)
            mapping = view.mapping_of(form)
            view.check_mapping(draft, key, section, name, mapping)
            await authoring.set_mapping(
                session=session,
                template_id=template_id,
                version=draft.release.version,
                key=key,
                section=section,
                name=name,
                mapping=mapping,
                now=staff.context.clock(),
            )
            _record(
                session,
                staff,
                "template.mapping.set",
                template_id,
                after={
                    "StepKey": key,
                    "Section": section,
                    "Name": name,
                    **mapping.model_dump(mode="json", exclude_none=True),
                },
            )
    except BadRequest as exc:
        return await _step_panel(
            request,
            staff,
            template_id,
            key,
            status_code=400,
            failed=f"map:{name}",
            errors=field_errors(exc),
            values=form,
        )
    return back_to(f"{_base(template_id)}/steps/{key}", f"'{name}' mapped.")


@router.post("/templates/{template_id}/builder/steps/{key}/conditions")
async def add_condition(request: Request, staff: Changes, template_id: str, key: str) -> Response:
    form = _form(await request.form())
    try:
        async with staff.context.database.transaction() as session:
            draft, step = await _step_of(session, template_id, key)
            left = view.mapping_of({"source": "step", "step_field": form.get("left", "")})
            view.check_mapping(draft, key, "conditions", "Left", left)
            operator = form.get("operator", "")
            if operator not in view.OPERATORS:
                raise BadRequest("operator: choose how to compare")
            right = {"MappingType": "StaticValue", "Value": form.get("right", "")}
            if operator in ("IsEmpty", "IsNotEmpty"):
                right = {"MappingType": "Ignore"}
            try:
                condition = Condition.model_validate(
                    {"Left": left.model_dump(mode="json"), "Operator": operator, "Right": right}
                )
            except ValueError as exc:
                raise _refusal(exc) from None
            after = step.model_copy(update={"Conditions": [*step.Conditions, condition]})
            await _replace_step(session, staff, draft, step, after)
    except BadRequest as exc:
        errors = field_errors(exc)
        if "step_field" in errors:
            errors["left"] = errors.pop("step_field")
        return await _step_panel(
            request,
            staff,
            template_id,
            key,
            status_code=400,
            failed="condition",
            errors=errors,
            values=form,
        )
    return back_to(f"{_base(template_id)}/steps/{key}", "Condition added.")


@router.post("/templates/{template_id}/builder/steps/{key}/conditions/remove")
async def remove_condition(
    request: Request, staff: Changes, template_id: str, key: str
) -> Response:
    form = _form(await request.form())
    async with staff.context.database.transaction() as session:
        draft, step = await _step_of(session, template_id, key)
        index = int(form["index"]) if form.get("index", "").isdigit() else -1
        if not 0 <= index < len(step.Conditions):
            raise NotFound("The step has no such condition")
        kept = [c for i, c in enumerate(step.Conditions) if i != index]
        await _replace_step(
            session, staff, draft, step, step.model_copy(update={"Conditions": kept})
        )
    return back_to(f"{_base(template_id)}/steps/{key}", "Condition removed.")


# -- test runs --------------------------------------------------------------------------------


@router.post("/templates/{template_id}/builder/test")
async def run_draft(request: Request, staff: Changes, template_id: str) -> Response:
    form = _form(await request.form())
    account_id, text = form.get("account", ""), form.get("sample", "")
    try:
        try:
            sample = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise BadRequest(f"sample: this is not JSON ({exc})") from None
        async with staff.context.database.transaction() as session:
            draft = await view.load(session=session, template_id=template_id)
            if not account_id:
                raise BadRequest("account: choose the account to run in")
            started = await draft_runs.start(
                session=session,
                keyring=staff.context.keyring,
                release=draft.release,
                account_id=account_id,
                sample=sample,
                now=staff.context.clock(),
            )
            _record(
                session,
                staff,
                "template.test-run",
                template_id,
                after={
                    "Version": draft.release.version,
                    "AccountId": account_id,
                    "CycleId": started.cycle_id,
                    "TransactionId": started.transaction_id,
                },
            )
    except (BadRequest, NotFound) as exc:
        errors = field_errors(exc)
        if isinstance(exc, NotFound):
            errors = {"account": exc.message}
        return await _builder(
            request,
            staff,
            template_id,
            status_code=400,
            failed="test",
            errors=errors,
            values=form,
        )
    staff.context.dispatcher.wake_for(started.transaction_id, started.account_id)
    await _wait(staff, started)
    return back_to(f"{_base(template_id)}/test-runs/{started.transaction_id}", account=account_id)


async def _wait(staff: Staff, started: draft_runs.Started) -> None:
    deadline = time.monotonic() + TEST_WAIT_SECONDS
    while time.monotonic() < deadline:
        async with staff.context.database.transaction(read_only=True) as session:
            row = await reports.locate_transaction(
                session=session, transaction_id=started.transaction_id
            )
            if tx.Status(row.status) not in (tx.Status.QUEUED, tx.Status.RUNNING):
                return
        await asyncio.sleep(0.2)


@router.get("/templates/{template_id}/builder/test-runs/{transaction_id}")
async def draft_run_page(
    request: Request, staff: SignedIn, template_id: str, transaction_id: str, account: str = ""
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        draft = await view.load(session=session, template_id=template_id)
        cycle = await draft_runs.cycle_of(
            session=session, template_id=template_id, account_id=account
        )
        if cycle is None:
            raise NotFound("No test run of this template in that account (a newer one replaces it)")
        row = await reports.get_transaction(
            session=session, account_id=account, cycle_id=cycle.id, transaction_id=transaction_id
        )
        steps = await reports.step_data(session=session, transaction_id=transaction_id)
    return render(
        request,
        "builder_test.html",
        title=f"Test run · {draft.template.name}",
        staff=staff,
        draft=draft,
        transaction=row,
        steps=steps,
        running=tx.Status(row.status) in tx.IN_PROGRESS,
        account=account,
        base=_base(template_id),
    )
